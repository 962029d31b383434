/**
 * Writing rule text from data: literals and span-identity predicates that the
 * learning modules put into proposed rules. Every value goes through
 * `literal`, so attribute keys and values from traffic can never change the
 * shape of the generated rule (the result is compiled again by the caller
 * anyway, through the same allow-list as user rules).
 */
import type { Span } from '../trace/span.js';

/** A span kind as the learning modules identify it: service and span name. */
export interface SpanKey {
  service: string | null;
  name: string;
}

const PLAIN = /^[A-Za-z0-9 _.:/@#%+=,()[\]{}<>*?&|!^$-]*$/;

/** A JavaScript literal for a primitive value: single-quoted strings when that needs no escapes, else JSON. */
export function literal(value: string | number | boolean | null | undefined): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return PLAIN.test(value) ? `'${value}'` : JSON.stringify(value);
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
    return Object.is(value, -0) ? '0' : String(value);
  }
  return String(value);
}

export function spanKeyOf(span: Span): SpanKey {
  return { service: span.service ?? null, name: span.name };
}

/** A stable string for maps: service and name joined by a character neither contains in practice. */
export function spanKeyId(key: SpanKey): string {
  return `${key.service ?? ''}\u0000${key.name}`;
}

export function formatSpanKey(key: SpanKey): string {
  return key.service === null ? key.name : `${key.service} ${key.name}`;
}

/** The predicate body matching spans of a kind, over parameter `param`. */
export function spanKeyCondition(key: SpanKey, param = 'span'): string {
  const service = key.service === null ? `${param}.service === undefined` : `${param}.service === ${literal(key.service)}`;
  return `${service} && ${param}.name === ${literal(key.name)}`;
}

/** `trace.has(span => <kind> [&& extra])`. */
export function hasSpan(key: SpanKey, extra?: string): string {
  return `trace.has(span => ${spanKeyCondition(key)}${extra ? ` && ${extra}` : ''})`;
}
