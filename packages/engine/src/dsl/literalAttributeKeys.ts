import type { PExpr } from './checkPredicate.js';
import { childrenOf } from './generatePredicate.js';

/**
 * Adds to `into` the keys of the span attributes `e` reads by a literal key
 * (`span.attributes['k']`, marked spanAttribute by the checker): what a
 * decoder in arrival mode decodes (DecodeOptions.attributeKeys). Other reads
 * of an attribute map (a computed key, the map itself) are correct without
 * it: they decode the whole map.
 */
export function literalAttributeKeys(e: PExpr, into: Set<string>): Set<string> {
  if (e.t === 'member' && e.spanAttribute === true && typeof e.key === 'string') into.add(e.key);
  for (const child of childrenOf(e)) literalAttributeKeys(child, into);
  return into;
}
