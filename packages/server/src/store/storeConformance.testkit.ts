/**
 * The behaviour every Store must share (see the contract in store.ts), as a
 * vitest suite to run against each store: `describeStoreConformance(name,
 * factory)`. The factory opens a fresh, empty store; `reopen` (optional)
 * opens the same data again, to check durability; `peer` (for stores that
 * several FLUO instances share) opens another handle on the same data, as
 * another instance would, and adds the tests of sharing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Signal } from '@fluohq/engine';
import { FluoError } from '../errors.js';
import { newTrace } from './keptTrace.js';
import { toSpans, type SerializedSpan } from './serializedSpan.js';
import { PermanentWriteError, type ChannelRecord, type NewNotification, type NewSignal, type NewTrace, type RuleRecord, type Store, type TokenRecord } from './store.js';

export interface StoreUnderTest {
  store: Store;
  /** Closes `store` if needed and opens the same data again. */
  reopen?: () => Promise<Store>;
  /** Opens another handle on the same data, as another FLUO instance would (closed by the suite). */
  peer?: () => Promise<Store>;
}

export interface ConformanceOptions {
  /** The store is shared by several instances: the factory gives `peer`, and the sharing tests run. */
  shared?: boolean;
}

const T0 = 1_760_000_000_000;

export function testSpan(traceId: string, spanId: string, overrides: Partial<SerializedSpan> = {}): SerializedSpan {
  const startTime = overrides.startTime ?? T0;
  const endTime = overrides.endTime ?? startTime + 10;
  const service = overrides.service ?? 'auth';
  const attributes = Object.create(null) as Record<string, unknown>;
  attributes['http.route'] = '/login';
  attributes['__proto__'] = 'plain data';
  return {
    traceId, spanId, parentSpanId: null, traceState: '', name: 'span', kind: 'SERVER', status: 'UNSET', statusMessage: '',
    startTime, endTime, duration: endTime - startTime,
    startTimeUnixNano: `${startTime}000000`, endTimeUnixNano: `${endTime}000000`,
    service, attributes: attributes as SerializedSpan['attributes'], resource: Object.assign(Object.create(null) as SerializedSpan['resource'], { 'service.name': service }),
    scope: { name: 'test', version: '1' }, events: [], links: [],
    ...overrides,
  };
}

