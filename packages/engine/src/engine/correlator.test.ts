import { describe, expect, it } from 'vitest';
import { seededRandom } from '../learn/statistics.js';
import { Correlator, evaluateCorrelatedRule } from './correlator.js';
import { compileRule, type CompiledRule } from './rule.js';
import { Detector } from './detector.js';
import { buildTrace, BASE_TIME_MS, type SpanSpec } from '../testing/traceBuilder.js';
import type { Span } from '../trace/span.js';
import { decodeProtobufTraces } from '../otlp/decodeProtobufTraces.js';
import { encodeProtobufTraces } from '../otlp/encodeProtobufTraces.js';

const LOGIN_RETRY = `traces.by(span => span.attributes['enduser.id'])
  .has(span => span.name === 'auth.login' && span.status === 'ERROR')
  .followedBy(traces.has(span => span.name === 'auth.login' && span.status === 'OK'))
  .within('5 seconds')`;
const PAYMENT_ERRORS = `traces.by(span => span.attributes['enduser.id'])
  .count(span => span.name.startsWith('payment') && span.status === 'ERROR') >= 5
  .within('1 minute')`;
const NO_SUCCESS = `traces.by(span => span.attributes['enduser.id'])
  .has(span => span.name === 'auth.login' && span.status === 'ERROR')
  .and(traces.missing(span => span.name === 'auth.login' && span.status === 'OK'))
  .within('5 seconds')`;

function rule(dsl: string, id = 'r'): CompiledRule {
  return compileRule({ id, name: id, severity: 'warning', dsl });
}

let counter = 0;
/** One span in its own trace, at `at` ms after the base time. */
function span(name: string, at: number, attrs: Record<string, unknown>, status: SpanSpec['status'] = 'UNSET', traceName = `t${++counter}`): Span {
  return buildTrace(traceName, [{ id: `${traceName}s`, name, start: at, status, attributes: attrs as SpanSpec['attributes'] }])[0];
}

function correlator(dsl: string, options = {}): Correlator {
  const c = new Correlator({ allowedLatenessMs: 1000, ...options });
  c.setRules([rule(dsl)]);
  return c;
}

const T = BASE_TIME_MS;

