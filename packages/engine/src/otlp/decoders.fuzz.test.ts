/**
 * Fuzzing the OTLP decoders (protobuf, JSON, JSON Lines) with random input
 * and with mutations of valid requests: every input either decodes or fails
 * with an OtlpDecodeError (which the receivers turn into a 400); nothing
 * else is thrown, nothing is polluted. Inputs are bounded in size, and the
 * decoders are linear in their input, so no input can hang a run.
 * Long runs: FLUO_FUZZ_RUNS=200000 node scripts/fuzz.mjs
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeJsonLinesTraces } from './decodeJsonLinesTraces.js';
import { decodeJsonTraces } from './decodeJsonTraces.js';
import { decodeProtobufTraces } from './decodeProtobufTraces.js';
import { encodeJsonTraces } from './encodeJsonTraces.js';
import { encodeProtobufTraces } from './encodeProtobufTraces.js';
import { OtlpDecodeError } from './otlpDecodeError.js';
import { buildTrace } from '../testing/traceBuilder.js';
import { fuzzOptions, fuzzTimeout } from '../testing/fuzzOptions.js';
import type { AttributeValue } from '../trace/span.js';

const RUNS = 2000;

/** Decodes; true when it decoded, false when it refused with OtlpDecodeError; throws anything else. */
function decodes(decode: () => { spans: unknown[]; rejected: unknown[] }): boolean {
  try {
    const out = decode();
    expect(Array.isArray(out.spans) && Array.isArray(out.rejected)).toBe(true);
    return true;
  } catch (err) {
    if (err instanceof OtlpDecodeError) {
      expect(err.message.length).toBeGreaterThan(0);
      return false;
    }
    throw err;
  } finally {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }
}

const name = fc.string({ unit: 'binary', maxLength: 16 });
const { value: attributeValue } = fc.letrec<{ value: AttributeValue }>((tie) => ({
  value: fc.oneof({ depthSize: 'small' },
    name, fc.boolean(), fc.integer(), fc.double(),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.oneof(name, fc.constantFrom('__proto__', 'constructor')), tie('value'), { maxKeys: 3 }) as fc.Arbitrary<AttributeValue>),
}));
const validTrace = fc.array(fc.record({
  name, start: fc.nat(10_000), duration: fc.nat(10_000),
  attributes: fc.dictionary(fc.oneof(name, fc.constantFrom('__proto__', 'constructor', 'service.name')), attributeValue, { maxKeys: 4 }),
}), { minLength: 1, maxLength: 4 }).map((specs) => buildTrace('fuzz', specs.map((s, i) => ({
  id: `s${i}`, parent: i > 0 ? 's0' : undefined, ...s, attributes: s.attributes as Record<string, AttributeValue>,
}))));

type Mutation = { at: number; op: 'flip' | 'set' | 'delete' | 'insert' | 'truncate'; value: number };
const mutations = fc.array(fc.record({ at: fc.nat(), op: fc.constantFrom('flip', 'set', 'delete', 'insert', 'truncate'), value: fc.nat(255) }), { minLength: 1, maxLength: 6 }) as fc.Arbitrary<Mutation[]>;

function mutateBytes(bytes: Uint8Array, ms: Mutation[]): Uint8Array {
  const b = Array.from(bytes);
  for (const m of ms) {
    const i = b.length === 0 ? 0 : m.at % b.length;
    if (m.op === 'flip') b[i] ^= 1 << (m.value % 8);
    else if (m.op === 'set') b[i] = m.value;
    else if (m.op === 'delete') b.splice(i, 1);
    else if (m.op === 'insert') b.splice(i, 0, m.value);
    else b.length = i;
  }
  return Uint8Array.from(b);
}

