import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonBigInteger, JsonSyntaxError, lineColumnAt, parseJson, parseJsonStrict } from './parseJson.js';

function syntaxError(text: string): JsonSyntaxError {
  try {
    parseJsonStrict(text);
  } catch (err) {
    expect(err).toBeInstanceOf(JsonSyntaxError);
    return err as JsonSyntaxError;
  }
  throw new Error(`expected a syntax error for ${text}`);
}

/** The value JSON.parse would give (a JsonBigInteger as the nearest double). */
function asJsonParse(v: unknown): unknown {
  if (v instanceof JsonBigInteger) return v.toNumber();
  if (Array.isArray(v)) return v.map(asJsonParse);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asJsonParse(x)]));
  return v;
}

describe('parseJson', () => {
  it('agrees with JSON.parse on every JSON value (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, pretty) => {
        const text = JSON.stringify(value, null, pretty ? 2 : undefined);
        expect(asJsonParse(parseJsonStrict(text))).toEqual(JSON.parse(text));
        expect(asJsonParse(parseJson(text))).toEqual(JSON.parse(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts and rejects exactly what JSON.parse does (property)', () => {
    const jsonish = fc.stringMatching(/^[\s{}[\]",:0-9eE.+\-tfrunalsx\\/]{0,24}$/);
    fc.assert(
      fc.property(jsonish, (text) => {
        let expected: unknown;
        let valid = true;
        try {
          expected = JSON.parse(text);
        } catch {
          valid = false;
        }
        if (valid) expect(asJsonParse(parseJsonStrict(text))).toEqual(expected);
        else expect(() => parseJsonStrict(text)).toThrow(JsonSyntaxError);
      }),
      { numRuns: 5000 },
    );
  });

  it('decodes escapes like JSON.parse, including lone surrogates', () => {
    const text = String.raw`["\"\\\/\b\f\n\r\t", "\u00e9\ud83d\ude00", "\ud800"]`;
    expect(parseJsonStrict(text)).toEqual(JSON.parse(text));
  });

  it('keeps integer literals beyond 2^53 exact and everything else a number', () => {
    const value = parseJson('{"a": 9007199254740993, "b": -9223372036854775808, "c": 9007199254740991, "d": 1e400, "e": 1.5, "f": 12345678901234567890.0}') as Record<string, unknown>;
    expect(value.a).toEqual(new JsonBigInteger('9007199254740993'));
    expect(value.b).toEqual(new JsonBigInteger('-9223372036854775808'));
    expect(value.c).toBe(9007199254740991);
    expect(value.d).toBe(Infinity);
    expect(value.e).toBe(1.5);
    expect(value.f).toBe(12345678901234567890);
    expect(parseJson('12345678901234567890')).toEqual(new JsonBigInteger('12345678901234567890'));
  });

  it('makes __proto__ keys own data, as JSON.parse does', () => {
    const value = parseJsonStrict('{"__proto__": {"polluted": 1}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('parses nesting far deeper than the call stack allows', () => {
    const depth = 200_000;
    const value = parseJsonStrict('['.repeat(depth) + ']'.repeat(depth));
    let v = value as unknown[];
    for (let i = 1; i < depth; i++) v = v[0] as unknown[];
    expect(v).toEqual([]);
    expect(syntaxError('['.repeat(depth)).message).toBe(`unexpected end of input at line 1, column ${depth + 1}`);
  });

  it('reports what and where', () => {
    const cases: Array<[string, string]> = [
      ['{"a" 1}', "unexpected character '1', expected ':' after property name at line 1, column 6"],
      ['{"a": 1,}', "unexpected character '}', expected a property name in double quotes at line 1, column 9"],
      ['[1,]', "unexpected character ']' at line 1, column 4"],
      ['{"a": 01}', "unexpected character '1', expected ',' or '}' in object at line 1, column 8"],
      ['-', "invalid number (unexpected end of input) at line 1, column 2"],
      ['"\\x"', 'invalid escape \\x at line 1, column 2'],
      ['"\\u12G4"', 'invalid \\u escape (needs 4 hex digits) at line 1, column 2'],
      ['"abc', 'unterminated string at line 1, column 1'],
      ['\n\n  nul', "unexpected character 'n' at line 3, column 3"],
      ['{"a":\r\n 😀}', "unexpected character '😀' at line 2, column 2"],
    ];
    for (const [text, message] of cases) expect(syntaxError(text).message).toBe(message);
  });

  it('computes 1-based lines and columns', () => {
    expect(lineColumnAt('ab\ncd\r\nef', 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumnAt('ab\ncd\r\nef', 4)).toEqual({ line: 2, column: 2 });
    expect(lineColumnAt('ab\ncd\r\nef', 7)).toEqual({ line: 3, column: 1 });
  });
});