describe('Correlator', () => {
  it('arrivalAttributeKeys: the attribute keys its key functions and predicates read by name', () => {
    const c = new Correlator();
    c.setRules([
      rule("traces.by(span => span.attributes['enduser.id']).has(span => span.attributes['auth.result'] === 'fail').within('5 minutes')", 'a'),
      rule("traces.by(span => span.attributes['tenant'] + span.name).has(span => span.name === 'x').within('5 minutes')", 'b'),
    ]);
    expect(new Set(c.arrivalAttributeKeys())).toEqual(new Set(['enduser.id', 'auth.result', 'tenant']));
    c.setRules([]);
    expect([...c.arrivalAttributeKeys()]).toEqual([]);
  });

  it('raises one signal for a failed login followed by a success in another trace, listing both traces and the key', () => {
    const c = correlator(LOGIN_RETRY, { allowedLatenessMs: 5000 });
    const fail = span('auth.login', 0, { 'enduser.id': 'alice' }, 'ERROR', 'ta');
    const ok = span('auth.login', 2000, { 'enduser.id': 'alice' }, 'OK', 'tb');
    const other = span('auth.login', 2500, { 'enduser.id': 'bob' }, 'OK', 'tc');
    expect(c.ingest([ok, other], T + 3000)).toEqual([]);
    // Out of order across traces: the failure arrives after the success. Watermark 2000 - 5000: t=0 may still gain an earlier window.
    expect(c.ingest([fail], T + 3000)).toEqual([]);
    expect(c.tick(T + 5000)).toEqual([]);
    const all = c.tick(T + 6001); // the clock moves the quiet key's watermark past t=0: the monotone pattern fires
    expect(c.stats().spansLate).toBe(0);
    expect(all).toHaveLength(1);
    const s = all[0].signal;
    expect(s.correlationKey).toBe('alice');
    expect(s.traceIds).toEqual([fail.traceId, ok.traceId]);
    expect(s.traceId).toBe(fail.traceId);
    expect(s.spanIds).toEqual([fail.spanId, ok.spanId]);
    expect(s.windowStart).toBe(fail.startTime);
    expect(s.windowEnd).toBe(fail.startTime + 5000);
    expect(all[0].spans.map((x) => x.traceId)).toEqual([fail.traceId, ok.traceId]);
    expect(c.flush(T + 10_000)).toEqual([]);
  });

  it('holds its window\'s spans without their requests\' bytes (a window outlives the request by minutes)', () => {
    const c = correlator(LOGIN_RETRY, { allowedLatenessMs: 0 });
    const decoded = decodeProtobufTraces(encodeProtobufTraces([
      span('auth.login', 0, { 'enduser.id': 'alice' }, 'ERROR', 'sa'), span('auth.login', 2000, { 'enduser.id': 'alice' }, 'OK', 'sb'),
    ])).spans;
    expect(decoded.every((s) => s.source !== null)).toBe(true);
    const signals = [...c.ingest(decoded, T + 3000), ...c.flush(T + 10_000)];
    expect(signals).toHaveLength(1);
    expect(signals[0].spans.map((s) => s.source)).toEqual([null, null]);
  });

  it('is the same whichever order traces arrive in, and deterministic ids survive a replay', () => {
    const spans = [
      span('auth.login', 0, { 'enduser.id': 'u' }, 'ERROR'),
      span('auth.login', 1000, { 'enduser.id': 'u' }, 'OK'),
      span('auth.login', 20_000, { 'enduser.id': 'u' }, 'ERROR'),
      span('auth.login', 30_000, { 'enduser.id': 'u' }, 'OK'),
    ];
    const ids = (order: Span[]) => {
      const c = correlator(LOGIN_RETRY, { allowedLatenessMs: 60_000 });
      const out = order.flatMap((s) => c.ingest([s], T));
      return [...out, ...c.flush(T)].map((d) => d.signal.id);
    };
    const forward = ids(spans);
    expect(forward).toHaveLength(1);
    expect(ids([...spans].reverse())).toEqual(forward);
    expect(ids([spans[3], spans[1], spans[0], spans[2]])).toEqual(forward);
  });

  it('counts across traces: five payment errors of one user in a minute, one signal per window, windows slide', () => {
    const c = correlator(PAYMENT_ERRORS, { allowedLatenessMs: 0 });
    const at = [0, 10_000, 20_000, 30_000, 70_000, 80_000, 90_000, 100_000, 110_000];
    // window at 0: 4 errors (0..30s) → no; at 10s: 10,20,30,70? 70 > 70 no → 3; ... at 70s: 70..110 = 5 → fires
    const errors = at.map((t) => span('payment.charge', t, { 'enduser.id': 'carol' }, 'ERROR'));
    const out = errors.flatMap((s) => c.ingest([s], T));
    const all = [...out, ...c.flush(T)];
    expect(all.map((d) => d.signal.windowStart)).toEqual([T + 70_000]);
    expect(all[0].signal.spanIds).toHaveLength(5);
    expect(all[0].signal.traceIds).toHaveLength(5);
    expect(evaluateCorrelatedRule(rule(PAYMENT_ERRORS), errors).map((x) => x.id)).toEqual(all.map((d) => d.signal.id));
  });

  it('after a signal, the next window opens after the fired window ends', () => {
    const dsl = "traces.by(s => s.attributes.user).count(s => s.name === 'e') >= 2 .within('10s')";
    const c = correlator(dsl, { allowedLatenessMs: 0 });
    const es = [0, 1000, 5000, 9000, 12_000, 13_000].map((t) => span('e', t, { user: 'u' }));
    const out = [...c.ingest(es, T), ...c.flush(T)];
    expect(out.map((d) => d.signal.windowStart - T)).toEqual([0, 12_000]);
  });

  it('decides missing when the window closes, by the watermark or the clock when the key is quiet', () => {
    const c = correlator(NO_SUCCESS);
    const fail = span('auth.login', 0, { 'enduser.id': 'dan' }, 'ERROR');
    expect(c.ingest([fail], T + 100)).toEqual([]);
    expect(c.tick(T + 100 + 5000)).toEqual([]); // watermark 0 + 5000 - 1000: window [0, 5000] still open
    const out = c.tick(T + 100 + 6001);
    expect(out).toHaveLength(1);
    expect(out[0].signal.correlationKey).toBe('dan');
    expect(c.stats().keys).toBe(0); // expired
    expect(c.stats().keysExpired).toBe(1);
  });

  it('does not fire missing when the success arrives late but within the allowed lateness', () => {
    const c = correlator(NO_SUCCESS);
    c.ingest([span('auth.login', 0, { 'enduser.id': 'eve' }, 'ERROR')], T);
    c.ingest([span('x', 5500, { 'enduser.id': 'eve', k: 1 }, 'ERROR')], T);
    // watermark 4500 < window end 5000; the success at 3000 is not late
    expect(c.ingest([span('auth.login', 3000, { 'enduser.id': 'eve' }, 'OK')], T)).toEqual([]);
    expect(c.flush(T)).toEqual([]);
  });

  it('drops and counts spans behind the watermark', () => {
    const c = correlator(LOGIN_RETRY);
    c.ingest([span('auth.login', 10_000, { 'enduser.id': 'f' }, 'ERROR')], T);
    c.ingest([span('auth.login', 20_000, { 'enduser.id': 'f' }, 'ERROR')], T);
    expect(c.ingest([span('auth.login', 12_000, { 'enduser.id': 'f' }, 'OK')], T)).toEqual([]);
    expect(c.stats().spansLate).toBe(1);
    expect(c.flush(T)).toEqual([]);
  });

  it('ignores spans without a key and spans no predicate matches', () => {
    const c = correlator(LOGIN_RETRY);
    c.ingest([
      span('auth.login', 0, {}, 'ERROR'),
      span('auth.login', 0, { 'enduser.id': null }, 'ERROR'),
      span('auth.login', 0, { 'enduser.id': '' }, 'ERROR'),
      span('cart.view', 0, { 'enduser.id': 'g' }),
    ], T);
    expect(c.stats().keys).toBe(0);
    expect(c.stats().spansHeld).toBe(0);
  });

  it('takes no part for keys that are maps, arrays or NaN, and counts key functions that throw', () => {
    const c = correlator("traces.by(s => s.attributes.k).has(s => s.name === 'a').within('1s')");
    c.ingest([span('a', 0, { k: ['x'] }), span('a', 0, { k: 0 / 0 }), span('a', 0, { k: 7 })], T);
    expect(c.stats().keys).toBe(1);
    const t = correlator("traces.by(s => s.attributes.k < s.attributes.m).has(s => s.name === 'a').within('1s')");
    const weird = span('a', 0, {});
    // Comparing two maps converts them to primitives; a map whose conversion throws counts as an error, not a crash.
    const throwing = Object.create(null);
    throwing[Symbol.toPrimitive] = () => { throw new Error('no'); };
    weird.attributes = Object.assign(Object.create(weird.resource), { k: throwing, m: 1 });
    expect(t.ingest([weird], T)).toEqual([]);
    expect(t.stats().keyErrors).toBe(1);
  });

  it('keys on resource attributes and concatenations', () => {
    const dsl = "traces.by(span => span.resource['host.name'] + '/' + span.attributes.user).count(span => span.status === 'ERROR') >= 2 .within('1s')";
    const c = correlator(dsl);
    const a = buildTrace('ra', [{ id: 'a', name: 'x', start: 0, status: 'ERROR', attributes: { user: 'u' }, resource: { 'host.name': 'h1' } }]);
    const b = buildTrace('rb', [{ id: 'b', name: 'y', start: 100, status: 'ERROR', attributes: { user: 'u' }, resource: { 'host.name': 'h1' } }]);
    const d = buildTrace('rd', [{ id: 'd', name: 'y', start: 200, status: 'ERROR', attributes: { user: 'u' }, resource: { 'host.name': 'h2' } }]);
    const out = [...c.ingest([...a, ...b, ...d], T), ...c.flush(T)];
    expect(out).toHaveLength(1);
    expect(out[0].signal.correlationKey).toBe('h1/u');
  });

  it('bounds memory: spans per key and keys, counting evictions', () => {
    const dsl = "traces.by(s => s.attributes.user).count(s => s.name === 'e') >= 1000 .within('1h')";
    const c = correlator(dsl, { maxSpansPerKey: 10, maxKeys: 3 });
    for (let i = 0; i < 25; i++) c.ingest([span('e', i, { user: 'a' })], T);
    expect(c.stats().spansHeld).toBe(10);
    expect(c.stats().spansEvicted).toBe(15);
    for (const u of ['b', 'c', 'd', 'e']) c.ingest([span('e', 0, { user: u })], T);
    expect(c.stats().keys).toBe(3);
    expect(c.stats().keysEvicted).toBe(2);
    expect(c.stats().spansHeld).toBe(3);
  });

  it('evaluates where views and nested followedBy inside the window', () => {
    const dsl = `traces.by(s => s.attributes.user)
      .where(s => s.name === 'checkout').has(s => s.name === 'db' && s.status === 'ERROR')
      .and(traces.missing(s => s.name === 'alert.sent'))
      .within('10s')`;
    const c = correlator(dsl);
    const t1 = buildTrace('w1', [
      { id: 'c', name: 'checkout', start: 0, attributes: { user: 'u' } },
      { id: 'd', name: 'db', parent: 'c', start: 10, status: 'ERROR', attributes: { user: 'u' } },
    ]);
    const t2 = buildTrace('w2', [{ id: 'd2', name: 'db', start: 100, status: 'ERROR', attributes: { user: 'v' } }]);
    const out = [...c.ingest([...t1, ...t2], T), ...c.flush(T)];
    expect(out.map((d) => d.signal.correlationKey)).toEqual(['u']);
  });

  it('close() is idempotent, drops open windows and refuses spans; flush() decides them', () => {
    const c = correlator(NO_SUCCESS);
    c.ingest([span('auth.login', 0, { 'enduser.id': 'h' }, 'ERROR')], T);
    c.close();
    c.close();
    expect(c.stats().keys).toBe(0);
    expect(() => c.ingest([], T)).toThrow(/closed/);
    const d = correlator(NO_SUCCESS);
    d.ingest([span('auth.login', 0, { 'enduser.id': 'h' }, 'ERROR')], T);
    expect(d.flush(T)).toHaveLength(1);
  });

  it('keeps a rule\'s open windows across a rule-set change when its text is unchanged, drops them otherwise', () => {
    const c = new Correlator({ allowedLatenessMs: 1000 });
    c.setRules([rule(NO_SUCCESS, 'a'), rule(LOGIN_RETRY, 'b')]);
    c.ingest([span('auth.login', 0, { 'enduser.id': 'k' }, 'ERROR')], T);
    expect(c.stats().keys).toBe(2);
    c.setRules([{ ...rule(NO_SUCCESS, 'a'), version: 2 }, rule(PAYMENT_ERRORS, 'b')]);
    expect(c.stats().keys).toBe(1);
    expect(c.flush(T).map((d) => [d.signal.ruleId, d.signal.ruleVersion])).toEqual([['a', 2]]);
    c.setRules([rule("trace.has(s => s.name === 'auth.login')", 'per-trace')]);
    expect(c.ruleCount).toBe(0);
  });

  it('leaves correlated rules to itself: the detector ignores them', () => {
    const det = new Detector();
    det.setRules([rule(LOGIN_RETRY)]);
    const spans = buildTrace('same', [
      { id: 'a', name: 'auth.login', start: 0, status: 'ERROR', attributes: { 'enduser.id': 'x' } },
      { id: 'b', name: 'auth.login', start: 100, duration: 1, status: 'OK', attributes: { 'enduser.id': 'x' } },
    ]);
    expect([...det.ingest(spans, T).detections, ...det.flush(T)]).toEqual([]);
  });
});