const JSON_TOKENS = ['{', '}', '[', ']', ',', ':', '"', '\\', '0', '-', 'e', '1e999', 'null', 'true', '"__proto__"', '"resourceSpans"', '"spans"', '"traceId"', '"intValue"', ' ', '\n', '\u2028', '\ud800'];
function mutateText(text: string, ms: Mutation[]): string {
  let t = text;
  for (const m of ms) {
    const i = t.length === 0 ? 0 : m.at % t.length;
    const token = JSON_TOKENS[m.value % JSON_TOKENS.length];
    if (m.op === 'delete') t = t.slice(0, i) + t.slice(i + 1);
    else if (m.op === 'insert' || m.op === 'flip') t = t.slice(0, i) + token + t.slice(i);
    else if (m.op === 'set') t = t.slice(0, i) + token + t.slice(i + 1);
    else t = t.slice(0, i);
  }
  return t;
}

describe('OTLP/protobuf decoder fuzz', () => {
  it('random bytes: decoded or refused with OtlpDecodeError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => { decodes(() => decodeProtobufTraces(bytes)); }), fuzzOptions(RUNS));
  }, fuzzTimeout(30_000));

  it('mutated valid requests: decoded or refused with OtlpDecodeError', () => {
    let refused = 0;
    fc.assert(fc.property(validTrace, mutations, (spans, ms) => {
      if (!decodes(() => decodeProtobufTraces(mutateBytes(encodeProtobufTraces(spans), ms)))) refused++;
    }), fuzzOptions(RUNS));
    expect(refused).toBeGreaterThan(0); // the mutations do reach the error paths
  }, fuzzTimeout(30_000));
});

describe('OTLP/JSON decoder fuzz', () => {
  it('random text: decoded or refused with OtlpDecodeError', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => { decodes(() => decodeJsonTraces(text)); }), fuzzOptions(RUNS));
  }, fuzzTimeout(30_000));

  it('random JSON values in a request\'s shape: decoded or refused with OtlpDecodeError', () => {
    const shaped = fc.jsonValue({ maxDepth: 4 }).chain((v) => fc.constantFrom(
      v, { resourceSpans: v }, { resourceSpans: [{ scopeSpans: v }] }, { resourceSpans: [{ resource: v, scopeSpans: [{ spans: v }] }] },
      { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', name: 'x', attributes: v }] }] }] },
    ));
    fc.assert(fc.property(shaped, (value) => {
      decodes(() => decodeJsonTraces(JSON.stringify(value)));
      decodes(() => decodeJsonTraces(value));
    }), fuzzOptions(RUNS));
  }, fuzzTimeout(30_000));

  it('mutated valid requests: decoded or refused with OtlpDecodeError', () => {
    let refused = 0;
    fc.assert(fc.property(validTrace, mutations, (spans, ms) => {
      if (!decodes(() => decodeJsonTraces(mutateText(JSON.stringify(encodeJsonTraces(spans)), ms)))) refused++;
    }), fuzzOptions(RUNS));
    expect(refused).toBeGreaterThan(0);
  }, fuzzTimeout(30_000));

  it('deep nesting is refused, not a stack overflow', () => {
    for (const depth of [1_000, 100_000]) {
      expect(decodes(() => decodeJsonTraces(`${'['.repeat(depth)}${']'.repeat(depth)}`))).toBe(false);
      const kv = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"x","attributes":[{"key":"k","value":${'{"arrayValue":{"values":['.repeat(depth)}${']}}'.repeat(depth)}}]}]}]}]}`;
      decodes(() => decodeJsonTraces(kv));
    }
  });
});

describe('OTLP JSON Lines decoder fuzz', () => {
  it('mutated files of valid lines: decoded or refused with OtlpDecodeError', () => {
    fc.assert(fc.property(fc.array(validTrace, { minLength: 1, maxLength: 3 }), mutations, (traces, ms) => {
      decodes(() => decodeJsonLinesTraces(mutateText(traces.map((t) => JSON.stringify(encodeJsonTraces(t))).join('\n'), ms)));
    }), fuzzOptions(RUNS / 2));
  }, fuzzTimeout(30_000));
});
