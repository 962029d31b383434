/** Trace-level semantics of every construct, through whole-trace evaluation. */
import { describe, expect, test } from 'vitest';
import { compileCondition } from '../dsl/compileCondition.js';
import { evaluateTrace } from './evaluateCondition.js';
import { buildTrace, hexId, type SpanSpec } from '../testing/traceBuilder.js';

function run(dsl: string, specs: SpanSpec[]): { matched: boolean; witnesses: string[] } {
  const result = evaluateTrace({ condition: compileCondition(dsl) }, buildTrace('trace', specs));
  const names = new Map(specs.map((s) => [hexId(s.id, 16), s.id]));
  return { matched: result.matched, witnesses: result.witnesses.map((w) => names.get(w.spanId)!) };
}

const SEED_RETRY = "trace.has(span => span.name === 'auth.login' && span.status === 'ERROR')\n  .and(trace.has(span => span.name === 'auth.login' && span.status === 'OK'))\n  .within('5 seconds')";
const SEED_PII = "trace.has(span => span.attributes['data.contains_pii'] === true)\n  .and(trace.missing(span => span.name === 'audit.log'))";
const SEED_PAYMENT = "trace.where(span => span.name.startsWith('payment'))\n  .has(span => span.name.includes('db.query') && span.duration > 1000)";

describe('seed rules', () => {
  test('auth failure then success within 5 s fires, with both logins as witnesses', () => {
    expect(run(SEED_RETRY, [
      { id: 'gw', name: 'POST /login', start: 0, duration: 6000 },
      { id: 'l1', name: 'auth.login', parent: 'gw', start: 10, status: 'ERROR' },
      { id: 'l2', name: 'auth.login', parent: 'gw', start: 3010, status: 'OK' },
    ])).toEqual({ matched: true, witnesses: ['l1', 'l2'] });
  });
  test('the retry 7 s later does not fire', () => {
    expect(run(SEED_RETRY, [
      { id: 'l1', name: 'auth.login', start: 0, status: 'ERROR' },
      { id: 'l2', name: 'auth.login', start: 7000, status: 'OK' },
    ]).matched).toBe(false);
  });
  test('exactly 5 s apart still fires (the bound is inclusive)', () => {
    expect(run(SEED_RETRY, [
      { id: 'l1', name: 'auth.login', start: 0, status: 'ERROR' },
      { id: 'l2', name: 'auth.login', start: 5000, status: 'OK' },
    ]).matched).toBe(true);
  });
  test('success before failure also counts: within is about distance, not order', () => {
    expect(run(SEED_RETRY, [
      { id: 'l2', name: 'auth.login', start: 0, status: 'OK' },
      { id: 'l1', name: 'auth.login', start: 1000, status: 'ERROR' },
    ]).matched).toBe(true);
  });
  test('within picks a close pair among far ones', () => {
    expect(run(SEED_RETRY, [
      { id: 'e1', name: 'auth.login', start: 0, status: 'ERROR' },
      { id: 'o1', name: 'auth.login', start: 20_000, status: 'OK' },
      { id: 'e2', name: 'auth.login', start: 40_000, status: 'ERROR' },
      { id: 'o2', name: 'auth.login', start: 44_000, status: 'OK' },
    ])).toEqual({ matched: true, witnesses: ['e2', 'o2'] });
  });
  test('PII without audit fires; with audit does not', () => {
    const read = { id: 'r', name: 'customer.read', start: 0, attributes: { 'data.contains_pii': true } };
    expect(run(SEED_PII, [read])).toEqual({ matched: true, witnesses: ['r'] });
    expect(run(SEED_PII, [read, { id: 'a', name: 'audit.log', start: 5 }]).matched).toBe(false);
    expect(run(SEED_PII, [{ ...read, attributes: { 'data.contains_pii': 'true' } }]).matched).toBe(false); // a string is not true
  });
  test('slow query under a payment span fires; outside the payment flow does not', () => {
    expect(run(SEED_PAYMENT, [
      { id: 'root', name: 'checkout', start: 0, duration: 3000 },
      { id: 'p', name: 'payment.process', parent: 'root', start: 10, duration: 2000 },
      { id: 'x', name: 'repo.load', parent: 'p', start: 20, duration: 1500 },
      { id: 'q', name: 'db.query payments', parent: 'x', start: 30, duration: 1200 },
    ])).toEqual({ matched: true, witnesses: ['q'] });
    expect(run(SEED_PAYMENT, [
      { id: 'root', name: 'checkout', start: 0, duration: 3000 },
      { id: 'p', name: 'payment.process', parent: 'root', start: 10, duration: 200 },
      { id: 'q', name: 'db.query inventory', parent: 'root', start: 300, duration: 1200 },
    ]).matched).toBe(false);
    expect(run(SEED_PAYMENT, [
      { id: 'p', name: 'payment.process', start: 10, duration: 2000 },
      { id: 'q', name: 'db.query payments', parent: 'p', start: 30, duration: 900 },
    ]).matched).toBe(false);
  });
});

