/**
 * Rules as code: a YAML or JSON document `{rules: [{id, name, description,
 * severity, dsl, enabled, mode, tags}]}` (a bare list of rules is accepted
 * too). Parsing is pure (the CLI and server read the files); every problem is
 * reported with the file, line and column it was found at, DSL errors mapped
 * from the rule text back to their place in the file.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode, type Scalar, type YAMLMap } from 'yaml';
import { RuleError } from '../dsl/ruleError.js';
import { checkRuleFields, compileRule, type CompiledRule, type RuleDefinition } from './rule.js';

export interface RuleFileError {
  file: string;
  line: number;
  column: number;
  message: string;
  ruleId?: string;
  field?: string;
  code?: string;
}

export interface ParsedRuleDocument {
  /** Rules whose fields and DSL are valid, compiled, in file order. */
  rules: CompiledRule[];
  errors: RuleFileError[];
}

const KNOWN_FIELDS = new Set(['id', 'name', 'description', 'severity', 'dsl', 'enabled', 'mode', 'tags', 'version']);

export function formatRuleFileError(e: RuleFileError): string {
  return `${e.file}:${e.line}:${e.column}: ${e.message}`;
}

export function parseRuleDocument(text: string, file: string): ParsedRuleDocument {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const errors: RuleFileError[] = [];
  const at = (offset: number | undefined) => {
    const pos = lineCounter.linePos(offset ?? 0);
    return { line: pos.line, column: pos.col };
  };
  for (const e of doc.errors) {
    const pos = at(e.pos[0]);
    errors.push({ file, ...pos, message: `${/\.json$/i.test(file) ? 'JSON' : 'YAML'} syntax error: ${e.message.split('\n')[0]}`, code: e.code });
  }
  if (errors.length > 0) return { rules: [], errors };
  let list: YamlNode | null | undefined = doc.contents as YamlNode | null;
  if (isMap(list)) {
    list = (list as YAMLMap).get('rules', true) as YamlNode | undefined;
    if (list === undefined) {
      errors.push({ file, line: 1, column: 1, message: "A rule file has a top-level 'rules' list: rules: [{id, name, severity, dsl}]", field: 'rules' });
      return { rules: [], errors };
    }
  }
  if (list === null || list === undefined) return { rules: [], errors }; // an empty file has no rules
  if (!isSeq(list)) {
    const pos = at(list.range?.[0]);
    errors.push({ file, ...pos, message: "'rules' must be a list of rules", field: 'rules' });
    return { rules: [], errors };
  }
  const rules: CompiledRule[] = [];
  const seen = new Map<string, number>();
  list.items.forEach((item, index) => {
    const node = item as YamlNode;
    const itemPos = at(node.range?.[0]);
    if (!isMap(node)) {
      errors.push({ file, ...itemPos, message: `rules[${index}] must be a mapping with id, name, severity and dsl` });
      return;
    }
    const def = node.toJSON() as Record<string, unknown>;
    const ruleId = typeof def.id === 'string' ? def.id : undefined;
    const label = ruleId ? `rule '${ruleId}'` : `rules[${index}]`;
    const fieldPos = (field: string) => {
      const value = node.get(field, true) as YamlNode | undefined;
      const pair = node.items.find((p) => isScalar(p.key) && (p.key as Scalar).value === field);
      return at((value?.range ?? (pair?.key as YamlNode | undefined)?.range ?? node.range)?.[0]);
    };
    let ok = true;
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String((pair.key as Scalar).value) : '';
      if (!KNOWN_FIELDS.has(key)) {
        errors.push({ file, ...at((pair.key as YamlNode).range?.[0]), ruleId, field: key, message: `${label}: unknown field '${key}'; fields are ${[...KNOWN_FIELDS].join(', ')}` });
        ok = false;
      }
    }
    for (const problem of checkRuleFields(def)) {
      errors.push({ file, ...fieldPos(problem.field), ruleId, field: problem.field, message: `${label}: ${problem.field} ${problem.message}` });
      ok = false;
    }
    if (ruleId !== undefined) {
      const previous = seen.get(ruleId);
      if (previous !== undefined) {
        errors.push({ file, ...fieldPos('id'), ruleId, field: 'id', message: `${label}: duplicate id (also rules[${previous}])` });
        ok = false;
      } else {
        seen.set(ruleId, index);
      }
    }
    if (!ok) return;
    try {
      rules.push(compileRule(def as unknown as RuleDefinition));
    } catch (err) {
      if (!(err instanceof RuleError)) throw err;
      const pos = dslPosition(text, node.get('dsl', true) as Scalar, err.line, err.column, lineCounter);
      errors.push({ file, ...pos, ruleId, field: 'dsl', code: err.code, message: `${label}: ${err.message}` });
    }
  });
  return { rules, errors };
}

/** Maps a 1-based line/column inside a scalar's value to the file. */
function dslPosition(text: string, scalar: Scalar, line: number, column: number, lineCounter: LineCounter): { line: number; column: number } {
  const start = scalar.range?.[0] ?? 0;
  const origin = lineCounter.linePos(start);
  if (scalar.type === 'BLOCK_LITERAL' || scalar.type === 'BLOCK_FOLDED') {
    // Content starts on the line after the header (`|`, `>-`, ...), indented.
    // The block's indentation is that of its first non-blank content line.
    let indent = 0;
    for (let l = origin.line; l < lineCounter.lineStarts.length; l++) {
      const start = lineCounter.lineStarts[l];
      let n = 0;
      while (text[start + n] === ' ') n++;
      if (text[start + n] !== '\n' && text[start + n] !== '\r' && start + n < text.length) { indent = n; break; }
    }
    const contentLine = origin.line + line;
    return { line: contentLine, column: indent + column };
  }
  const quote = scalar.type === 'QUOTE_DOUBLE' || scalar.type === 'QUOTE_SINGLE' ? 1 : 0;
  if (line === 1) return { line: origin.line, column: origin.col + quote + column - 1 };
  return { line: origin.line + line - 1, column };
}
