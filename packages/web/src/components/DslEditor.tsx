/**
 * The rule editor: CodeMirror 6 with JavaScript highlighting, live
 * validation by the engine's own compiler (validateRuleDsl, the same code
 * the server runs) shown as underlined diagnostics at the reported line and
 * column, and DSL autocompletion.
 */
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { javascript } from '@codemirror/lang-javascript';
import { bracketMatching, defaultHighlightStyle, HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { type Diagnostic, lintGutter, linter } from '@codemirror/lint';
import { Compartment, EditorState } from '@codemirror/state';
import { EditorView, highlightActiveLine, keymap, lineNumbers, placeholder } from '@codemirror/view';
import { tags } from '@lezer/highlight';
import { validateRuleDsl } from '@fluohq/engine';
import { useEffect, useRef } from 'react';
import { dslCompletionSource } from '../lib/dslCompletions';
import { problemRange } from '../lib/problemRange';
import { useTheme } from '../lib/theme';

export interface DslProblem { code: string; message: string; line: number; column: number }

const darkHighlight = HighlightStyle.define([
  { tag: tags.keyword, color: '#c792ea' },
  { tag: [tags.string, tags.regexp], color: '#c3e88d' },
  { tag: tags.number, color: '#f78c6c' },
  { tag: [tags.propertyName], color: '#82aaff' },
  { tag: tags.comment, color: '#8b949e', fontStyle: 'italic' },
  { tag: [tags.operator, tags.punctuation], color: '#89ddff' },
  { tag: tags.variableName, color: '#e6edf3' },
]);

export function DslEditor({ value, onChange, onProblems, keys, labelId }: {
  value: string;
  onChange: (dsl: string) => void;
  onProblems: (problems: DslProblem[]) => void;
  keys: () => { spanAttributes: string[]; resourceAttributes: string[] };
  labelId: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const themeCompartment = useRef(new Compartment());
  const theme = useTheme();
  const callbacks = useRef({ onChange, onProblems, keys });
  callbacks.current = { onChange, onProblems, keys };

  useEffect(() => {
    const dslLinter = linter((v) => {
      const text = v.state.doc.toString();
      if (text.trim() === '') { callbacks.current.onProblems([]); return []; }
      const result = validateRuleDsl(text);
      callbacks.current.onProblems(result.errors);
      return result.errors.map((e): Diagnostic => ({ ...problemRange(v.state.doc, e.line, e.column), severity: 'error', message: `${e.message} (${e.code})`, source: 'FLUO rule compiler' }));
    }, { delay: 250 });
    const state = EditorState.create({
      doc: value,
      extensions: [
        lineNumbers(), history(), bracketMatching(), closeBrackets(), highlightActiveLine(),
        javascript(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        lintGutter(), dslLinter,
        autocompletion({ override: [dslCompletionSource(() => callbacks.current.keys())], activateOnTyping: true }),
        keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...completionKeymap, indentWithTab]),
        placeholder("trace.has(span => span.status === 'ERROR')"),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ 'aria-labelledby': labelId, 'aria-multiline': 'true' }),
        EditorView.updateListener.of((u) => { if (u.docChanged) callbacks.current.onChange(u.state.doc.toString()); }),
        themeCompartment.current.of(theme === 'dark' ? syntaxHighlighting(darkHighlight) : []),
      ],
    });
    const v = new EditorView({ state, parent: host.current! });
    view.current = v;
    return () => { v.destroy(); view.current = null; };
    // The editor is created once; outside changes of `value` (templates) are applied below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    view.current?.dispatch({ effects: themeCompartment.current.reconfigure(theme === 'dark' ? syntaxHighlighting(darkHighlight) : []) });
  }, [theme]);

  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
  }, [value]);

  return <div className="dsl-editor" ref={host} />;
}
