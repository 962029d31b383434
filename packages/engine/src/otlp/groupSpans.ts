import type { AttributeMap, AttributeValue, InstrumentationScope, Span } from '../trace/span.js';

export interface ScopeGroup {
  scope: InstrumentationScope;
  spans: Span[];
}

export interface ResourceGroup {
  resource: AttributeMap;
  scopes: ScopeGroup[];
}

/**
 * Groups spans the way OTLP nests them: by resource (equal attributes, not
 * just the same object), then by scope name and version. Groups come in order
 * of first appearance and keep their spans' order, so spans that arrive
 * already grouped (as every decoded request is) keep their order exactly.
 */
export function groupSpans(spans: readonly Span[]): ResourceGroup[] {
  const groups: ResourceGroup[] = [];
  const byKey = new Map<string, { group: ResourceGroup; scopes: Map<string, ScopeGroup> }>();
  const keyOf = new Map<AttributeMap, string>();
  for (const span of spans) {
    let key = keyOf.get(span.resource);
    if (key === undefined) {
      key = canonical(span.resource);
      keyOf.set(span.resource, key);
    }
    let entry = byKey.get(key);
    if (entry === undefined) {
      entry = { group: { resource: span.resource, scopes: [] }, scopes: new Map() };
      byKey.set(key, entry);
      groups.push(entry.group);
    }
    const scopeKey = `${span.scope.name}\u0000${span.scope.version}`;
    let scopeGroup = entry.scopes.get(scopeKey);
    if (scopeGroup === undefined) {
      scopeGroup = { scope: span.scope, spans: [] };
      entry.scopes.set(scopeKey, scopeGroup);
      entry.group.scopes.push(scopeGroup);
    }
    scopeGroup.spans.push(span);
  }
  return groups;
}

/** A string equal for equal attribute values (key order ignored), distinct across types. */
function canonical(value: AttributeValue): string {
  if (value === null) return 'n';
  if (value === undefined) return 'u';
  switch (typeof value) {
    case 'string': return `s${JSON.stringify(value)}`;
    case 'number': return `d${Object.is(value, -0) ? '-0' : String(value)}`;
    case 'boolean': return value ? 't' : 'f';
  }
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const map = value as AttributeMap;
  return `{${Object.keys(map).sort().map((k) => `${JSON.stringify(k)}:${canonical(map[k])}`).join(',')}}`;
}