// ---- property: streaming equals the batch evaluation -----------------------


const PROPERTY_RULES = [
  LOGIN_RETRY,
  NO_SUCCESS,
  "traces.by(s => s.attributes.user).count(s => s.status === 'ERROR') >= 3 .within('4s')",
  "traces.by(s => s.attributes.user).count(s => s.status === 'ERROR') < 2 .within('3s')",
  "traces.by(s => s.attributes.user).has(s => s.name === 'a').and(traces.not(traces.has(s => s.name === 'b'))).within('2s')",
  "traces.by(s => s.attributes.user).has(s => s.name === 'a').or(traces.has(s => s.name === 'b' && s.status === 'OK')).within('1s')",
  "traces.by(s => s.attributes.user).where(s => s.name === 'c').has(s => s.name === 'a').within('2s')",
  "traces.by(s => s.attributes.card).has(s => s.name === 'a').followedBy(traces.has(s => s.name === 'b')).followedBy(traces.has(s => s.name === 'auth.login')).within('6s')",
];

describe('Correlator property: streaming result equals brute-force batch evaluation', () => {
  it('for random spans, keys, arrival orders within the allowed lateness, and batches', () => {
    const lateness = 3000;
    let signals = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const rand = seededRandom(seed);
      const dsl = PROPERTY_RULES[seed % PROPERTY_RULES.length];
      const r = rule(dsl, `p${seed}`);
      const names = ['a', 'b', 'auth.login', 'c'];
      const n = 5 + Math.floor(rand() * 40);
      const spans: Span[] = [];
      for (let i = 0; i < n; i++) {
        const attrs: Record<string, unknown> = {};
        if (rand() < 0.9) attrs['enduser.id'] = attrs.user = `u${Math.floor(rand() * 3)}`;
        if (rand() < 0.5) attrs.card = `c${Math.floor(rand() * 2)}`;
        const status = (['OK', 'ERROR', 'UNSET'] as const)[Math.floor(rand() * 3)];
        spans.push(span(names[Math.floor(rand() * names.length)], Math.floor(rand() * 30_000 / 250) * 250, attrs, status, `p${seed}t${i % (1 + Math.floor(rand() * 8))}_${i}`));
      }
      // Arrival: by start time plus a jitter under the allowed lateness; some duplicates.
      const arrival = spans.map((s) => ({ s, at: s.startTime + rand() * lateness }));
      if (rand() < 0.3) arrival.push({ ...arrival[0], at: arrival[0].at + 100 });
      arrival.sort((x, y) => x.at - y.at);
      const c = new Correlator({ allowedLatenessMs: lateness });
      c.setRules([r]);
      const streamed: Array<{ id: string; spanIds: string[] }> = [];
      let i = 0;
      while (i < arrival.length) {
        const size = 1 + Math.floor(rand() * 4);
        const batch = arrival.slice(i, i + size);
        i += size;
        for (const d of c.ingest(batch.map((b) => b.s), T)) streamed.push({ id: d.signal.id, spanIds: d.signal.spanIds });
        if (rand() < 0.2) for (const d of c.tick(T)) streamed.push({ id: d.signal.id, spanIds: d.signal.spanIds });
      }
      for (const d of c.flush(T)) streamed.push({ id: d.signal.id, spanIds: d.signal.spanIds });
      const expected = evaluateCorrelatedRule(r, spans);
      signals += expected.length;
      const context = `seed ${seed}: ${dsl}`;
      expect(c.stats().spansLate, context).toBe(0);
      expect(streamed.map((x) => x.id).sort(), context).toEqual(expected.map((x) => x.id).sort());
      // Early firing (monotone rules) may show fewer witnesses than the whole window; never others.
      for (const x of streamed) {
        const e = expected.find((y) => y.id === x.id)!;
        for (const id of x.spanIds) expect(e.spanIds, context).toContain(id);
        if (!r.condition.monotone) expect(x.spanIds, context).toEqual(e.spanIds);
      }
    }
    expect(signals, 'the random inputs exercise firing windows').toBeGreaterThan(100);
  });

  it('with the clock moving as in live traffic: windows close by the clock, keys expire and come back, same result', () => {
    const lateness = 2000;
    let signals = 0;
    let expired = 0;
    for (let seed = 1; seed <= 120; seed++) {
      const rand = seededRandom(1000 + seed);
      const dsl = PROPERTY_RULES[seed % PROPERTY_RULES.length];
      const r = rule(dsl, `clock${seed}`);
      const names = ['a', 'b', 'auth.login', 'c'];
      const spans: Span[] = [];
      const n = 5 + Math.floor(rand() * 40);
      for (let i = 0; i < n; i++) {
        const attrs: Record<string, unknown> = {};
        if (rand() < 0.9) attrs['enduser.id'] = attrs.user = `u${Math.floor(rand() * 3)}`;
        if (rand() < 0.5) attrs.card = `c${Math.floor(rand() * 2)}`;
        const status = (['OK', 'ERROR', 'UNSET'] as const)[Math.floor(rand() * 3)];
        // Sparse in time (up to 60 s): keys go quiet, windows close by the clock.
        spans.push(span(names[Math.floor(rand() * names.length)], Math.floor(rand() * 60_000 / 250) * 250, attrs, status, `clock${seed}t${i}`));
      }
      // A span arrives (the clock reads) its start time plus an export delay under the lateness.
      const arrival = spans.map((s) => ({ s, at: s.startTime + rand() * lateness * 0.9 })).sort((x, y) => x.at - y.at);
      const c = new Correlator({ allowedLatenessMs: lateness });
      c.setRules([r]);
      const streamed: string[] = [];
      for (let i = 0; i < arrival.length; i++) {
        const now = arrival[i].at;
        for (const d of c.ingest([arrival[i].s], now)) streamed.push(d.signal.id);
        const next = i + 1 < arrival.length ? arrival[i + 1].at : now + 100_000;
        // Ticks between arrivals, as the server's timer does.
        for (let t = now + 500; t < next; t += 500 + rand() * 3000) for (const d of c.tick(t)) streamed.push(d.signal.id);
      }
      for (const d of c.tick(arrival[arrival.length - 1].at + 100_000)) streamed.push(d.signal.id);
      expect(c.stats().keys, `seed ${seed}: every key decided and expired by the clock`).toBe(0);
      expect(c.flush(0)).toEqual([]);
      const expected = evaluateCorrelatedRule(r, spans);
      signals += expected.length;
      expired += c.stats().keysExpired;
      expect(c.stats().spansLate, `seed ${seed}`).toBe(0);
      expect(streamed.sort(), `seed ${seed}: ${dsl}`).toEqual(expected.map((x) => x.id).sort());
    }
    expect(signals).toBeGreaterThan(50);
    expect(expired).toBeGreaterThan(120);
  });
});