/** A completed trace to write, from serialized spans (as the pipeline makes it from engine spans). */
export function testTrace(traceId: string, spans: SerializedSpan[], completedAt: number): NewTrace {
  return newTrace(traceId, toSpans(spans), completedAt);
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

export function testNotification(key: string, overrides: Partial<NewNotification> = {}): NewNotification {
  return {
    key, channelId: 'ch-1', kind: 'trigger', signalId: null, ruleId: 'rule-a', orderKey: 'rule-a', payload: { key }, createdAt: T0, ...overrides,
  };
}

function channel(id: string, overrides: Partial<ChannelRecord> = {}): ChannelRecord {
  return {
    id, type: 'webhook', name: `Channel ${id}`, enabled: true, settings: { url: 'http://127.0.0.1:9/hook', secret: 's3cret' },
    match: { severities: ['critical'] }, throttle: { window: 60_000, cap: 5, groupBy: 'service' }, version: 1, createdAt: T0, updatedAt: T0, ...overrides,
  };
}

function rule(id: string, overrides: Partial<RuleRecord> = {}): RuleRecord {
  return {
    id, name: `Rule ${id}`, description: '', severity: 'warning', dsl: "trace.has(s => s.status === 'ERROR')", enabled: true,
    mode: 'alert', tags: ['a'], version: 1, createdAt: T0, updatedAt: T0, source: 'api', ...overrides,
  };
}

async function waitUntil(what: string, condition: () => boolean, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  const err = await promise.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(FluoError);
  expect((err as FluoError).code).toBe(code);
}

export function describeStoreConformance(name: string, factory: () => Promise<StoreUnderTest>, options: ConformanceOptions = {}): void {
  describe(`Store conformance: ${name}`, () => {
    let current: StoreUnderTest;
    let peers: Store[] = [];
    const open = async (): Promise<Store> => {
      current = await factory();
      return current.store;
    };
    const peer = async (): Promise<Store> => {
      if (!current.peer) throw new Error('a shared store\'s factory must give peer()');
      const other = await current.peer();
      peers.push(other);
      return other;
    };
    afterEach(async () => {
      await current?.store.close();
      await Promise.all(peers.map((p) => p.close()));
      peers = [];
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

    it('keeps every saved version of a rule, newest first, and drops them with the rule', async () => {
      const store = await open();
      await store.createRule(rule('a', { dsl: 'v1 text', mode: 'shadow', tags: ['x'] }));
      await store.updateRule(rule('a', { version: 2, dsl: 'v2 text', mode: 'alert', updatedAt: T0 + 5 }), 1);
      // A refused update records nothing.
      await rejectsWith(store.updateRule(rule('a', { version: 3, dsl: 'lost' }), 1), 'CONFLICT');
      await store.createRule(rule('b'));
      const versions = await store.listRuleVersions('a');
      expect(versions).toEqual([
        { ruleId: 'a', version: 2, name: 'Rule a', description: '', severity: 'warning', dsl: 'v2 text', enabled: true, mode: 'alert', tags: ['a'], savedAt: T0 + 5 },
        { ruleId: 'a', version: 1, name: 'Rule a', description: '', severity: 'warning', dsl: 'v1 text', enabled: true, mode: 'shadow', tags: ['x'], savedAt: T0 },
      ]);
      expect(await store.getRuleVersion('a', 1)).toEqual(versions[1]);
      expect(await store.getRuleVersion('a', 3)).toBeNull();
      expect(await store.listRuleVersions('missing')).toEqual([]);
      expect(await store.deleteRule('a')).toBe(true);
      expect(await store.listRuleVersions('a')).toEqual([]);
      await store.createRule(rule('a', { dsl: 'again' }));
      expect((await store.listRuleVersions('a')).map((v) => [v.version, v.dsl])).toEqual([[1, 'again']]);
      expect((await store.listRuleVersions('b')).map((v) => v.version)).toEqual([1]);
    });

    it('counts kept traces and signals per time bucket', async () => {
      const store = await open();
      const hour = 3_600_000;
      const base = Math.floor(T0 / hour) * hour;
      const trace = (id: string, completedAt: number) => testTrace(id.padStart(32, '0'), [testSpan(id.padStart(32, '0'), '1'.padStart(16, '0'))], completedAt);
      await store.write({
        signals: [
          testSignal(1, { detectedAt: base + 10 }), testSignal(2, { detectedAt: base + hour - 1 }), testSignal(3, { detectedAt: base + hour }),
          testSignal(4, { detectedAt: base + 5, ruleId: 'rule-b' }), testSignal(5, { detectedAt: base + 3 * hour }),
        ],
        traces: [trace('a', base), trace('b', base + 1), trace('c', base + 2 * hour + 7), trace('d', base + 3 * hour)],
      });
      const counts = await store.countActivity({ since: base, until: base + 3 * hour, bucketMs: hour });
      expect(counts).toEqual({
        traces: [{ start: base, count: 2 }, { start: base + 2 * hour, count: 1 }],
        signals: [{ ruleId: 'rule-a', start: base, count: 2 }, { ruleId: 'rule-a', start: base + hour, count: 1 }, { ruleId: 'rule-b', start: base, count: 1 }],
      });
      expect(await store.countActivity({ since: base + 4 * hour, until: base + 5 * hour, bucketMs: hour })).toEqual({ traces: [], signals: [] });
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

    it('gives every signal of a batch that shares one evidence array that evidence, also when a repeat of a stored signal comes first', async () => {
      const store = await open();
      const traceId = '2f'.padStart(32, '0');
      const earlier = testSignal(32, { traceId });
      await store.write({ signals: [earlier], traces: [] });
      // One evaluation of a trace raised these: the pipeline gives them the same array (NewSignal.evidence).
      const shared = [testSpan(traceId, '1'.repeat(16), { name: 'first' }), testSpan(traceId, '2'.repeat(16), { name: 'second' })];
      const repeat = { ...testSignal(32, { traceId }), evidence: shared };
      const batch = [repeat, { ...testSignal(33, { traceId }), evidence: shared }, testSignal(34), { ...testSignal(35, { traceId }), evidence: shared }];
      expect((await store.write({ signals: batch, traces: [] })).map((s) => s.id)).toEqual(['sig-33', 'sig-34', 'sig-35']);
      const evidenceOf = async (id: string) => JSON.parse(JSON.stringify((await store.getSignal(id))!.evidence)) as unknown;
      const plain = (spans: SerializedSpan[]) => JSON.parse(JSON.stringify(spans)) as unknown;
      expect(await evidenceOf('sig-32'), 'a repeat changes nothing').toEqual(plain(earlier.evidence));
      expect(await evidenceOf('sig-33')).toEqual(plain(shared));
      expect(await evidenceOf('sig-35')).toEqual(plain(shared));
      expect(await evidenceOf('sig-34')).toEqual(plain(testSignal(34).evidence));
      // The next batch's shared evidence is its own, though its signals' trace is the same.
      const later = [testSpan(traceId, '3'.repeat(16), { name: 'third' })];
      await store.write({ signals: [{ ...testSignal(36, { traceId }), evidence: later }, { ...testSignal(37, { traceId }), evidence: later }], traces: [] });
      expect(await evidenceOf('sig-37')).toEqual(plain(later));
      expect(await evidenceOf('sig-33')).toEqual(plain(shared));
    });

    it('keeps a correlated signal\'s traces, key and window, and evidence from several traces', async () => {
      const store = await open();
      const a = '0a'.padStart(32, '0');
      const b = '0b'.padStart(32, '0');
      const input = testSignal(8, {
        id: 'sig-correlated', traceId: a, traceIds: [a, b], correlationKey: 'user-42', windowStart: T0, windowEnd: T0 + 5000,
        spanIds: ['1'.padStart(16, '0'), '2'.padStart(16, '0')],
      });
      input.evidence = [testSpan(a, '1'.padStart(16, '0')), testSpan(b, '2'.padStart(16, '0'), { startTime: T0 + 2000 })];
      const [stored] = await store.write({ signals: [input, testSignal(9)], traces: [] });
      expect(stored).toMatchObject({ traceIds: [a, b], correlationKey: 'user-42', windowStart: T0, windowEnd: T0 + 5000 });
      const { seq, status, statusUpdatedAt, evidence, history, ...signal } = (await store.getSignal('sig-correlated'))!;
      expect(signal).toEqual(input.signal);
      expect(evidence.map((s) => s.traceId)).toEqual([a, b]);
      const listed = await store.listSignals({ limit: 10 });
      expect(listed.find((s) => s.id === 'sig-correlated')).toMatchObject({ traceIds: [a, b], correlationKey: 'user-42' });
      const plain = listed.find((s) => s.id === 'sig-9')!;
      expect('traceIds' in plain || 'correlationKey' in plain || 'windowStart' in plain).toBe(false);
      expect(await store.write({ signals: [input], traces: [] }), 'idempotent by id').toEqual([]);
      void seq; void status; void statusUpdatedAt; void history;
    });

    it('writes a batch atomically: nothing is stored when any part fails, and unstorable data is a PermanentWriteError', async () => {
      const store = await open();
      const bad = testSignal(2);
      (bad.evidence[0].attributes as Record<string, unknown>).big = 10n; // not serializable
      await expect(store.write({ signals: [testSignal(1), bad], traces: [testTrace('ab'.repeat(16), [testSpan('ab'.repeat(16), '1'.repeat(16))], T0)] })).rejects.toBeInstanceOf(PermanentWriteError);
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

    it('counts signals per time bucket, rule and severity, with status and rule filters', async () => {
      const store = await open();
      // testSignal(n) is detected at T0 + n seconds.
      const inputs = Array.from({ length: 10 }, (_, i) => testSignal(i + 1, {
        ruleId: i % 2 === 0 ? 'rule-a' : 'rule-b',
        severity: i < 5 ? 'warning' : 'critical',
      }));
      await store.write({ signals: inputs, traces: [] });
      await store.updateSignalStatus('sig-3', { to: 'resolved', by: 'x', note: null, at: T0 });
      // Buckets of 4 s from T0 + 1 s: [1,5) [5,9) [9,13); the signal at T0 + 10 s is past `until`.
      expect(await store.countSignals({ since: T0 + 1000, until: T0 + 10_000, bucketMs: 4000 })).toEqual([
        { bucketStart: T0 + 1000, ruleId: 'rule-a', severity: 'warning', count: 2 },
        { bucketStart: T0 + 1000, ruleId: 'rule-b', severity: 'warning', count: 2 },
        { bucketStart: T0 + 5000, ruleId: 'rule-a', severity: 'critical', count: 1 },
        { bucketStart: T0 + 5000, ruleId: 'rule-a', severity: 'warning', count: 1 },
        { bucketStart: T0 + 5000, ruleId: 'rule-b', severity: 'critical', count: 2 },
        { bucketStart: T0 + 9000, ruleId: 'rule-a', severity: 'critical', count: 1 },
      ]);
      expect(await store.countSignals({ since: T0, until: T0 + 100_000, bucketMs: 100_000, status: 'open', ruleId: 'rule-a' })).toEqual([
        { bucketStart: T0, ruleId: 'rule-a', severity: 'critical', count: 2 },
        { bucketStart: T0, ruleId: 'rule-a', severity: 'warning', count: 2 },
      ]);
      expect(await store.countSignals({ since: T0 + 50_000, until: T0 + 60_000, bucketMs: 1000 })).toEqual([]);
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
      const traces = [1, 2, 3, 4].map((n) => testTrace(id(n), [
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
      expect((await store.listTraces({ spanName: 'POST /b', limit: 10 })).map((t) => t.traceId)).toEqual([id(4), id(2)]);
      expect((await store.listTraces({ spanName: 'db', service: 'payment', limit: 10 })).map((t) => t.traceId)).toEqual([id(4)]);
      expect((await store.scanTraces({ spanName: 'db', limit: 10 })).map((t) => t.traceId)).toEqual([id(4), id(3), id(2), id(1)]);
      expect(await store.listTraces({ spanName: 'd', limit: 10 })).toEqual([]);
      expect((await store.listTraces({ since: T0 + 200, until: T0 + 400, limit: 10 })).map((t) => t.traceId)).toEqual([id(3), id(2)]);
      const page1 = await store.listTraces({ limit: 2 });
      const page2 = await store.listTraces({ limit: 2, after: { startTime: page1[1].startTime, traceId: page1[1].traceId } });
      expect(page2.map((t) => t.traceId)).toEqual([id(2), id(1)]);

      const scanned = await store.scanTraces({ limit: 1 });
      expect(scanned[0].spans.map((s) => s.name)).toEqual(['POST /b', 'db']);

      // Late spans complete the same trace again: the two writes are merged.
      const late = testTrace(id(1), [testSpan(id(1), 'e'.repeat(16), { name: 'late', startTime: T0 + 500, endTime: T0 + 600, service: 'mail' })], T0 + 20_000);
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
      const traces = [1, 2, 3, 4, 5].map((n) => testTrace(id(n), Array.from({ length: n }, (_, i) => testSpan(id(n), `${n}${i}`.padStart(16, '0'))), T0 + n * 1000));
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
      const [s] = await store.write({ signals: [testSignal(1)], traces: [testTrace('f'.repeat(32), [testSpan('f'.repeat(32), 'a'.repeat(16))], T0)] });
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

    it('writes outbox rows in the signal\'s transaction, only for new signals, idempotent by key', async () => {
      const store = await open();
      const withRows = (n: number) => ({ ...testSignal(n), notifications: [testNotification(`sig-${n}:ch-1:trigger`, { signalId: `sig-${n}`, payload: { n } })] });
      await store.write({ signals: [withRows(1), withRows(2)], traces: [] });
      // sig-2 is known: its rows are not written again, even with a new key.
      const again = { ...testSignal(2), notifications: [testNotification('sig-2:ch-2:trigger', { signalId: 'sig-2', channelId: 'ch-2' })] };
      await store.write({ signals: [again], traces: [] });
      const rows = await store.listNotifications({ limit: 10 });
      expect(rows.map((r) => r.key)).toEqual(['sig-2:ch-1:trigger', 'sig-1:ch-1:trigger']);
      expect(rows[1]).toMatchObject({ status: 'pending', attempts: 0, lastError: null, nextAttemptAt: T0, signalId: 'sig-1', payload: { n: 1 }, suppressedCount: 0, deliveredAt: null });
      expect(rows[0].n).toBeGreaterThan(rows[1].n);
      expect(await store.enqueueNotifications([testNotification('sig-1:ch-1:trigger'), testNotification('other')])).toMatchObject([{ key: 'other' }]);
      expect((await store.listNotifications({ signalId: 'sig-1', limit: 10 })).length).toBe(1);
      expect(await store.getNotification(rows[0].n)).toEqual(rows[0]);
      expect(await store.getNotification(99_999)).toBeNull();

      const bad = { ...testSignal(3), notifications: [testNotification('sig-3:x', { payload: { big: 10n } })] };
      await expect(store.write({ signals: [bad], traces: [] })).rejects.toBeInstanceOf(PermanentWriteError);
      expect(await store.getSignal('sig-3')).toBeNull();
    });

    it('claims due rows one at a time per channel and order key, retries hold back later rows, and outcomes need the current claim', async () => {
      const store = await open();
      await store.enqueueNotifications([
        testNotification('a1'), testNotification('a2'), testNotification('b1', { orderKey: 'rule-b' }),
        testNotification('a1-other-channel', { channelId: 'ch-2' }), testNotification('later', { orderKey: 'rule-c', nextAttemptAt: T0 + 60_000 }),
      ]);
      const first = await store.claimNotifications({ now: T0, limit: 10, leaseMs: 30_000 });
      expect(first.map((r) => r.key)).toEqual(['a1', 'b1', 'a1-other-channel']);
      expect(first[0]).toMatchObject({ status: 'delivering', attempts: 1, leaseUntil: T0 + 30_000 });
      expect(await store.claimNotifications({ now: T0, limit: 10, leaseMs: 30_000 })).toEqual([]);

      expect(await store.completeNotification(first[0].n, 1, { status: 'retry', at: T0 + 1, nextAttemptAt: T0 + 5000, error: 'HTTP 503' })).toBe(true);
      expect(await store.completeNotification(first[1].n, 1, { status: 'delivered', at: T0 + 2 })).toBe(true);
      expect(await store.completeNotification(first[2].n, 1, { status: 'failed', at: T0 + 3, error: 'HTTP 400: bad payload' })).toBe(true);
      expect(await store.completeNotification(first[2].n, 1, { status: 'delivered', at: T0 + 4 })).toBe(false);
      expect(await store.getNotification(first[0].n)).toMatchObject({ status: 'pending', lastError: 'HTTP 503', nextAttemptAt: T0 + 5000, leaseUntil: null });
      expect(await store.getNotification(first[1].n)).toMatchObject({ status: 'delivered', deliveredAt: T0 + 2 });
      expect(await store.getNotification(first[2].n)).toMatchObject({ status: 'failed', lastError: 'HTTP 400: bad payload' });

      // a1 retries later; a2 waits behind it.
      expect(await store.claimNotifications({ now: T0 + 100, limit: 10, leaseMs: 30_000 })).toEqual([]);
      const retried = await store.claimNotifications({ now: T0 + 5000, limit: 10, leaseMs: 1000 });
      expect(retried.map((r) => [r.key, r.attempts])).toEqual([['a1', 2]]);
      // The lease ends: another claimer takes a1 over, and the old claim's outcome is refused.
      const takenOver = await store.claimNotifications({ now: T0 + 6000, limit: 10, leaseMs: 1000 });
      expect(takenOver.map((r) => [r.key, r.attempts])).toEqual([['a1', 3]]);
      expect(await store.completeNotification(retried[0].n, 2, { status: 'delivered', at: T0 + 6001 })).toBe(false);
      expect(await store.completeNotification(retried[0].n, 3, { status: 'delivered', at: T0 + 6002 })).toBe(true);
      expect((await store.claimNotifications({ now: T0 + 60_000, limit: 10, leaseMs: 1000 })).map((r) => r.key)).toEqual(['a2', 'later']);
    });

    it('never hands one row to two concurrent claims', async () => {
      const store = await open();
      await store.enqueueNotifications(Array.from({ length: 20 }, (_, i) => testNotification(`k${i}`, { orderKey: `rule-${i}` })));
      const claims = await Promise.all([1, 2, 3, 4].map(() => store.claimNotifications({ now: T0, limit: 7, leaseMs: 30_000 })));
      const keys = claims.flat().map((r) => r.key);
      expect(keys.length).toBe(20);
      expect(new Set(keys).size).toBe(20);
    });

    it('throttles per channel and group: the cap is stored pending, the rest suppressed and counted into one summary due at the window end', async () => {
      const store = await open();
      const throttle = { groupKey: 'rule-a', windowMs: 60_000, cap: 2 };
      const rows = Array.from({ length: 6 }, (_, i) => testNotification(`t${i}`, { createdAt: T0 + i, throttle, payload: { i } }));
      await store.enqueueNotifications(rows.slice(0, 3));
      await store.enqueueNotifications(rows.slice(3));
      await store.enqueueNotifications([testNotification('other-group', { createdAt: T0 + 7, orderKey: 'rule-b', throttle: { ...throttle, groupKey: 'rule-b' } })]);
      const list = (await store.listNotifications({ limit: 100 })).reverse();
      expect(list.filter((r) => r.kind === 'trigger').map((r) => [r.key, r.status])).toEqual([
        ['t0', 'pending'], ['t1', 'pending'], ['t2', 'suppressed'], ['t3', 'suppressed'], ['t4', 'suppressed'], ['t5', 'suppressed'], ['other-group', 'pending'],
      ]);
      const summaries = list.filter((r) => r.kind === 'summary');
      expect(summaries).toHaveLength(1);
      expect(summaries[0]).toMatchObject({
        key: `summary:ch-1:rule-a:${T0}`, status: 'pending', suppressedCount: 4, nextAttemptAt: T0 + 60_000, groupKey: 'rule-a', orderKey: 'summary:rule-a', payload: { i: 2 },
      });
      // The summary is not due before the window ends and does not hold back the rule's other rows.
      expect((await store.claimNotifications({ now: T0 + 10, limit: 10, leaseMs: 1000 })).map((r) => r.key)).toEqual(['t0', 'other-group']);
      // After the window, a new one opens.
      await store.enqueueNotifications([testNotification('next-window', { createdAt: T0 + 60_000, throttle })]);
      expect((await store.listNotifications({ limit: 1 }))[0]).toMatchObject({ key: 'next-window', status: 'pending' });
    });

    it('stores resolve rows in the transaction of a status change, given the status before it', async () => {
      const store = await open();
      await store.write({ signals: [testSignal(1)], traces: [] });
      const seen: string[] = [];
      const resolveRows = (from: string) => {
        seen.push(from);
        return from === 'resolved' ? [] : [testNotification(`sig-1:ch-1:resolve`, { kind: 'resolve', signalId: 'sig-1' })];
      };
      await store.updateSignalStatus('sig-1', { to: 'acknowledged', by: 'a', note: null, at: T0 }, () => []);
      await store.updateSignalStatus('sig-1', { to: 'resolved', by: 'a', note: null, at: T0 + 1 }, resolveRows);
      await store.updateSignalStatus('sig-1', { to: 'resolved', by: 'a', note: null, at: T0 + 2 }, resolveRows);
      expect(seen).toEqual(['acknowledged', 'resolved']);
      expect((await store.listNotifications({ signalId: 'sig-1', kind: 'resolve', limit: 10 })).map((r) => r.key)).toEqual(['sig-1:ch-1:resolve']);
      expect(await store.updateSignalStatus('nope', { to: 'resolved', by: 'a', note: null, at: T0 }, resolveRows)).toBeNull();
    });

    it('expires rows not delivered within the maximum age, keeping the last error', async () => {
      const store = await open();
      await store.enqueueNotifications([testNotification('old', { createdAt: T0 }), testNotification('new', { createdAt: T0 + 10_000, orderKey: 'x' })]);
      const [old] = await store.claimNotifications({ now: T0, limit: 1, leaseMs: 1000 });
      await store.completeNotification(old.n, 1, { status: 'retry', at: T0, nextAttemptAt: T0 + 1000, error: 'connection refused' });
      expect(await store.expireNotifications(T0 + 5000, T0 + 20_000)).toBe(1);
      expect(await store.getNotification(old.n)).toMatchObject({ status: 'expired' });
      expect((await store.getNotification(old.n))!.lastError).toContain('connection refused');
      expect((await store.listNotifications({ status: 'pending', limit: 10 })).map((r) => r.key)).toEqual(['new']);
    });

    it('prunes notifications that are done and older than the bound, never pending ones', async () => {
      const store = await open();
      const throttle = { groupKey: 'g', windowMs: 1000, cap: 1 };
      await store.enqueueNotifications([
        testNotification('done', { orderKey: 'a' }), testNotification('waiting', { orderKey: 'b' }),
        testNotification('sent', { orderKey: 'c', throttle }), testNotification('dropped', { orderKey: 'c', throttle }),
      ]);
      const claimed = await store.claimNotifications({ now: T0, limit: 10, leaseMs: 1000 });
      const done = claimed.find((r) => r.key === 'done')!;
      await store.completeNotification(done.n, 1, { status: 'delivered', at: T0 + 10 });
      expect(await store.pruneNotifications(T0 + 5)).toBe(1); // 'dropped' (suppressed at T0)
      expect(await store.pruneNotifications(T0 + 100)).toBe(1); // 'done'
      expect((await store.listNotifications({ limit: 10 })).map((r) => r.key).sort()).toEqual(['sent', 'summary:ch-1:g:' + T0, 'waiting'].sort());
      // Pruning after the window ended removes the window; the next row opens a new one.
      expect(await store.pruneNotifications(T0 + 2000)).toBe(0);
      await store.enqueueNotifications([testNotification('after', { orderKey: 'c', throttle, createdAt: T0 + 2500 })]);
      expect((await store.listNotifications({ limit: 1 }))[0]).toMatchObject({ key: 'after', status: 'pending' });
    });

    it('creates, reads, updates with a version check, and deletes channels', async () => {
      const store = await open();
      await store.createChannel(channel('b'));
      await store.createChannel(channel('a', { match: null, throttle: null, enabled: false }));
      await rejectsWith(store.createChannel(channel('a')), 'CONFLICT');
      expect((await store.listChannels()).map((c) => c.id)).toEqual(['a', 'b']);
      expect(await store.getChannel('b')).toEqual(channel('b'));
      expect(await store.getChannel('a')).toEqual(channel('a', { match: null, throttle: null, enabled: false }));
      await store.updateChannel(channel('b', { version: 2, settings: { url: 'http://x' } }), 1);
      expect(await store.getChannel('b')).toMatchObject({ version: 2, settings: { url: 'http://x' } });
      await rejectsWith(store.updateChannel(channel('b', { version: 3 }), 1), 'CONFLICT');
      await rejectsWith(store.updateChannel(channel('zz', { version: 2 }), 1), 'NOT_FOUND');
      expect(await store.deleteChannel('b')).toBe(true);
      expect(await store.deleteChannel('b')).toBe(false);
      expect(await store.getChannel('missing')).toBeNull();
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

    if (options.shared) {
      describe('shared by several instances', () => {
        it('tells the other instances about rule changes', async () => {
          const store = await open();
          const other = await peer();
          let calls = 0;
          const stop = other.watchRules(() => { calls++; });
          const seen = async (after: number) => waitUntil(`a rule change notice after ${after}`, () => calls > after);
          await store.createRule(rule('shared'));
          await seen(0);
          expect((await other.getRule('shared'))?.version).toBe(1);
          const before = calls;
          await store.updateRule(rule('shared', { version: 2 }), 1);
          await seen(before);
          const beforeDelete = calls;
          await store.deleteRule('shared');
          await seen(beforeDelete);
          stop();
        });

        it('tells the other instances about channel changes', async () => {
          const store = await open();
          const other = await peer();
          let calls = 0;
          const stop = other.watchChannels(() => { calls++; });
          const seen = async (after: number) => waitUntil(`a channel change notice after ${after}`, () => calls > after);
          await store.createChannel(channel('shared'));
          await seen(0);
          expect((await other.getChannel('shared'))?.version).toBe(1);
          const before = calls;
          await store.updateChannel(channel('shared', { version: 2 }), 1);
          await seen(before);
          const beforeDelete = calls;
          await store.deleteChannel('shared');
          await seen(beforeDelete);
          stop();
        });

        it('tells the other instances about stored signals, with a seq up to which all are readable', async () => {
          const store = await open();
          const other = await peer();
          let last = 0;
          const stop = other.watchSignals((seq) => { last = Math.max(last, seq); });
          const [a, b] = await store.write({ signals: [testSignal(1), testSignal(2)], traces: [] });
          await waitUntil('the signal notice', () => last >= b.seq);
          expect((await other.signalsAfter(0, 10)).map((s) => s.seq)).toEqual([a.seq, b.seq]);
          stop();
        });

        it('hands out seq in commit order: a reader following signalsAfter while several instances write misses nothing', async () => {
          const store = await open();
          const writers = [store, await peer(), await peer()];
          const perWriter = 40;
          let writing = true;
          const seen: number[] = [];
          const ids = new Set<string>();
          const reader = (async () => {
            let position = 0;
            for (;;) {
              const done = !writing;
              const batch = await store.signalsAfter(position, 1000);
              for (const s of batch) { seen.push(s.seq); ids.add(s.id); position = s.seq; }
              if (done && batch.length === 0) return;
            }
          })();
          const returned = await Promise.all(writers.map(async (w, k) => {
            const mine = [];
            for (let i = 0; i < perWriter; i++) {
              const n = 1 + k * perWriter + i;
              mine.push(...await w.write({ signals: [testSignal(n, { id: `sig-${n}` }), testSignal(n + 10_000, { id: `sig-${n}-b` })], traces: [] }));
            }
            return mine;
          }));
          writing = false;
          await reader;
          expect(returned.flat()).toHaveLength(writers.length * perWriter * 2);
          expect(ids.size).toBe(writers.length * perWriter * 2);
          for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]);
          expect(await store.lastSignalSeq()).toBe(seen[seen.length - 1]);
        });

        it('stores a signal once when several instances write it at once, and returns it to one of them', async () => {
          const store = await open();
          const writers = [store, await peer(), await peer()];
          const batch = Array.from({ length: 20 }, (_, i) => testSignal(i + 1));
          const results = await Promise.all(writers.map((w) => w.write({ signals: batch, traces: [] })));
          const returnedIds = results.flat().map((s) => s.id).sort();
          expect(returnedIds).toEqual(batch.map((s) => s.signal.id).sort());
          expect((await store.listSignals({ limit: 100 })).length).toBe(20);
        });

        it('merges a trace that several instances write at once', async () => {
          const store = await open();
          const writers = [store, await peer(), await peer()];
          const traceId = 'c'.repeat(32);
          await Promise.all(writers.map((w, k) => w.write({
            signals: [],
            traces: [testTrace(traceId, [testSpan(traceId, `${k + 1}`.repeat(16), { startTime: T0 + k, endTime: T0 + k + 5 })], T0 + k)],
          })));
          const merged = await store.getTrace(traceId);
          expect(merged!.spans.map((s) => s.spanId).sort()).toEqual(['1'.repeat(16), '2'.repeat(16), '3'.repeat(16)]);
          expect(merged!.spanCount).toBe(3);
        });

        it('hands every outbox row to one claimer across instances, one row per channel and order key at a time', async () => {
          const store = await open();
          const instances = [store, await peer(), await peer()];
          // 10 order keys with 4 rows each: at most one row of a key may be out at once.
          await store.enqueueNotifications(Array.from({ length: 40 }, (_, i) => testNotification(`k${i}`, { orderKey: `rule-${i % 10}` })));
          const delivered: string[] = [];
          const claimedTwice: string[] = [];
          await Promise.all(instances.map(async (instance) => {
            for (let round = 0; round < 200 && delivered.length < 40; round++) {
              const rows = await instance.claimNotifications({ now: T0, limit: 3, leaseMs: 60_000 });
              const out = new Set(rows.map((r) => r.orderKey));
              expect(out.size).toBe(rows.length);
              for (const r of rows) {
                if (delivered.includes(r.key)) claimedTwice.push(r.key);
                delivered.push(r.key);
                expect(await instance.completeNotification(r.n, r.attempts, { status: 'delivered', at: T0 })).toBe(true);
              }
            }
          }));
          expect(claimedTwice).toEqual([]);
          expect(delivered.slice().sort()).toEqual(Array.from({ length: 40 }, (_, i) => `k${i}`).sort());
          // Per order key, n order: k3 before k13 before k23 before k33.
          for (let key = 0; key < 10; key++) {
            const order = delivered.filter((k) => Number(k.slice(1)) % 10 === key);
            expect(order).toEqual([`k${key}`, `k${key + 10}`, `k${key + 20}`, `k${key + 30}`]);
          }
        });

        it('keeps a throttle cap when several instances write to one window at once', async () => {
          const store = await open();
          const instances = [store, await peer(), await peer()];
          const throttle = { groupKey: 'rule-a', windowMs: 60_000, cap: 3 };
          await Promise.all(instances.map((instance, k) => Promise.all(Array.from({ length: 5 }, (_, i) =>
            instance.enqueueNotifications([testNotification(`w${k}-${i}`, { createdAt: T0 + 1, throttle })])))));
          const rows = await store.listNotifications({ limit: 100 });
          expect(rows.filter((r) => r.kind === 'trigger' && r.status === 'pending')).toHaveLength(3);
          expect(rows.filter((r) => r.status === 'suppressed')).toHaveLength(12);
          expect(rows.filter((r) => r.kind === 'summary').map((r) => r.suppressedCount)).toEqual([12]);
        });
      });
    }
  });
}
