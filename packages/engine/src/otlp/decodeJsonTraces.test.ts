import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nanosToMillis } from '../trace/span.js';
import { decodeJsonTraces, OtlpDecodeError } from './index.js';

const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN_A = 'eee19b7ec3c1b174';
const SPAN_B = 'eee19b7ec3c1b173';

function span(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { traceId: TRACE, spanId: SPAN_A, name: 'op', startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000001000000', ...fields };
}

function request(spans: unknown[], resourceAttributes: unknown[] = []): Record<string, unknown> {
  return { resourceSpans: [{ resource: { attributes: resourceAttributes }, scopeSpans: [{ scope: { name: 's', version: '1' }, spans }] }] };
}

function decodeError(input: unknown): OtlpDecodeError {
  try {
    decodeJsonTraces(input);
  } catch (err) {
    expect(err).toBeInstanceOf(OtlpDecodeError);
    return err as OtlpDecodeError;
  }
  throw new Error('expected an OtlpDecodeError');
}

// The request from the OTLP specification's examples (examples/trace.json), as text.
const SPEC_EXAMPLE = `{
  "resourceSpans": [
    {
      "resource": {
        "attributes": [
          { "key": "service.name", "value": { "stringValue": "my.service" } }
        ]
      },
      "scopeSpans": [
        {
          "scope": {
            "name": "my.library",
            "version": "1.0.0",
            "attributes": [ { "key": "my.scope.attribute", "value": { "stringValue": "some scope attribute" } } ]
          },
          "spans": [
            {
              "traceId": "5B8EFFF798038103D269B633813FC60C",
              "spanId": "EEE19B7EC3C1B174",
              "parentSpanId": "EEE19B7EC3C1B173",
              "name": "I'm a server span",
              "startTimeUnixNano": "1544712660000000000",
              "endTimeUnixNano": "1544712661000000000",
              "kind": 2,
              "attributes": [
                { "key": "my.span.attr", "value": { "stringValue": "some value" } }
              ]
            }
          ]
        }
      ]
    }
  ]
}`;

describe('decodeJsonTraces', () => {
  it('decodes the OTLP specification example (text and parsed object alike)', () => {
    for (const input of [SPEC_EXAMPLE, JSON.parse(SPEC_EXAMPLE)]) {
      const { spans, rejected } = decodeJsonTraces(input);
      expect(rejected).toEqual([]);
      expect(spans).toHaveLength(1);
      const s = spans[0];
      expect(s.traceId).toBe(TRACE);
      expect(s.spanId).toBe(SPAN_A);
      expect(s.parentSpanId).toBe(SPAN_B);
      expect(s.name).toBe("I'm a server span");
      expect(s.kind).toBe('SERVER');
      expect(s.startTimeUnixNano).toBe('1544712660000000000');
      expect(s.duration).toBe(1000);
      expect(s.service).toBe('my.service');
      expect(s.scope).toEqual({ name: 'my.library', version: '1.0.0' });
      expect(s.attributes['my.span.attr']).toBe('some value');
    }
  });

  it('decodes events, links, status, traceState and every AnyValue type', () => {
    const { spans, rejected } = decodeJsonTraces(
      request([
        span({
          traceState: 'a=1',
          status: { code: 2, message: 'boom' },
          events: [{ timeUnixNano: '1700000000000500000', name: 'exception', attributes: [{ key: 'exception.type', value: { stringValue: 'E' } }] }],
          links: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceState: 'b=2', attributes: [{ key: 'l', value: { intValue: '3' } }] }],
          attributes: [
            { key: 'str', value: { stringValue: 'x' } },
            { key: 'empty-str', value: { stringValue: '' } },
            { key: 'bool', value: { boolValue: false } },
            { key: 'int-string', value: { intValue: '42' } },
            { key: 'int-number', value: { intValue: 42 } },
            { key: 'int-big', value: { intValue: '9223372036854775807' } },
            { key: 'int-neg-big', value: { intValue: '-9223372036854775808' } },
            { key: 'double', value: { doubleValue: 2.5 } },
            { key: 'double-string', value: { doubleValue: '2.5e3' } },
            { key: 'nan', value: { doubleValue: 'NaN' } },
            { key: 'inf', value: { doubleValue: 'Infinity' } },
            { key: 'ninf', value: { doubleValue: '-Infinity' } },
            { key: 'bytes', value: { bytesValue: 'AQID/w==' } },
            { key: 'bytes-url', value: { bytesValue: 'AQID_w' } },
            { key: 'array', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 1 }, {}] } } },
            { key: 'empty-array', value: { arrayValue: {} } },
            { key: 'kvlist', value: { kvlistValue: { values: [{ key: 'k', value: { boolValue: true } }] } } },
            { key: 'empty', value: {} },
            { key: 'no-value' },
            { key: 'null-value', value: null },
            { key: 'strindex', value: { stringValueStrindex: 5 } },
          ],
        }),
      ]),
    );
    expect(rejected).toEqual([]);
    const s = spans[0];
    expect(s.traceState).toBe('a=1');
    expect(s.status).toBe('ERROR');
    expect(s.statusMessage).toBe('boom');
    expect(s.events).toEqual([{ name: 'exception', timeUnixNano: '1700000000000500000', time: nanosToMillis('1700000000000500000'), attributes: expect.anything() }]);
    expect(s.events[0].attributes['exception.type']).toBe('E');
    expect(s.links[0]).toMatchObject({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceState: 'b=2' });
    expect(s.links[0].attributes.l).toBe(3);
    const a = s.attributes;
    expect(a.str).toBe('x');
    expect(a['empty-str']).toBe('');
    expect(a.bool).toBe(false);
    expect(a['int-string']).toBe(42);
    expect(a['int-number']).toBe(42);
    expect(a['int-big']).toBe('9223372036854775807');
    expect(a['int-neg-big']).toBe('-9223372036854775808');
    expect(a.double).toBe(2.5);
    expect(a['double-string']).toBe(2500);
    expect(a.nan).toBeNaN();
    expect(a.inf).toBe(Infinity);
    expect(a.ninf).toBe(-Infinity);
    expect(a.bytes).toBe('010203ff');
    expect(a['bytes-url']).toBe('010203ff');
    expect(a.array).toEqual(['a', 1, null]);
    expect(a['empty-array']).toEqual([]);
    expect(Object.getPrototypeOf(a.kvlist)).toBeNull();
    expect((a.kvlist as Record<string, unknown>).k).toBe(true);
    expect(a.empty).toBeNull();
    expect(a['no-value']).toBeNull();
    expect(a['null-value']).toBeNull();
    expect(a.strindex).toBeNull();
  });

  it('accepts enum names', () => {
    const { spans } = decodeJsonTraces(request([span({ kind: 'SPAN_KIND_SERVER', status: { code: 'STATUS_CODE_ERROR' } }), span({ spanId: SPAN_B, kind: 'SPAN_KIND_PRODUCER', status: { code: 'STATUS_CODE_OK' } })]));
    expect(spans.map((s) => [s.kind, s.status])).toEqual([['SERVER', 'ERROR'], ['PRODUCER', 'OK']]);
    expect(decodeJsonTraces(request([span({ kind: 'SPAN_KIND_UNSPECIFIED' })])).spans[0].kind).toBe('INTERNAL');
  });

  it('accepts the proto field names (snake_case)', () => {
    const { spans, rejected } = decodeJsonTraces({
      resource_spans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { string_value: 'snake' } }] },
          scope_spans: [
            {
              scope: { name: 'lib' },
              spans: [
                {
                  trace_id: TRACE,
                  span_id: SPAN_A,
                  parent_span_id: SPAN_B,
                  trace_state: 't=1',
                  name: 'snake span',
                  kind: 3,
                  start_time_unix_nano: '1700000000000000000',
                  end_time_unix_nano: '1700000000002000000',
                  attributes: [
                    { key: 'i', value: { int_value: '7' } },
                    { key: 'd', value: { double_value: 1.25 } },
                    { key: 'b', value: { bool_value: true } },
                    { key: 'y', value: { bytes_value: 'AA==' } },
                    { key: 'a', value: { array_value: { values: [{ string_value: 'x' }] } } },
                    { key: 'm', value: { kvlist_value: { values: [{ key: 'k', value: { int_value: 1 } }] } } },
                  ],
                  events: [{ time_unix_nano: '1700000000001000000', name: 'e' }],
                  links: [{ trace_id: TRACE, span_id: SPAN_B, trace_state: 'l=1' }],
                  status: { code: 1 },
                },
              ],
            },
          ],
        },
      ],
    });
    expect(rejected).toEqual([]);
    const s = spans[0];
    expect(s).toMatchObject({ parentSpanId: SPAN_B, traceState: 't=1', name: 'snake span', kind: 'CLIENT', status: 'OK', service: 'snake', duration: 2 });
    expect({ ...s.attributes }).toEqual({ i: 7, d: 1.25, b: true, y: '00', a: ['x'], m: expect.anything() });
    expect(s.events[0].timeUnixNano).toBe('1700000000001000000');
    expect(s.links[0]).toMatchObject({ spanId: SPAN_B, traceState: 'l=1' });
  });

  it('keeps 64-bit integers written as JSON numbers exact', () => {
    const text = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${TRACE}","spanId":"${SPAN_A}",
      "startTimeUnixNano":1700000000123456789,"endTimeUnixNano":18446744073709551615,
      "attributes":[{"key":"big","value":{"intValue":12345678901234567890}},{"key":"neg","value":{"intValue":-9223372036854775808}},
      {"key":"small","value":{"intValue":1234567890123456}},{"key":"d","value":{"doubleValue":12345678901234567890}}]}]}]}]}`;
    // 12345678901234567890 exceeds int64: that span is rejected, so use a valid one too.
    const { spans, rejected } = decodeJsonTraces(text.replace('12345678901234567890}}', '1234567890123456789}}'));
    expect(rejected).toEqual([]);
    const s = spans[0];
    expect(s.startTimeUnixNano).toBe('1700000000123456789');
    expect(s.endTimeUnixNano).toBe('18446744073709551615');
    expect(s.attributes.big).toBe('1234567890123456789');
    expect(s.attributes.neg).toBe('-9223372036854775808');
    expect(s.attributes.small).toBe(1234567890123456);
    expect(s.attributes.d).toBe(12345678901234567890);

    const outOfRange = decodeJsonTraces(text);
    expect(outOfRange.rejected).toEqual([
      {
        path: 'resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.intValue',
        message: 'intValue must be a signed 64-bit integer (a decimal string or a number), got the number 12345678901234567890',
      },
    ]);
  });

  it('rejects spans with type errors and invalid ids, with their paths', () => {
    const p = 'resourceSpans[0].scopeSpans[0].spans';
    const { spans, rejected } = decodeJsonTraces(
      request([
        span({ name: 5 }),
        span({ traceId: 'W47/95gDgQPSabYzgT/GDA==' }),
        span({ spanId: '00000000000000000' + '' }),
        span({ spanId: 'zzzzzzzzzzzzzzzz' }),
        span({ traceId: '' }),
        span({ parentSpanId: 'abc' }),
        span({ kind: 'SERVER' }),
        span({ kind: 1.5 }),
        span({ status: { code: 'STATUS_CODE_BROKEN' } }),
        span({ startTimeUnixNano: '-1' }),
        span({ endTimeUnixNano: 1.5 }),
        span({ attributes: {} }),
        span({ attributes: [{ key: 'a', value: { stringValue: 'x', intValue: '1' } }] }),
        span({ attributes: [{ key: 'a', value: { arrayValue: { values: [{ boolValue: 'yes' }] } } }] }),
        span({ attributes: [{ key: 'a', value: { bytesValue: 'not base64!' } }] }),
        span({ events: [{ name: 'e', timeUnixNano: 'soon' }] }),
        span({ links: [{ traceId: TRACE }] }),
        'not a span',
        span({ traceId: undefined }),
        span({ name: 'the only good one' }),
      ]),
    );
    expect(spans.map((s) => s.name)).toEqual(['the only good one']);
    expect(rejected).toEqual([
      { path: `${p}[0].name`, message: 'name must be a string, got the number 5' },
      { path: `${p}[1].traceId`, message: 'traceId must be 32 hex characters (16 bytes; OTLP/JSON ids are hex, not base64), got 24 characters ("W47/95gDgQPSabYzgT/GDA==")' },
      { path: `${p}[2].spanId`, message: 'spanId must be 16 hex characters (8 bytes; OTLP/JSON ids are hex, not base64), got 17 characters ("00000000000000000")' },
      { path: `${p}[3].spanId`, message: 'spanId must be 16 hex characters (8 bytes; OTLP/JSON ids are hex, not base64), got non-hex characters ("zzzzzzzzzzzzzzzz")' },
      { path: `${p}[4].traceId`, message: 'traceId must be 32 hex characters (16 bytes; OTLP/JSON ids are hex, not base64), got an empty string' },
      { path: `${p}[5].parentSpanId`, message: 'parentSpanId must be 16 hex characters (8 bytes; OTLP/JSON ids are hex, not base64), got 3 characters ("abc")' },
      { path: `${p}[6].kind`, message: expect.stringMatching(/^kind "SERVER" is not one of SPAN_KIND_UNSPECIFIED, SPAN_KIND_INTERNAL, SPAN_KIND_SERVER/) },
      { path: `${p}[7].kind`, message: 'kind must be an enum number or name such as SPAN_KIND_INTERNAL, got the number 1.5' },
      { path: `${p}[8].status.code`, message: expect.stringMatching(/^code "STATUS_CODE_BROKEN" is not one of STATUS_CODE_UNSET, STATUS_CODE_OK, STATUS_CODE_ERROR/) },
      { path: `${p}[9].startTimeUnixNano`, message: expect.stringMatching(/^startTimeUnixNano must be an unsigned 64-bit integer .*got the string "-1"$/) },
      { path: `${p}[10].endTimeUnixNano`, message: expect.stringMatching(/got the number 1.5$/) },
      { path: `${p}[11].attributes`, message: expect.stringMatching(/^attributes must be an array of .* got an object$/) },
      { path: `${p}[12].attributes[0].value.intValue`, message: 'an AnyValue holds one value, but both stringValue and intValue are set' },
      { path: `${p}[13].attributes[0].value.arrayValue.values[0].boolValue`, message: 'boolValue must be true or false, got the string "yes"' },
      { path: `${p}[14].attributes[0].value.bytesValue`, message: expect.stringMatching(/^bytesValue is not valid base64: invalid base64 character " " at index 3$/) },
      { path: `${p}[15].events[0].timeUnixNano`, message: expect.stringMatching(/got the string "soon"$/) },
      { path: `${p}[16].links[0].spanId`, message: 'spanId is missing (required: 16 hex characters)' },
      { path: `${p}[17]`, message: 'a span must be an object, got the string "not a span"' },
      { path: `${p}[18].traceId`, message: 'traceId is missing (required: 32 hex characters)' },
    ]);
  });

  it('rejects the spans under a bad resource or scope, and keeps the others', () => {
    const { spans, rejected } = decodeJsonTraces({
      resourceSpans: [
        { resource: { attributes: [{ key: 'service.name', value: { stringValue: 1 } }] }, scopeSpans: [{ spans: [span(), span({ spanId: SPAN_B })] }] },
        { scopeSpans: [{ scope: { name: ['x'] }, spans: [span()] }, { scope: { name: 'ok' }, spans: [span({ name: 'kept' })] }] },
      ],
    });
    expect(spans.map((s) => s.name)).toEqual(['kept']);
    expect(rejected).toEqual([
      { path: 'resourceSpans[0].resource.attributes[0].value.stringValue', message: 'stringValue must be a string, got the number 1 (span resourceSpans[0].scopeSpans[0].spans[0] rejected with its resource)' },
      { path: 'resourceSpans[0].resource.attributes[0].value.stringValue', message: 'stringValue must be a string, got the number 1 (span resourceSpans[0].scopeSpans[0].spans[1] rejected with its resource)' },
      { path: 'resourceSpans[1].scopeSpans[0].scope.name', message: 'name must be a string, got an array (span resourceSpans[1].scopeSpans[0].spans[0] rejected with its scope)' },
    ]);
  });

  it('fails the request when its structure is not an ExportTraceServiceRequest', () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [[], '', /must be a JSON object with "resourceSpans", got an array/],
      ['"text"', '', /got the string "text"/],
      ['null', '', /got null/],
      [{ resourceSpans: 5 }, 'resourceSpans', /^resourceSpans must be an array of ResourceSpans, got the number 5$/],
      [{ resource_spans: {} }, 'resource_spans', /^resource_spans must be an array/],
      [{ resourceSpans: ['x'] }, 'resourceSpans[0]', /must be a ResourceSpans object, got the string "x"/],
      [{ resourceSpans: [{ scopeSpans: {} }] }, 'resourceSpans[0].scopeSpans', /must be an array of ScopeSpans, got an object/],
      [{ resourceSpans: [{ scopeSpans: [7] }] }, 'resourceSpans[0].scopeSpans[0]', /must be a ScopeSpans object/],
      [{ resourceSpans: [{ scopeSpans: [{ spans: {} }] }] }, 'resourceSpans[0].scopeSpans[0].spans', /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans must be an array of Span objects, got an object$/],
      [new Uint8Array(3), '', /binary data \(use decodeProtobufTraces/],
    ];
    for (const [input, path, message] of cases) {
      const err = decodeError(input);
      expect(err.code).toBe('OTLP_SHAPE');
      expect(err.path).toBe(path);
      expect(err.message).toMatch(message);
    }
  });

  it('treats null as absent and an empty request as no spans', () => {
    expect(decodeJsonTraces('{}')).toEqual({ spans: [], rejected: [] });
    expect(decodeJsonTraces({ resourceSpans: null })).toEqual({ spans: [], rejected: [] });
    expect(decodeJsonTraces({ resourceSpans: [null, { scopeSpans: [null, { spans: null }] }] })).toEqual({ spans: [], rejected: [] });
    const s = decodeJsonTraces(request([span({ parentSpanId: null, name: null, kind: null, status: null, attributes: null, events: null })])).spans[0];
    expect(s).toMatchObject({ parentSpanId: null, name: '', kind: 'INTERNAL', status: 'UNSET' });
  });

  it('reads an empty or all-zero parentSpanId as a root span', () => {
    const { spans } = decodeJsonTraces(request([span({ parentSpanId: '' }), span({ spanId: SPAN_B, parentSpanId: '0000000000000000' })]));
    expect(spans.map((s) => s.parentSpanId)).toEqual([null, null]);
  });

  it('ignores unknown fields at every level', () => {
    const input = {
      resourceSpans: [
        {
          futureField: { x: 1 },
          resource: { attributes: [], droppedAttributesCount: 0, entityRefs: [] },
          schemaUrl: 'https://example.com',
          scopeSpans: [{ scope: { name: 's', attributes: 'ignored' }, spans: [span({ flags: 257, droppedEventsCount: 3, somethingNew: [1, 2] })], extra: true }],
        },
      ],
      another: 'top-level',
    };
    const { spans, rejected } = decodeJsonTraces(input);
    expect(rejected).toEqual([]);
    expect(spans).toHaveLength(1);
  });

  it('keeps attribute keys such as __proto__ as plain own data and pollutes nothing', () => {
    const text = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"__proto__":{"polluted":true},"traceId":"${TRACE}","spanId":"${SPAN_A}",
      "attributes":[{"key":"__proto__","value":{"kvlistValue":{"values":[{"key":"isAdmin","value":{"boolValue":true}}]}}},
      {"key":"constructor","value":{"stringValue":"c"}},
      {"key":"m","value":{"kvlistValue":{"values":[{"key":"__proto__","value":{"stringValue":"inner"}}]}}}]}]}]}]}`;
    for (const input of [text, text.replace('"traceId"', '"big":12345678901234567,"traceId"')]) {
      const s = decodeJsonTraces(input).spans[0];
      expect(Object.keys(s.attributes)).toEqual(['__proto__', 'constructor', 'm']);
      expect(Object.getPrototypeOf(s.attributes)).toBe(s.resource);
      expect(Object.getOwnPropertyDescriptor(s.attributes, '__proto__')?.value).toMatchObject({ isAdmin: true });
      expect(s.attributes.constructor).toBe('c');
      expect(Object.getOwnPropertyDescriptor(s.attributes.m, '__proto__')?.value).toBe('inner');
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    }
  });

  it('reports JSON syntax errors with line and column', () => {
    const err = decodeError('{\n  "resourceSpans": [\n    {,}\n  ]\n}');
    expect(err.code).toBe('OTLP_JSON');
    expect(err.line).toBe(3);
    expect(err.column).toBe(6);
    expect(err.message).toBe("invalid JSON: unexpected character ',', expected a property name in double quotes at line 3, column 6");

    const truncated = decodeError('{"resourceSpans": [');
    expect(truncated.message).toBe('invalid JSON: unexpected end of input at line 1, column 20');
    expect([truncated.line, truncated.column]).toEqual([1, 20]);

    expect(decodeError('{"a": 1} x').message).toMatch(/unexpected character 'x' after the JSON value at line 1, column 10/);
    expect(decodeError('{"a": "b\nc"}').message).toMatch(/U\+000A in string \(control characters must be escaped\) at line 1, column 9/);
    expect(decodeError('{"a": [1 2]}').message).toMatch(/expected ',' or '\]' in array at line 1, column 10/);
    expect(decodeError('{"a": tru}').message).toMatch(/unexpected character 't' at line 1, column 7/);
    expect(decodeError('').message).toMatch(/unexpected end of input at line 1, column 1/);
    // The slow (exact-integer) path reports errors the same way.
    expect(decodeError('{"a": 12345678901234567890,\n  "b": }').message).toMatch(/unexpected character '}' at line 2, column 8/);
  });

  it('rejects absurdly nested attribute values without overflowing the stack', () => {
    const depth = 50_000;
    const value = '{"arrayValue":{"values":['.repeat(depth) + '{"stringValue":"x"}' + ']}}'.repeat(depth);
    for (const extra of ['', '"big":12345678901234567,']) {
      const text = `{"resourceSpans":[{"scopeSpans":[{"spans":[{${extra}"traceId":"${TRACE}","spanId":"${SPAN_A}","attributes":[{"key":"deep","value":${value}}]}]}]}]}`;
      const { spans, rejected } = decodeJsonTraces(text);
      expect(spans).toEqual([]);
      expect(rejected[0].message).toBe('attribute value is nested more than 32 levels deep');
      expect(rejected[0].path).toBe(`resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value${'.arrayValue.values[0]'.repeat(32)}`);
    }
  });

  it('never throws anything but OtlpDecodeError for arbitrary JSON values and text (property)', () => {
    const check = (input: unknown): void => {
      try {
        decodeJsonTraces(input);
      } catch (err) {
        if (!(err instanceof OtlpDecodeError)) throw err;
      }
    };
    fc.assert(fc.property(fc.jsonValue(), check), { numRuns: 1000 });
    fc.assert(fc.property(fc.string(), check), { numRuns: 1000 });
    // Requests with arbitrary values in every position.
    const anyish = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(TRACE, SPAN_A, '', 'SPAN_KIND_SERVER', '1700000000000000000'));
    const arbitrarySpan = fc.dictionary(
      fc.constantFrom('traceId', 'spanId', 'parentSpanId', 'name', 'kind', 'startTimeUnixNano', 'attributes', 'events', 'links', 'status', 'trace_id'),
      fc.oneof(anyish, fc.array(fc.record({ key: fc.string(), value: fc.dictionary(fc.constantFrom('stringValue', 'intValue', 'arrayValue', 'kvlistValue', 'bytesValue', 'doubleValue'), anyish) }), { maxLength: 3 })),
    );
    fc.assert(fc.property(fc.array(arbitrarySpan, { maxLength: 4 }), (spans) => check(request(spans))), { numRuns: 1000 });
  });
});
