/**
 * The behaviour every Store must share (see the contract in store.ts), as a
 * vitest suite to run against each store: `describeStoreConformance(name,
 * factory)`. The factory opens a fresh, empty store; `reopen` (optional)
 * opens the same data again, to check durability.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Signal } from '@fluohq/engine';
import { FluoError } from '../errors.js';
import { keptTrace } from './keptTrace.js';
import type { SerializedSpan } from './serializedSpan.js';
import { PermanentWriteError, type NewSignal, type RuleRecord, type Store, type TokenRecord } from './store.js';

export interface StoreUnderTest {
  store: Store;
  /** Closes `store` if needed and opens the same data again. */
  reopen?: () => Promise<Store>;
}

const T0 = 1_760_000_000_000;

export function testSpan(traceId: string, spanId: string, overrides: Partial<SerializedSpan> = {}): SerializedSpan {
  const startTime = overrides.startTime ?? T0;
  const endTime = overrides.endTime ?? startTime + 10;
  const attributes = Object.create(null) as Record<string, unknown>;
  attributes['http.route'] = '/login';
  attributes['__proto__'] = 'plain data';
  return {
    traceId, spanId, parentSpanId: null, traceState: '', name: 'span', kind: 'SERVER', status: 'UNSET', statusMessage: '',
    startTime, endTime, duration: endTime - startTime,
    startTimeUnixNano: `${startTime}000000`, endTimeUnixNano: `${endTime}000000`,
    service: 'auth', attributes: attributes as SerializedSpan['attributes'], resource: { 'service.name': 'auth' } as SerializedSpan['resource'],
    scope: { name: 'test', version: '1' }, events: [], links: [],
    ...overrides,
  };
}

export function testSignal(n: number, overrides: Partial<Signal> = {}): NewSignal {
  const traceId = (overrides.traceId ?? n.toString(16)).padStart(32, '0');
  const signal: Signal = {
    id: `sig-${n}`, ruleId: 'rule-a', ruleName: 'Rule A', ruleVersion: 1, severity: 'warning', mode: 'alert',
    traceId, spanIds: [n.toString(16).padStart(16, '0')], message: `signal ${n}`, detectedAt: T0 + n * 1000,
    firstSpanTime: T0, lastSpanTime: T0 + 10, services: ['auth'], ...overrides,
  };
  return { signal, evidence: [testSpan(traceId, n.toString(16).padStart(16, '0'))] };
}

function rule(id: string, overrides: Partial<RuleRecord> = {}): RuleRecord {
  return {
    id, name: `Rule ${id}`, description: '', severity: 'warning', dsl: "trace.has(s => s.status === 'ERROR')", enabled: true,
    mode: 'alert', tags: ['a'], version: 1, createdAt: T0, updatedAt: T0, source: 'api', ...overrides,
  };
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  const err = await promise.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(FluoError);
  expect((err as FluoError).code).toBe(code);
}