describe('has, missing, count', () => {
  const spans: SpanSpec[] = [
    { id: 'a', name: 'retry', start: 0 }, { id: 'b', name: 'retry', start: 10 }, { id: 'c', name: 'retry', start: 20 },
    { id: 'd', name: 'other', start: 30 },
  ];
  test('has: every matching span is a witness', () => {
    expect(run("trace.has(s => s.name === 'retry')", spans)).toEqual({ matched: true, witnesses: ['a', 'b', 'c'] });
  });
  test('missing', () => {
    expect(run("trace.missing(s => s.name === 'nope')", spans)).toEqual({ matched: true, witnesses: [] });
    expect(run("trace.missing(s => s.name === 'retry')", spans).matched).toBe(false);
  });
  test.each([
    ['> 2', true], ['> 3', false], ['>= 3', true], ['< 3', false], ['<= 3', true], ['=== 3', true], ['!== 3', false], ['== 3', true], ['!= 2', true],
  ])('count %s', (cmp, expected) => {
    expect(run(`trace.count(s => s.name === 'retry') ${cmp}`, spans).matched).toBe(expected);
  });
  test('count === 0 on an absent pattern holds without witnesses', () => {
    expect(run("trace.count(s => s.name === 'nope') === 0", spans)).toEqual({ matched: true, witnesses: [] });
  });
  test('empty trace: has is false, missing and count === 0 hold', () => {
    expect(run('trace.has(s => true)', []).matched).toBe(false);
    expect(run('trace.missing(s => true)', []).matched).toBe(true);
    expect(run('trace.count(s => true) === 0', []).matched).toBe(true);
  });
});

describe('and, or, not, logical operators', () => {
  const spans: SpanSpec[] = [{ id: 'a', name: 'a', start: 0 }, { id: 'b', name: 'b', start: 10 }];
  test.each([
    ["trace.has(s => s.name === 'a').and(trace.has(s => s.name === 'b'))", true],
    ["trace.has(s => s.name === 'a').and(trace.has(s => s.name === 'c'))", false],
    ["trace.has(s => s.name === 'c').or(trace.has(s => s.name === 'b'))", true],
    ["trace.has(s => s.name === 'c').or(trace.has(s => s.name === 'd'))", false],
    ["trace.not(trace.has(s => s.name === 'c'))", true],
    ["trace.not(trace.has(s => s.name === 'a'))", false],
    ["trace.has(s => s.name === 'a') && trace.has(s => s.name === 'b')", true],
    ["trace.has(s => s.name === 'c') || !trace.has(s => s.name === 'd')", true],
    ["trace.has(s => s.name === 'a').and(trace.has(s => s.name === 'c')).or(trace.has(s => s.name === 'b'))", true], // left to right
    ["trace.has(s => s.name === 'a').or(trace.has(s => s.name === 'b')).and(trace.has(s => s.name === 'c'))", false],
  ])('%s', (dsl, expected) => {
    expect(run(dsl, spans).matched).toBe(expected);
  });
  test('or collects witnesses from every side that holds', () => {
    expect(run("trace.has(s => s.name === 'a').or(trace.has(s => s.name === 'b'))", spans).witnesses).toEqual(['a', 'b']);
  });
});

