import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { decodeJsonTraces } from './decodeJsonTraces.js';
import { decodeProtobufTraces, decodeProtobufTracesWithProtobufjs } from './decodeProtobufTraces.js';
import { encodeJsonTraces } from './encodeJsonTraces.js';
import { encodeProtobufTraces } from './encodeProtobufTraces.js';
import { encodeTracesData } from './encodeTracesData.js';
import { encodeTracesDataAsReceived } from './encodeTracesDataAsReceived.js';
import { createAttributeMap } from '../trace/span.js';
import { attributeMap, plainSpan, spanArbitrary } from './spanArbitrary.testkit.js';

// The oracle's reading of the stored bytes: protobufjs with the vendored .proto, every field it knows.
const protoDir = fileURLToPath(new URL('../../../../proto', import.meta.url));
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => (target.startsWith(protoDir) ? target : join(protoDir, target));
root.loadSync(join(protoDir, 'opentelemetry/proto/collector/trace/v1/trace_service.proto'));
const Request = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');

const encode = (request: object): Uint8Array => Request.encode(Request.fromObject(request)).finish();
const asObject = (bytes: Uint8Array): any => Request.toObject(Request.decode(bytes), { longs: String, bytes: String, defaults: false });
const id = (byte: number, length: number): Uint8Array => new Uint8Array(length).fill(byte);

