import type { Text } from '@codemirror/state';

/** The document range to underline for a problem at a 1-based line and column: the token there; at least one character when the text has any. */
export function problemRange(doc: Text, line: number, column: number): { from: number; to: number } {
  const l = doc.line(Math.max(1, Math.min(doc.lines, line)));
  const from = Math.min(l.to, l.from + Math.max(0, column - 1));
  const rest = doc.sliceString(from, l.to);
  const token = /^([\w$]+|'[^']*'?|"[^"]*"?|\S)/.exec(rest);
  const to = Math.min(doc.length, from + (token ? token[0].length : 0));
  if (to > from) return { from, to };
  // At the end of a line or of the text: mark the character before.
  return from > 0 ? { from: from - 1, to: from } : { from: 0, to: Math.min(1, doc.length) };
}

