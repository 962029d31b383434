/**
 * JSON parsing for OTLP/JSON with exact 64-bit integers and precise error
 * positions.
 *
 * `JSON.parse` has two gaps for OTLP: an integer literal beyond 2^53 (OTLP
 * allows int64 and fixed64 as JSON numbers) silently loses precision, and its
 * error messages differ between engines (some give no position at all). So:
 *
 * - Text without an integer literal of 16 or more digits (the only ones that
 *   can exceed 2^53) goes through `JSON.parse`, the fast path for the usual
 *   OTLP/JSON where 64-bit values are strings.
 * - Other text goes through the strict RFC 8259 parser below, which returns
 *   integer literals outside the safe range as `JsonBigInteger` (the exact
 *   digits) and every other value exactly as `JSON.parse` would.
 * - When `JSON.parse` rejects the text, the parser below runs to find the
 *   error and throws `JsonSyntaxError` with its offset, 1-based line and column.
 *
 * The parser is iterative (an explicit stack), so deeply nested input cannot
 * overflow the call stack; nesting is bounded only by input size.
 */

/** An integer literal outside ±(2^53-1), kept as written (digits with optional `-`). */
export class JsonBigInteger {
  constructor(readonly text: string) {}

  toNumber(): number {
    return Number(this.text);
  }
}

export class JsonSyntaxError extends Error {
  /** 0-based offset in the text (UTF-16 code units). */
  readonly offset: number;
  /** 1-based */
  readonly line: number;
  /** 1-based, in UTF-16 code units */
  readonly column: number;
  /** What is wrong, without the position. */
  readonly description: string;

  constructor(description: string, text: string, offset: number) {
    const { line, column } = lineColumnAt(text, offset);
    super(`${description} at line ${line}, column ${column}`);
    this.name = 'JsonSyntaxError';
    this.description = description;
    this.offset = offset;
    this.line = line;
    this.column = column;
  }
}

/** 1-based line and column of an offset; lines end at `\n` (a `\r\n` pair counts once). */
export function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: end - lineStart + 1 };
}

// A 16+ digit integer where a JSON number can start (after `:`, `[` or `,`);
// inside a string it only costs the slow path, never correctness.
const LONG_INTEGER_LITERAL = /[:[,]\s*-?\d{16}/;

/** Parses JSON text; see the module comment. Throws `JsonSyntaxError`. */
export function parseJson(text: string): unknown {
  if (!LONG_INTEGER_LITERAL.test(text) && !/^\s*-?\d{16}/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      // Fall through: the strict parser finds and reports the error.
    }
  }
  return parseJsonStrict(text);
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

interface Frame {
  array: unknown[] | null;
  object: Record<string, unknown> | null;
  key: string;
}

function describe(text: string, i: number): string {
  if (i >= text.length) return 'unexpected end of input';
  const ch = text.codePointAt(i)!;
  const shown = ch < 0x20 || ch === 0x7f ? `U+${ch.toString(16).toUpperCase().padStart(4, '0')}` : `'${String.fromCodePoint(ch)}'`;
  return `unexpected character ${shown}`;
}

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function setKey(object: Record<string, unknown>, key: string, value: unknown): void {
  // `__proto__` must become an own data property, as with JSON.parse.
  if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  else object[key] = value;
}

/** The strict parser (always used for error reporting; see the module comment). */
export function parseJsonStrict(text: string): unknown {
  const n = text.length;
  let i = 0;
  const stack: Frame[] = [];

  const skip = (): void => {
    while (i < n && isWhitespace(text.charCodeAt(i))) i++;
  };

  const parseString = (): string => {
    // text[i] is the opening quote.
    const start = i;
    i++;
    let out = '';
    let chunk = i;
    for (;;) {
      if (i >= n) throw new JsonSyntaxError('unterminated string', text, start);
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(chunk, i);
        i++;
        return out;
      }
      if (c < 0x20) throw new JsonSyntaxError(`${describe(text, i)} in string (control characters must be escaped)`, text, i);
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(chunk, i);
      const e = text.charCodeAt(i + 1);
      switch (e) {
        case 0x22: out += '"'; break;
        case 0x5c: out += '\\'; break;
        case 0x2f: out += '/'; break;
        case 0x62: out += '\b'; break;
        case 0x66: out += '\f'; break;
        case 0x6e: out += '\n'; break;
        case 0x72: out += '\r'; break;
        case 0x74: out += '\t'; break;
        case 0x75: {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new JsonSyntaxError('invalid \\u escape (needs 4 hex digits)', text, i);
          out += String.fromCharCode(parseInt(hex, 16));
          i += 4;
          break;
        }
        default:
          throw new JsonSyntaxError(i + 1 >= n ? 'unterminated string' : `invalid escape \\${text[i + 1]}`, text, i);
      }
      i += 2;
      chunk = i;
    }
  };

  const parseScalar = (): unknown => {
    const c = text.charCodeAt(i);
    if (c === 0x22) return parseString();
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (m === null) throw new JsonSyntaxError(`invalid number (${describe(text, i + 1)})`, text, i + 1);
      const literal = m[0];
      i += literal.length;
      const value = Number(literal);
      if (Number.isInteger(value) && !Number.isSafeInteger(value) && /^-?\d+$/.test(literal)) return new JsonBigInteger(literal);
      return value;
    }
    if (text.startsWith('true', i)) { i += 4; return true; }
    if (text.startsWith('false', i)) { i += 5; return false; }
    if (text.startsWith('null', i)) { i += 4; return null; }
    throw new JsonSyntaxError(describe(text, i), text, i);
  };

  const parseKey = (): string => {
    skip();
    if (text.charCodeAt(i) !== 0x22) throw new JsonSyntaxError(`${describe(text, i)}, expected a property name in double quotes`, text, i);
    const key = parseString();
    skip();
    if (text.charCodeAt(i) !== 0x3a) throw new JsonSyntaxError(`${describe(text, i)}, expected ':' after property name`, text, i);
    i++;
    return key;
  };

  for (;;) {
    // Parse one value (opening containers push a frame and continue with their first element).
    skip();
    let value: unknown;
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */) {
      i++;
      skip();
      if (text.charCodeAt(i) === 0x7d) {
        i++;
        value = {};
      } else {
        stack.push({ array: null, object: {}, key: parseKey() });
        continue;
      }
    } else if (c === 0x5b /* [ */) {
      i++;
      skip();
      if (text.charCodeAt(i) === 0x5d) {
        i++;
        value = [];
      } else {
        stack.push({ array: [], object: null, key: '' });
        continue;
      }
    } else {
      value = parseScalar();
    }

    // Attach the value to its container, closing containers that end here.
    for (;;) {
      const top = stack[stack.length - 1];
      if (top === undefined) {
        skip();
        if (i < n) throw new JsonSyntaxError(`${describe(text, i)} after the JSON value`, text, i);
        return value;
      }
      skip();
      const d = text.charCodeAt(i);
      if (top.array !== null) {
        top.array.push(value);
        if (d === 0x2c) { i++; break; }
        if (d === 0x5d) { i++; stack.pop(); value = top.array; continue; }
        throw new JsonSyntaxError(`${describe(text, i)}, expected ',' or ']' in array`, text, i);
      }
      setKey(top.object!, top.key, value);
      if (d === 0x2c) { i++; top.key = parseKey(); break; }
      if (d === 0x7d) { i++; stack.pop(); value = top.object; continue; }
      throw new JsonSyntaxError(`${describe(text, i)}, expected ',' or '}' in object`, text, i);
    }
  }
}