describe('Correlator: rules sharing a key function compute it once per span', () => {
  it('signals and key errors equal those of each rule in a correlator of its own', () => {
    const kvList = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    const byUserPlusOne = (body: string) => `traces.by(span => span.attributes['enduser.id'] + '-' + (span.attributes.n * 1))${body}`;
    const dsl = [
      LOGIN_RETRY, PAYMENT_ERRORS, NO_SUCCESS,
      // same key as the three above, written differently (same generated source)
      `traces.by(s => s.attributes['enduser.id']).has(s => s.name === 'auth.login').within('2 seconds')`,
      // another key, whose function throws on key-value lists (counted in keyErrors)
      byUserPlusOne(`.has(span => span.name === 'auth.login' && span.status === 'ERROR').within('5 seconds')`),
      byUserPlusOne(`.count(span => span.name === 'auth.login') >= 2 .within('5 seconds')`),
    ];
    const rules = dsl.map((d, i) => rule(d, `r${i}`));
    const random = seededRandom(7);
    const users = ['alice', 'bob', 'carol'];
    const spans: Span[] = [];
    for (let i = 0; i < 300; i++) {
      const name = random() < 0.6 ? 'auth.login' : 'payment.charge';
      const status = random() < 0.5 ? 'ERROR' : 'OK';
      const attrs: Record<string, unknown> = { n: random() < 0.2 ? kvList : Math.floor(random() * 2) };
      if (random() < 0.9) attrs['enduser.id'] = users[Math.floor(random() * users.length)];
      spans.push(span(name, i * 150, attrs, status));
    }
    const run = (set: CompiledRule[]) => {
      const c = new Correlator({ allowedLatenessMs: 1000 });
      c.setRules(set);
      const out: string[] = [];
      for (let i = 0; i < spans.length; i += 20) {
        for (const d of c.ingest(spans.slice(i, i + 20), T + i * 150)) out.push(d.signal.id);
        for (const d of c.tick(T + i * 150 + 10)) out.push(d.signal.id);
      }
      for (const d of c.flush(T + 1e6)) out.push(d.signal.id);
      return { signals: out.sort(), keyErrors: c.stats().keyErrors };
    };
    const together = run(rules);
    const alone = rules.map((r) => run([compileRule({ id: r.id, name: r.name, severity: 'warning', dsl: dsl[Number(r.id.slice(1))] })]));
    expect(together.signals).toEqual(alone.flatMap((a) => a.signals).sort());
    expect(together.signals.length).toBeGreaterThan(5);
    expect(together.keyErrors).toBe(alone.reduce((sum, a) => sum + a.keyErrors, 0));
    expect(together.keyErrors).toBeGreaterThan(0);
  });
});