describe('encodeTracesDataAsReceived', () => {
  it('keeps what the span model does not hold: flags, dropped counts, schema URLs, scope attributes, the double 1.0', () => {
    const request = encode({
      resourceSpans: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }], droppedAttributesCount: 2 },
        schemaUrl: 'https://opentelemetry.io/schemas/1.27.0',
        scopeSpans: [{
          scope: { name: 'lib', version: '1', attributes: [{ key: 'scope.k', value: { boolValue: true } }], droppedAttributesCount: 1 },
          schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
          spans: [{
            traceId: id(1, 16), spanId: id(2, 8), name: 'GET /', kind: 2, flags: 0x301,
            startTimeUnixNano: '1700000000000000001', endTimeUnixNano: '1700000000500000002',
            attributes: [{ key: 'ratio', value: { doubleValue: 1 } }], droppedAttributesCount: 3, droppedEventsCount: 4, droppedLinksCount: 5,
          }],
        }],
      }],
    });
    const spans = decodeProtobufTraces(request).spans;
    const stored = asObject(encodeTracesDataAsReceived(spans));
    const original = asObject(request);
    expect(stored).toEqual(original);
    expect(stored.resourceSpans[0].scopeSpans[0].spans[0]).toMatchObject({ flags: 0x301, droppedAttributesCount: 3, droppedEventsCount: 4, droppedLinksCount: 5 });
    expect(stored.resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value).toEqual({ doubleValue: 1 });
    // What encoding from the model would have lost.
    const fromModel = asObject(encodeTracesData(spans));
    expect(fromModel.resourceSpans[0].scopeSpans[0].spans[0].flags).toBeUndefined();
    expect(fromModel.resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value).toEqual({ intValue: '1' });
    expect(fromModel.resourceSpans[0].schemaUrl).toBeUndefined();
  });

  it('copies fields of newer OTLP versions in the span, its scope spans and its resource spans, byte for byte', () => {
    const request = encode({
      resourceSpans: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'a' } }] },
        scopeSpans: [{ scope: { name: 's' }, spans: [{ traceId: id(1, 16), spanId: id(2, 8), name: 'x' }] }],
      }],
    });
    // The request by hand, with a field unknown to trace.proto (number 99, varint 7) in the span, the scope spans and the
    // resource spans (before their nested messages: the envelope's own fields are written first).
    const unknown = [0x98, 0x06, 0x07];
    const spanMessage = [...(root.lookupType('opentelemetry.proto.trace.v1.Span').encode({ traceId: id(1, 16), spanId: id(2, 8), name: 'x' }).finish()), ...unknown];
    const scopeMessage = [0x0a, 0x03, 0x0a, 0x01, 0x73, ...unknown, 0x12, spanMessage.length, ...spanMessage];
    const resource = [...root.lookupType('opentelemetry.proto.resource.v1.Resource').encode({ attributes: [{ key: 'service.name', value: { stringValue: 'a' } }] }).finish()];
    const resourceSpans = [0x0a, resource.length, ...resource, ...unknown, 0x12, scopeMessage.length, ...scopeMessage];
    const handMade = new Uint8Array([0x0a, resourceSpans.length, ...resourceSpans]);
    expect(decodeProtobufTraces(handMade).spans.map(plainSpan)).toEqual(decodeProtobufTraces(request).spans.map(plainSpan));
    const stored = encodeTracesDataAsReceived(decodeProtobufTraces(handMade).spans);
    expect([...stored]).toEqual([...handMade]);
  });

  it('writes only the spans given, each inside its own resource and scope, when a request holds several traces', () => {
    const span = (trace: number, n: number, name: string) => ({ traceId: id(trace, 16), spanId: id(n, 8), name });
    const request = encode({
      resourceSpans: [
        { resource: { attributes: [{ key: 'service.name', value: { stringValue: 'a' } }] }, scopeSpans: [
          { scope: { name: 'a1' }, spans: [span(1, 1, 'one'), span(2, 2, 'other'), span(1, 3, 'two')] },
          { scope: { name: 'a2' }, spans: [span(2, 4, 'other'), span(1, 5, 'three')] },
        ] },
        { resource: { attributes: [{ key: 'service.name', value: { stringValue: 'b' } }] }, scopeSpans: [
          { scope: { name: 'b1' }, spans: [span(2, 6, 'other')] },
          { scope: { name: 'b2' }, spans: [span(1, 7, 'four')] },
        ] },
      ],
    });
    const all = decodeProtobufTraces(request).spans;
    const trace1 = all.filter((s) => s.traceId === '01'.repeat(16));
    const stored = encodeTracesDataAsReceived(trace1);
    expect(decodeProtobufTracesWithProtobufjs(stored).spans.map(plainSpan)).toEqual(trace1.map(plainSpan));
    expect(asObject(stored).resourceSpans.map((r: any) => r.scopeSpans.map((s: any) => s.scope.name))).toEqual([['a1', 'a2'], ['b2']]);
    // The other trace of the same request, after the first (its messages' own fields are found once per message, then reused).
    const trace2 = all.filter((s) => s.traceId === '02'.repeat(16));
    const stored2 = encodeTracesDataAsReceived(trace2);
    expect(decodeProtobufTracesWithProtobufjs(stored2).spans.map(plainSpan)).toEqual(trace2.map(plainSpan));
    expect(asObject(stored2).resourceSpans.map((r: any) => r.scopeSpans.map((s: any) => s.scope.name))).toEqual([['a1', 'a2'], ['b1']]);
    expect(encodeTracesDataAsReceived(trace1)).toEqual(stored);
  });

  it('writes spans without a source (OTLP/JSON, built in code) from the model, next to those with one (property, oracle)', () => {
    const spans = fc.array(spanArbitrary({
      text: fc.string({ maxLength: 8 }), key: fc.string({ maxLength: 8 }), nanos: fc.bigInt({ min: 0n, max: 2n ** 63n }).map(String),
      scalars: [fc.integer(), fc.double({ noNaN: true })], maxAttributes: 3,
      resources: [attributeMap([['service.name', 'a']]), attributeMap([['service.name', 'b'], ['k', 1]]), createAttributeMap()],
      scopes: [{ name: 'lib', version: '1' }, { name: '', version: '' }],
    }), { minLength: 1, maxLength: 6 });
    fc.assert(fc.property(spans, fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), (generated, viaProtobuf) => {
      // Each span decoded again from one of two requests: OTLP/protobuf (a source) or OTLP/JSON (none).
      const protobufSpans = decodeProtobufTraces(encodeProtobufTraces(generated.filter((_, i) => viaProtobuf[i]))).spans;
      const jsonSpans = decodeJsonTraces(encodeJsonTraces(generated.filter((_, i) => !viaProtobuf[i]))).spans;
      expect(protobufSpans.every((s) => s.source !== null) && jsonSpans.every((s) => s.source === null)).toBe(true);
      const mixed = [...jsonSpans, ...protobufSpans];
      const back = decodeProtobufTracesWithProtobufjs(encodeTracesDataAsReceived(mixed)).spans;
      const key = (s: { spanId: string; traceId: string }) => `${s.traceId}${s.spanId}`;
      const sorted = (list: typeof back) => list.slice().sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)).map(plainSpan);
      expect(sorted(back)).toEqual(sorted(mixed));
    }), { numRuns: 200 });
  });

  it('writes nothing for no spans', () => {
    expect(encodeTracesDataAsReceived([])).toEqual(new Uint8Array(0));
  });
});
