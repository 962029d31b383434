/**
 * Autocompletion for the rule DSL: `trace.` conditions, members after a
 * span parameter (`span.`, `s.`, `sibling.`: any identifier bound by an
 * arrow function), chain methods after `)`, and attribute keys seen in
 * recent traces inside `attributes['` or `resource['`.
 */
import type { Completion, CompletionContext, CompletionResult } from '@codemirror/autocomplete';

export const TRACE_MEMBERS: readonly Completion[] = [
  { label: 'has', type: 'method', detail: '(span => …)', info: 'Some span satisfies the predicate.', apply: 'has(span => ' },
  { label: 'missing', type: 'method', detail: '(span => …)', info: 'No span satisfies the predicate.', apply: 'missing(span => ' },
  { label: 'count', type: 'method', detail: '(span => …) > n', info: 'Number of spans satisfying the predicate, compared with a number.', apply: 'count(span => ' },
  { label: 'where', type: 'method', detail: '(span => …)', info: 'A view of the spans below each matching anchor span.', apply: 'where(span => ' },
  { label: 'not', type: 'method', detail: '(condition)', info: 'The condition does not hold.', apply: 'not(' },
];

export const CHAIN_MEMBERS: readonly Completion[] = [
  { label: 'and', type: 'method', detail: '(condition, …)', info: 'Both conditions hold.', apply: 'and(' },
  { label: 'or', type: 'method', detail: '(condition, …)', info: 'Either condition holds.', apply: 'or(' },
  { label: 'within', type: 'method', detail: "('5 seconds')", info: 'The witnesses of the chain fall within this time window.', apply: "within('" },
  { label: 'followedBy', type: 'method', detail: '(condition)', info: 'The second condition holds after the first (by start time).', apply: 'followedBy(' },
];

export const SPAN_MEMBERS: readonly Completion[] = [
  ['name', 'string'], ['service', 'string or undefined'], ['kind', "'SERVER' | 'CLIENT' | 'INTERNAL' | 'PRODUCER' | 'CONSUMER'"],
  ['status', "'UNSET' | 'OK' | 'ERROR'"], ['statusMessage', 'string'], ['duration', 'ms'], ['startTime', 'ms since epoch'], ['endTime', 'ms since epoch'],
  ['attributes', "attributes['key']"], ['resource', "resource['key']"], ['events', 'array of events'], ['links', 'array of links'],
  ['parent', 'span or null'], ['children', 'array of spans'], ['isRoot', 'boolean'], ['traceId', 'hex'], ['spanId', 'hex'], ['parentSpanId', 'hex or null'],
  ['scope', '{ name, version }'], ['traceState', 'string'], ['startTimeUnixNano', 'string'], ['endTimeUnixNano', 'string'],
].map(([label, detail]) => ({ label, type: 'property', detail }));

/** Identifiers bound as arrow-function parameters in the text, e.g. `span` in `span => …`. */
export function spanParameters(text: string): Set<string> {
  const names = new Set<string>(['span']);
  for (const m of text.matchAll(/\b([A-Za-z_$][\w$]*)\s*=>/g)) names.add(m[1]);
  for (const m of text.matchAll(/\(\s*([A-Za-z_$][\w$]*)\s*\)\s*=>/g)) names.add(m[1]);
  return names;
}

export function dslCompletionSource(keys: () => { spanAttributes: string[]; resourceAttributes: string[] }) {
  return (context: CompletionContext): CompletionResult | null => {
    const line = context.state.doc.lineAt(context.pos);
    const before = line.text.slice(0, context.pos - line.from);

    const attr = /\b(attributes|resource)\[\s*(['"])([^'"]*)$/.exec(before);
    if (attr) {
      const list = attr[1] === 'attributes' ? keys().spanAttributes : keys().resourceAttributes;
      const quote = attr[2];
      return {
        from: context.pos - attr[3].length,
        options: list.map((k) => ({ label: k, type: 'constant', detail: attr[1] === 'attributes' ? 'seen in recent traces' : 'resource key seen', apply: `${k}${quote}]` })),
        validFor: /^[^'"]*$/,
      };
    }
    const member = /([A-Za-z_$][\w$]*|\))\s*\.\s*([\w$]*)$/.exec(before);
    if (member) {
      const [, owner, typed] = member;
      const from = context.pos - typed.length;
      if (owner === 'trace') return { from, options: [...TRACE_MEMBERS], validFor: /^[\w$]*$/ };
      if (owner === ')') return { from, options: [...CHAIN_MEMBERS], validFor: /^[\w$]*$/ };
      if (spanParameters(context.state.doc.toString()).has(owner) || owner === 'parent') return { from, options: [...SPAN_MEMBERS], validFor: /^[\w$]*$/ };
      return null;
    }
    const word = context.matchBefore(/[\w$]+/);
    if (context.explicit || (word && word.text.length >= 2)) {
      return { from: word ? word.from : context.pos, options: [{ label: 'trace', type: 'variable', info: 'The trace being evaluated' }], validFor: /^[\w$]*$/ };
    }
    return null;
  };
}
