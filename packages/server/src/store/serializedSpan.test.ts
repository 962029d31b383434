import { describe, expect, it } from 'vitest';
import { evidenceJson, evidenceTexts, type SerializedSpan } from './serializedSpan.js';
import { testSpan } from './storeConformance.testkit.js';

describe('evidenceJson', () => {
  const trace = 'ab'.repeat(16);
  const spans: SerializedSpan[] = [
    testSpan(trace, '1'.repeat(16)),
    testSpan(trace, '2'.repeat(16), { name: 'quote " and \\ and \u2028 and ☃', statusMessage: '\u0000' }),
    testSpan(trace, '3'.repeat(16), { events: [{ name: 'e', time: 1.5, timeUnixNano: '1500000', attributes: Object.assign(Object.create(null), { n: -0, x: [1, { y: null }] }) }] }),
  ];

  it('gives exactly JSON.stringify(evidence), with spans shared between the evidence of several signals', () => {
    const cache = new Map<SerializedSpan, string>();
    const evidences = [[], [spans[0]], [spans[0], spans[1], spans[2]], [spans[2], spans[0]], [spans[1], spans[1]]];
    for (const evidence of evidences) expect(evidenceJson(evidence, cache)).toBe(JSON.stringify(evidence));
    expect(cache.size).toBe(3);
    expect(JSON.parse(evidenceJson([spans[1], spans[2]], cache))).toEqual(JSON.parse(JSON.stringify([spans[1], spans[2]])));
  });

  it('stringifies each span object once per cache', () => {
    let calls = 0;
    const counted = { ...spans[0], toJSON() { calls++; return spans[0]; } } as unknown as SerializedSpan;
    const cache = new Map<SerializedSpan, string>();
    evidenceJson([counted, spans[1]], cache);
    evidenceJson([spans[1], counted], cache);
    expect(calls).toBe(1);
    evidenceJson([counted], new Map());
    expect(calls).toBe(2);
  });

  it('evidenceTexts: one text per evidence array, told apart by identity, each exactly its JSON', () => {
    const shared = [spans[0], spans[1]];
    const equalButOther = [spans[0], spans[1]];
    const evidence = evidenceTexts();
    expect([shared, spans.slice(2), shared, equalButOther, shared].map((e) => evidence.indexOf(e))).toEqual([0, 1, 0, 2, 0]);
    expect(evidence.texts).toEqual([JSON.stringify(shared), JSON.stringify(spans.slice(2)), JSON.stringify(equalButOther)]);
  });
});