describe('within', () => {
  test('count within a window', () => {
    const errors = (starts: number[]): SpanSpec[] => starts.map((start, i) => ({ id: `e${i}`, name: 'pay', status: 'ERROR', start }));
    const dsl = "trace.count(s => s.status === 'ERROR') >= 3 .within('1s')";
    expect(run(dsl, errors([0, 2000, 4000, 6000])).matched).toBe(false);
    expect(run(dsl, errors([0, 2000, 2500, 2900, 6000]))).toEqual({ matched: true, witnesses: ['e1', 'e2', 'e3'] });
  });
  test('missing inside within looks at the whole trace', () => {
    const dsl = "trace.has(s => s.name === 'a').and(trace.missing(s => s.name === 'z')).within('1s')";
    expect(run(dsl, [{ id: 'a', name: 'a', start: 0 }, { id: 'z', name: 'z', start: 10_000 }]).matched).toBe(false);
    expect(run(dsl, [{ id: 'a', name: 'a', start: 0 }]).matched).toBe(true);
  });
  test('on a trace of 5,000 spans a window costs its own spans, not a scan of the trace: decided within the default budget', () => {
    // 5,000 errors 2 s apart, then three within a second: 5,000 windows. Scanning the trace per window was 25M units.
    const specs: SpanSpec[] = Array.from({ length: 5000 }, (_, i) => ({ id: `e${i}`, name: 'pay', status: 'ERROR', start: i * 2000 }));
    specs.push({ id: 'x1', name: 'pay', status: 'ERROR', start: 9_998_100 }, { id: 'x2', name: 'pay', status: 'ERROR', start: 9_998_200 });
    const condition = compileCondition("trace.count(s => s.status === 'ERROR') >= 3 .within('1s')");
    const result = evaluateTrace({ condition }, buildTrace('big', specs), { budget: 10_000_000 });
    expect(result.budgetExceeded).toBeUndefined();
    expect(result.matched).toBe(true);
    expect(result.witnesses.map((w) => w.startTime - result.witnesses[0].startTime)).toEqual([0, 100, 200]);
  });
  test('within over an or needs only the side that holds in the window', () => {
    const dsl = "trace.has(s => s.name === 'a').and(trace.has(s => s.name === 'b')).or(trace.has(s => s.name === 'c')).within('1s')";
    expect(run(dsl, [{ id: 'a', name: 'a', start: 0 }, { id: 'b', name: 'b', start: 5000 }, { id: 'c', name: 'c', start: 9000 }]).matched).toBe(true);
  });
});

describe('followedBy', () => {
  const dsl = "trace.has(s => s.name === 'a').followedBy(trace.has(s => s.name === 'b'))";
  test('b starting after a ends', () => {
    expect(run(dsl, [{ id: 'a', name: 'a', start: 0, duration: 100 }, { id: 'b', name: 'b', start: 100 }])).toEqual({ matched: true, witnesses: ['a', 'b'] });
  });
  test('b starting before a ends (overlap) does not count', () => {
    expect(run(dsl, [{ id: 'a', name: 'a', start: 0, duration: 100 }, { id: 'b', name: 'b', start: 99 }]).matched).toBe(false);
  });
  test('b before a does not count', () => {
    expect(run(dsl, [{ id: 'b', name: 'b', start: 0 }, { id: 'a', name: 'a', start: 50 }]).matched).toBe(false);
  });
  test('with within: measured start to start', () => {
    const within = `${dsl}.within('1s')`;
    expect(run(within, [{ id: 'a', name: 'a', start: 0, duration: 100 }, { id: 'b', name: 'b', start: 1000 }]).matched).toBe(true);
    expect(run(within, [{ id: 'a', name: 'a', start: 0, duration: 100 }, { id: 'b', name: 'b', start: 1001 }]).matched).toBe(false);
    expect(run(within, [
      { id: 'a1', name: 'a', start: 0, duration: 100 }, { id: 'a2', name: 'a', start: 5000, duration: 100 }, { id: 'b', name: 'b', start: 5500 },
    ])).toEqual({ matched: true, witnesses: ['a2', 'b'] });
  });
  test('a side without witnesses (missing) cannot be followed', () => {
    expect(run("trace.missing(s => s.name === 'z').followedBy(trace.has(s => s.name === 'b'))", [{ id: 'b', name: 'b', start: 0 }]).matched).toBe(false);
  });
});

