import { describe, expect, it } from 'vitest';
import { decodeJsonLinesTraces, OtlpDecodeError } from './index.js';

const TRACE = '5b8efff798038103d269b633813fc60c';

function line(spanIds: string[], extra: Record<string, unknown> = {}): string {
  const spans = spanIds.map((spanId) => ({ traceId: TRACE, spanId, name: `span ${spanId}`, startTimeUnixNano: '1', endTimeUnixNano: '2', ...extra }));
  return JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] });
}

function decodeError(text: string): OtlpDecodeError {
  try {
    decodeJsonLinesTraces(text);
  } catch (err) {
    expect(err).toBeInstanceOf(OtlpDecodeError);
    return err as OtlpDecodeError;
  }
  throw new Error('expected an OtlpDecodeError');
}

describe('decodeJsonLinesTraces', () => {
  it('decodes one request per line, in order, skipping blank lines and accepting CRLF', () => {
    const text = `${line(['0000000000000001', '0000000000000002'])}\r\n\r\n   \n${line(['0000000000000003'])}\n`;
    const { spans, rejected } = decodeJsonLinesTraces(text);
    expect(rejected).toEqual([]);
    expect(spans.map((s) => s.spanId)).toEqual(['0000000000000001', '0000000000000002', '0000000000000003']);
  });

  it('decodes the last line without a trailing newline, and empty input', () => {
    expect(decodeJsonLinesTraces(line(['0000000000000001'])).spans).toHaveLength(1);
    expect(decodeJsonLinesTraces('')).toEqual({ spans: [], rejected: [] });
    expect(decodeJsonLinesTraces('\n\n')).toEqual({ spans: [], rejected: [] });
  });

  it('names the line of a JSON syntax error', () => {
    const text = [line(['0000000000000001']), '', '{"resourceSpans": [oops]}', line(['0000000000000002'])].join('\n');
    const err = decodeError(text);
    expect(err.code).toBe('OTLP_JSON');
    expect(err.line).toBe(3);
    expect(err.column).toBe(20);
    expect(err.message).toBe("line 3, column 20: invalid JSON: unexpected character 'o'");
  });

  it('names the line and path of a structural error', () => {
    const err = decodeError(`${line(['0000000000000001'])}\n${line(['0000000000000002'])}\n{"resourceSpans":[{"scopeSpans":[{"spans":{}}]}]}`);
    expect(err.code).toBe('OTLP_SHAPE');
    expect(err.line).toBe(3);
    expect(err.path).toBe('resourceSpans[0].scopeSpans[0].spans');
    expect(err.message).toMatch(/^line 3: resourceSpans\[0\]\.scopeSpans\[0\]\.spans must be an array/);
  });

  it('prefixes rejected span paths with their line', () => {
    const text = `${line(['0000000000000001'])}\n\n${line(['0000000000000002', 'bad'])}`;
    const { spans, rejected } = decodeJsonLinesTraces(text);
    expect(spans.map((s) => s.spanId)).toEqual(['0000000000000001', '0000000000000002']);
    expect(rejected).toEqual([{ path: 'line 3: resourceSpans[0].scopeSpans[0].spans[1].spanId', message: expect.stringMatching(/^spanId must be 16 hex characters/) }]);
  });

  it('rejects input that is not a string', () => {
    expect(decodeError(42 as unknown as string).message).toMatch(/must be a string, got number/);
  });
});
