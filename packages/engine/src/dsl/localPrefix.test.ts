import { describe, expect, test } from 'vitest';
import { parseExpressionAt } from 'acorn';
import { checkPredicate } from './checkPredicate.js';
import type { EsNode } from './parseRule.js';
import { emit } from './generatePredicate.js';
import { localPrefix } from './localPrefix.js';

function prefixOf(text: string): string | null {
  const node = parseExpressionAt(text, 0, { ecmaVersion: 2022, locations: true }) as unknown as EsNode;
  const prefix = localPrefix(checkPredicate(node, 'the predicate').body);
  return prefix === null ? null : emit(prefix);
}

describe('localPrefix', () => {
  test('the leading conjuncts that read only the span', () => {
    expect(prefixOf("s => s.kind === 'CLIENT' && s.attributes['db.system'] !== undefined && s.parent !== null && s.parent.name === 'a'"))
      .toBe('((p0["kind"] === "CLIENT") && (H.attribute(p0, "db.system") !== (void 0)))');
    // Events and links are the span's own data.
    expect(prefixOf("s => s.status === 'ERROR' && s.events.some(e => e.name === 'exception') && s.children.length > 0"))
      .toBe('((p0["status"] === "ERROR") && H.some(p0["events"], (p1) => (p1["name"] === "exception")))');
  });

  test('stops at a conjunct reading parent or children, a computed property, one that may throw, or a regex', () => {
    expect(prefixOf("s => s.name === 'a' && s.duration > 10 && s.children.length > 0")).toBe('((p0["name"] === "a") && (p0["duration"] > 10))');
    expect(prefixOf("s => s.name === 'a' && s.attributes['x'] > 1 && s.children.length > 0")).toBe('(p0["name"] === "a")');
    expect(prefixOf("s => s.name === 'a' && /x/.test(s.name) && s.children.length > 0")).toBe('(p0["name"] === "a")');
    expect(prefixOf("s => s.name === 'a' && s['par' + 'ent'] !== null && s.isRoot")).toBe('(p0["name"] === "a")');
  });

  test('none when the first conjunct is structural, or when the whole predicate is local', () => {
    expect(prefixOf("s => s.parent !== null && s.name === 'a'")).toBeNull();
    expect(prefixOf("s => s.name === 'a' || s.children.length > 0")).toBeNull();
    expect(prefixOf("s => s.name === 'a' && s.duration > 10")).toBeNull();
  });
});
