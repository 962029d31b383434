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
 *
 * Used on the ingest thread for every kept trace (encodeTracesData): a
 * resource's key is computed once per resource object and remembered
 * (decoded spans share their resource object across the traces a request
 * feeds; resources are immutable after decoding), and consecutive spans of one
 * resource skip the lookups.
 */
export function groupSpans(spans: readonly Span[]): ResourceGroup[] {
  const groups: ResourceGroup[] = [];
  const byResource = new Map<AttributeMap, ResourceGroup>();
  const byKey = new Map<string, ResourceGroup>();
  let lastResource: AttributeMap | undefined;
  let lastGroup: ResourceGroup | undefined;
  for (const span of spans) {
    let group: ResourceGroup;
    if (span.resource === lastResource) {
      group = lastGroup!;
    } else {
      let found = byResource.get(span.resource);
      if (found === undefined) {
        const key = resourceKey(span.resource);
        found = byKey.get(key);
        if (found === undefined) {
          found = { resource: span.resource, scopes: [] };
          groups.push(found);
          byKey.set(key, found);
        }
        byResource.set(span.resource, found);
      }
      group = found;
      lastResource = span.resource;
      lastGroup = group;
    }
    const scope = span.scope;
    let scopeGroup: ScopeGroup | undefined;
    for (const candidate of group.scopes) {
      if (candidate.scope === scope || (candidate.scope.name === scope.name && candidate.scope.version === scope.version)) {
        scopeGroup = candidate;
        break;
      }
    }
    if (scopeGroup === undefined) {
      scopeGroup = { scope, spans: [] };
      group.scopes.push(scopeGroup);
    }
    scopeGroup.spans.push(span);
  }
  return groups;
}

const resourceKeys = new WeakMap<AttributeMap, string>();

function resourceKey(resource: AttributeMap): string {
  let key = resourceKeys.get(resource);
  if (key === undefined) {
    key = canonical(resource);
    resourceKeys.set(resource, key);
  }
  return key;
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