describe('where', () => {
  const tree: SpanSpec[] = [
    { id: 'root', name: 'GET /checkout', service: 'gateway', start: 0, duration: 100 },
    { id: 'pay', name: 'charge', parent: 'root', service: 'payment-api', start: 10, duration: 50 },
    { id: 'fraud', name: 'fraud.check', parent: 'pay', service: 'fraud', start: 20 },
    { id: 'inv', name: 'reserve', parent: 'root', service: 'inventory', start: 60 },
    { id: 'log', name: 'fraud.check', parent: 'inv', service: 'inventory', start: 70 },
  ];
  test('scope is the anchors and all their descendants', () => {
    expect(run("trace.where(s => s.service === 'payment-api').has(s => s.name === 'fraud.check')", tree)).toEqual({ matched: true, witnesses: ['fraud'] });
    expect(run("trace.where(s => s.service === 'payment-api').count(s => true) === 2", tree).matched).toBe(true);
  });
  test('missing in a scope: the anchors are the witnesses', () => {
    const noFraud = tree.filter((s) => s.id !== 'fraud');
    expect(run("trace.where(s => s.service === 'payment-api').missing(s => s.name === 'fraud.check')", noFraud)).toEqual({ matched: true, witnesses: ['pay'] });
  });
  test('a span outside the scope does not satisfy it', () => {
    const noFraud = tree.filter((s) => s.id !== 'fraud');
    expect(run("trace.where(s => s.service === 'payment-api').has(s => s.name === 'fraud.check')", noFraud).matched).toBe(false);
  });
  test('no anchor: every condition on the view is false, absence ones included', () => {
    const noPayment = tree.filter((s) => s.id !== 'pay' && s.id !== 'fraud');
    expect(run("trace.where(s => s.service === 'payment-api').missing(s => s.name === 'fraud.check')", noPayment).matched).toBe(false);
    expect(run("trace.where(s => s.service === 'payment-api').count(s => true) === 0", noPayment).matched).toBe(false);
  });
  test('nested where narrows inside the outer scope', () => {
    expect(run("trace.where(s => s.service === 'payment-api').where(s => s.name === 'fraud.check').has(s => true)", tree).witnesses).toEqual(['fraud']);
    expect(run("trace.where(s => s.service === 'inventory' && s.name === 'reserve').where(s => s.service === 'fraud').has(s => true)", tree).matched).toBe(false);
  });
  test('descendants whose intermediate parent is missing are not in scope', () => {
    const broken = tree.filter((s) => s.id !== 'pay').concat([{ id: 'p2', name: 'charge', service: 'payment-api', start: 5 }]);
    expect(run("trace.where(s => s.service === 'payment-api').has(s => s.name === 'fraud.check')", broken).matched).toBe(false);
  });
});

describe('out-of-order input and structure', () => {
  test('span order in the input does not matter', () => {
    const specs: SpanSpec[] = [
      { id: 'q', name: 'db.query', parent: 'p', start: 30, duration: 1500 },
      { id: 'p', name: 'payment', parent: 'root', start: 10, duration: 2000 },
      { id: 'root', name: 'root', start: 0, duration: 3000 },
    ];
    expect(run(SEED_PAYMENT, specs)).toEqual({ matched: true, witnesses: ['q'] });
  });
  test('structural predicates: error swallowed by an OK parent', () => {
    const dsl = "trace.has(s => s.status === 'ERROR' && s.parent?.status === 'OK')";
    expect(run(dsl, [
      { id: 'p', name: 'handler', start: 0, status: 'OK' }, { id: 'c', name: 'call', parent: 'p', start: 1, status: 'ERROR' },
    ])).toEqual({ matched: true, witnesses: ['c'] });
  });
});