export function describeStoreConformance(name: string, factory: () => Promise<StoreUnderTest>): void {
  describe(`Store conformance: ${name}`, () => {
    let current: StoreUnderTest;
    const open = async (): Promise<Store> => {
      current = await factory();
      return current.store;
    };
    afterEach(async () => {
      await current?.store.close();
    });

    it('creates, reads, lists, updates with a version check, and deletes rules', async () => {
      const store = await open();
      await store.createRule(rule('b'));
      await store.createRule(rule('a', { tags: [], enabled: false, mode: 'shadow', description: 'd' }));
      await rejectsWith(store.createRule(rule('a')), 'CONFLICT');
      expect((await store.listRules()).map((r) => r.id)).toEqual(['a', 'b']);
      expect(await store.getRule('a')).toEqual(rule('a', { tags: [], enabled: false, mode: 'shadow', description: 'd' }));
      expect(await store.getRule('missing')).toBeNull();

      await store.updateRule(rule('a', { version: 2, name: 'renamed', updatedAt: T0 + 1 }), 1);
      expect(await store.getRule('a')).toMatchObject({ version: 2, name: 'renamed', updatedAt: T0 + 1, createdAt: T0 });
      await rejectsWith(store.updateRule(rule('a', { version: 3 }), 1), 'CONFLICT');
      await rejectsWith(store.updateRule(rule('zzz', { version: 2 }), 1), 'NOT_FOUND');

      expect(await store.deleteRule('a')).toBe(true);
      expect(await store.deleteRule('a')).toBe(false);
      expect((await store.listRules()).map((r) => r.id)).toEqual(['b']);
    });

    it('stores signals idempotently by id, with increasing seq, and returns only new ones', async () => {
      const store = await open();
      expect(await store.lastSignalSeq()).toBe(0);
      const first = await store.write({ signals: [testSignal(1), testSignal(2)], traces: [] });
      expect(first.map((s) => s.id)).toEqual(['sig-1', 'sig-2']);
      expect(first[0].seq).toBeGreaterThan(0);
      expect(first[1].seq).toBeGreaterThan(first[0].seq);
      expect(first[0]).toMatchObject({ status: 'open', statusUpdatedAt: testSignal(1).signal.detectedAt });

      const again = await store.write({ signals: [testSignal(2), testSignal(3)], traces: [] });
      expect(again.map((s) => s.id)).toEqual(['sig-3']);
      expect(again[0].seq).toBeGreaterThan(first[1].seq);
      expect(await store.lastSignalSeq()).toBe(again[0].seq);
      expect((await store.listSignals({ limit: 10 })).map((s) => s.id)).toEqual(['sig-3', 'sig-2', 'sig-1']);
    });

    it('keeps a signal\'s evidence exactly, with attribute maps read back as plain data', async () => {
      const store = await open();
      const input = testSignal(7);
      await store.write({ signals: [input], traces: [] });
      const detail = await store.getSignal('sig-7');
      expect(detail).not.toBeNull();
      const { seq, status, statusUpdatedAt, evidence, history, ...signal } = detail!;
      expect(signal).toEqual(input.signal);
      expect(history).toEqual([]);
      expect(JSON.parse(JSON.stringify(evidence))).toEqual(JSON.parse(JSON.stringify(input.evidence)));
      expect(Object.getPrototypeOf(evidence[0].attributes)).toBeNull();
      expect(Object.keys(evidence[0].attributes)).toContain('__proto__');
      expect(evidence[0].attributes['__proto__']).toBe('plain data');
      expect(await store.getSignal('nope')).toBeNull();
      void seq; void status; void statusUpdatedAt;
    });

    it('writes a batch atomically: nothing is stored when any part fails, and unstorable data is a PermanentWriteError', async () => {
      const store = await open();
      const bad = testSignal(2);
      (bad.evidence[0].attributes as Record<string, unknown>).big = 10n; // not serializable
      await expect(store.write({ signals: [testSignal(1), bad], traces: [keptTrace('ab'.repeat(16), [testSpan('ab'.repeat(16), '1'.repeat(16))], T0)] })).rejects.toBeInstanceOf(PermanentWriteError);
      expect(await store.listSignals({ limit: 10 })).toEqual([]);
      expect(await store.listTraces({ limit: 10 })).toEqual([]);
      expect((await store.write({ signals: [testSignal(1)], traces: [] })).map((s) => s.id)).toEqual(['sig-1']);
    });

    it('filters signals and pages them newest first without repeats while new ones arrive', async () => {
      const store = await open();
      const inputs = Array.from({ length: 12 }, (_, i) => testSignal(i + 1, {
        ruleId: i % 2 === 0 ? 'rule-a' : 'rule-b',
        severity: i % 3 === 0 ? 'critical' : 'info',
        services: i % 4 === 0 ? ['payment', 'db'] : ['auth'],
      }));
      await store.write({ signals: inputs, traces: [] });
      const ids = (list: Array<{ id: string }>) => list.map((s) => s.id);
      expect(ids(await store.listSignals({ ruleId: 'rule-b', limit: 100 }))).toEqual(['sig-12', 'sig-10', 'sig-8', 'sig-6', 'sig-4', 'sig-2']);
      expect(ids(await store.listSignals({ severity: 'critical', limit: 100 }))).toEqual(['sig-10', 'sig-7', 'sig-4', 'sig-1']);
      expect(ids(await store.listSignals({ service: 'db', limit: 100 }))).toEqual(['sig-9', 'sig-5', 'sig-1']);
      expect(ids(await store.listSignals({ service: 'pay', limit: 100 }))).toEqual([]);
      expect(ids(await store.listSignals({ since: T0 + 3000, until: T0 + 6000, limit: 100 }))).toEqual(['sig-5', 'sig-4', 'sig-3']);
      expect(ids(await store.listSignals({ ruleId: 'rule-a', severity: 'critical', limit: 100 }))).toEqual(['sig-7', 'sig-1']);

      const page1 = await store.listSignals({ limit: 5 });
      expect(ids(page1)).toEqual(['sig-12', 'sig-11', 'sig-10', 'sig-9', 'sig-8']);
      await store.write({ signals: [testSignal(13)], traces: [] }); // arrives between pages
      const page2 = await store.listSignals({ limit: 5, beforeSeq: page1[4].seq });
      expect(ids(page2)).toEqual(['sig-7', 'sig-6', 'sig-5', 'sig-4', 'sig-3']);
      const page3 = await store.listSignals({ limit: 5, beforeSeq: page2[4].seq });
      expect(ids(page3)).toEqual(['sig-2', 'sig-1']);

      const after = await store.signalsAfter(page2[0].seq, 3);
      expect(ids(after)).toEqual(['sig-8', 'sig-9', 'sig-10']);
      expect(ids(await store.signalsAfter(await store.lastSignalSeq(), 10))).toEqual([]);
    });

    it('changes a signal\'s status and keeps the history', async () => {
      const store = await open();
      await store.write({ signals: [testSignal(1)], traces: [] });
      const acked = await store.updateSignalStatus('sig-1', { to: 'acknowledged', by: 'alice', note: 'looking', at: T0 + 5000 });
      expect(acked).toMatchObject({ status: 'acknowledged', statusUpdatedAt: T0 + 5000 });
      const resolved = await store.updateSignalStatus('sig-1', { to: 'resolved', by: 'bob', note: null, at: T0 + 9000 });
      expect(resolved!.history).toEqual([
        { at: T0 + 5000, by: 'alice', from: 'open', to: 'acknowledged', note: 'looking' },
        { at: T0 + 9000, by: 'bob', from: 'acknowledged', to: 'resolved', note: null },
      ]);
      expect((await store.listSignals({ status: 'resolved', limit: 10 })).map((s) => s.id)).toEqual(['sig-1']);
      expect(await store.listSignals({ status: 'open', limit: 10 })).toEqual([]);
      expect(await store.updateSignalStatus('nope', { to: 'resolved', by: 'x', note: null, at: T0 })).toBeNull();
    });

    it('keeps traces: summaries, filters, cursor pages, spans, and merges a trace written twice', async () => {
      const store = await open();
      const id = (n: number) => n.toString(16).padStart(32, '0');
      const traces = [1, 2, 3, 4].map((n) => keptTrace(id(n), [
        testSpan(id(n), `${n}`.padStart(16, '0'), { name: n % 2 ? 'GET /a' : 'POST /b', startTime: T0 + n * 100, endTime: T0 + n * 100 + 50, service: n === 4 ? 'payment' : 'auth' }),
        testSpan(id(n), `${n}`.padStart(15, '0') + 'f', { parentSpanId: `${n}`.padStart(16, '0'), name: 'db', status: 'ERROR', startTime: T0 + n * 100 + 10, endTime: T0 + n * 100 + 70, service: 'db' }),
      ], T0 + 10_000 + n));
      await store.write({ signals: [], traces });

      const summaries = await store.listTraces({ limit: 10 });
      expect(summaries.map((t) => t.traceId)).toEqual([id(4), id(3), id(2), id(1)]);
      expect(summaries[3]).toEqual({
        traceId: id(1), rootName: 'GET /a', services: ['auth', 'db'], spanCount: 2, errorCount: 1,
        startTime: T0 + 100, endTime: T0 + 170, duration: 70, completedAt: T0 + 10_001,
      });
      expect((await store.listTraces({ service: 'payment', limit: 10 })).map((t) => t.traceId)).toEqual([id(4)]);
      expect((await store.listTraces({ name: 'GET /a', limit: 10 })).map((t) => t.traceId)).toEqual([id(3), id(1)]);
      expect((await store.listTraces({ since: T0 + 200, until: T0 + 400, limit: 10 })).map((t) => t.traceId)).toEqual([id(3), id(2)]);
      const page1 = await store.listTraces({ limit: 2 });
      const page2 = await store.listTraces({ limit: 2, after: { startTime: page1[1].startTime, traceId: page1[1].traceId } });
      expect(page2.map((t) => t.traceId)).toEqual([id(2), id(1)]);

      const scanned = await store.scanTraces({ limit: 1 });
      expect(scanned[0].spans.map((s) => s.name)).toEqual(['POST /b', 'db']);

      // Late spans complete the same trace again: the two writes are merged.
      const late = keptTrace(id(1), [testSpan(id(1), 'e'.repeat(16), { name: 'late', startTime: T0 + 500, endTime: T0 + 600, service: 'mail' })], T0 + 20_000);
      await store.write({ signals: [], traces: [late] });
      const merged = await store.getTrace(id(1));
      expect(merged).toMatchObject({ spanCount: 3, services: ['auth', 'db', 'mail'], startTime: T0 + 100, endTime: T0 + 600, completedAt: T0 + 20_000, rootName: 'GET /a' });
      expect(merged!.spans.map((s) => s.name)).toEqual(['GET /a', 'db', 'late']);
      expect(await store.getTrace(id(99))).toBeNull();
      expect(await store.stats()).toMatchObject({ traces: 4, spans: 9 });
    });

    it('prunes traces by age, then the oldest until the span bound holds', async () => {
      const store = await open();
      const id = (n: number) => n.toString(16).padStart(32, '0');
      const traces = [1, 2, 3, 4, 5].map((n) => keptTrace(id(n), Array.from({ length: n }, (_, i) => testSpan(id(n), `${n}${i}`.padStart(16, '0'))), T0 + n * 1000));
      await store.write({ signals: [], traces });
      expect(await store.pruneTraces({ completedBefore: T0 + 2500, maxSpans: 1000 })).toEqual({ traces: 2, spans: 3 });
      expect((await store.listTraces({ limit: 10 })).length).toBe(3);
      // 3 + 4 + 5 = 12 spans; at most 9 leaves traces 4 and 5.
      expect(await store.pruneTraces({ completedBefore: 0, maxSpans: 9 })).toEqual({ traces: 1, spans: 3 });
      expect((await store.scanTraces({ limit: 10 })).map((t) => t.spanCount).sort()).toEqual([4, 5]);
      expect(await store.pruneTraces({ completedBefore: 0, maxSpans: 9 })).toEqual({ traces: 0, spans: 0 });
    });

    it('keeps everything across a reopen, and never reuses a seq', async () => {
      const store = await open();
      if (!current.reopen) return;
      await store.createRule(rule('kept'));
      const [s] = await store.write({ signals: [testSignal(1)], traces: [keptTrace('f'.repeat(32), [testSpan('f'.repeat(32), 'a'.repeat(16))], T0)] });
      await store.updateSignalStatus('sig-1', { to: 'acknowledged', by: 'alice', note: null, at: T0 });
      const again = await current.reopen();
      current = { store: again, reopen: current.reopen };
      expect((await again.getRule('kept'))?.name).toBe('Rule kept');
      expect((await again.getSignal('sig-1'))?.history).toHaveLength(1);
      expect(await again.getTrace('f'.repeat(32))).not.toBeNull();
      expect(await again.lastSignalSeq()).toBe(s.seq);
      const [next] = await again.write({ signals: [testSignal(2)], traces: [] });
      expect(next.seq).toBeGreaterThan(s.seq);
    });

    it('stores API tokens by hash: create, find, list, revoke idempotently, durable', async () => {
      const store = await open();
      const token = (id: string, hash: string, overrides: Partial<TokenRecord> = {}): TokenRecord => ({
        id, name: `name-${id}`, role: 'editor', hash, prefix: 'fluo_abc', createdAt: T0, createdBy: 'cli', revokedAt: null, ...overrides,
      });
      await store.createToken(token('tok_1', 'a'.repeat(64)));
      await store.createToken(token('tok_2', 'b'.repeat(64), { role: 'viewer', createdAt: T0 + 1, createdBy: 'admin' }));
      await rejectsWith(store.createToken(token('tok_1', 'c'.repeat(64))), 'CONFLICT');
      await rejectsWith(store.createToken(token('tok_3', 'a'.repeat(64))), 'CONFLICT');
      expect(await store.findTokenByHash('a'.repeat(64))).toEqual(token('tok_1', 'a'.repeat(64)));
      expect(await store.findTokenByHash('f'.repeat(64))).toBeNull();
      expect((await store.listTokens()).map((t) => t.id)).toEqual(['tok_1', 'tok_2']);
      expect((await store.revokeToken('tok_1', T0 + 5))?.revokedAt).toBe(T0 + 5);
      expect((await store.revokeToken('tok_1', T0 + 9))?.revokedAt).toBe(T0 + 5);
      expect(await store.revokeToken('missing', T0)).toBeNull();
      expect((await store.findTokenByHash('a'.repeat(64)))?.revokedAt).toBe(T0 + 5);
      expect((await store.findTokenByHash('b'.repeat(64)))?.revokedAt).toBeNull();
      if (current.reopen) {
        const again = await current.reopen();
        current = { store: again, reopen: current.reopen };
        expect((await again.listTokens()).map((t) => [t.id, t.role, t.revokedAt])).toEqual([['tok_1', 'editor', T0 + 5], ['tok_2', 'viewer', null]]);
      }
    });

    it('appends audit entries with increasing seq and lists them newest first, filtered and paginated', async () => {
      const store = await open();
      const a = await store.appendAudit({ at: T0, actor: 'alice', action: 'rule.create', target: 'rule:r1', before: null, after: { id: 'r1', dsl: 'x' } });
      const b = await store.appendAudit({ at: T0 + 1, actor: 'bob', action: 'signal.status', target: 'signal:s1', before: { status: 'open' }, after: { status: 'resolved' } });
      const c = await store.appendAudit({ at: T0 + 2, actor: 'alice', action: 'rule.delete', target: 'rule:r1', before: { id: 'r1', tags: ['__proto__'] }, after: null });
      expect(b.seq).toBeGreaterThan(a.seq);
      expect(c.seq).toBeGreaterThan(b.seq);
      expect(a).toEqual({ seq: a.seq, at: T0, actor: 'alice', action: 'rule.create', target: 'rule:r1', before: null, after: { id: 'r1', dsl: 'x' } });
      expect((await store.listAudit({ limit: 10 })).map((e) => e.seq)).toEqual([c.seq, b.seq, a.seq]);
      expect((await store.listAudit({ limit: 2 })).map((e) => e.seq)).toEqual([c.seq, b.seq]);
      expect((await store.listAudit({ limit: 10, beforeSeq: b.seq })).map((e) => e.seq)).toEqual([a.seq]);
      expect((await store.listAudit({ limit: 10, target: 'rule:r1' })).map((e) => e.seq)).toEqual([c.seq, a.seq]);
      expect((await store.listAudit({ limit: 10, action: 'rule.' })).map((e) => e.seq)).toEqual([c.seq, a.seq]);
      expect((await store.listAudit({ limit: 10, action: 'signal.status' })).map((e) => e.actor)).toEqual(['bob']);
      expect((await store.listAudit({ limit: 10, action: 'rule' }))).toEqual([]);
      expect((await store.listAudit({ limit: 10 }))[0].before).toEqual({ id: 'r1', tags: ['__proto__'] });
    });

    it('closes idempotently and refuses calls after close', async () => {
      const store = await open();
      await store.close();
      await store.close();
      await expect(store.listRules()).rejects.toThrow();
      await expect(store.write({ signals: [testSignal(1)], traces: [] })).rejects.toThrow();
    });
  });
}
