/**
 * 64-bit integers without precision loss.
 *
 * protobufjs reads int64/fixed64 as a Long-like `{ low, high }` pair (or as a
 * plain number when the `long` package is missing, which loses precision above
 * 2^53; FLUO always ships `long` through protobufjs). OTLP/JSON sends them as
 * decimal strings or numbers. The span model keeps:
 * - int64 attribute values as a JS number when |v| <= 2^53-1, else as the exact
 *   decimal string (`decodeInt64`);
 * - fixed64 nanosecond times as exact decimal strings (`fixed64ToDecimal`).
 */

/** The part of protobufjs's Long that decoding needs. */
export interface LongBits {
  low: number;
  high: number;
}

export type Int64Input = LongBits | number | string | bigint;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

function isLongBits(v: unknown): v is LongBits {
  return typeof v === 'object' && v !== null && typeof (v as LongBits).low === 'number' && typeof (v as LongBits).high === 'number';
}

function bigintFromBits(bits: LongBits, signed: boolean): bigint {
  const unsigned = (BigInt(bits.high >>> 0) << 32n) | BigInt(bits.low >>> 0);
  return signed ? BigInt.asIntN(64, unsigned) : unsigned;
}

/**
 * A signed int64 as the span model keeps it: a number when safe, else an exact
 * decimal string. Throws a TypeError for anything that is not an integer.
 */
export function decodeInt64(value: Int64Input): number | string {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new TypeError(`not a 64-bit integer: ${value}`);
    return Number.isSafeInteger(value) ? value : BigInt(value).toString();
  }
  if (typeof value === 'string') {
    if (!/^-?\d+$/.test(value)) throw new TypeError(`not a 64-bit integer: ${JSON.stringify(value)}`);
    const big = BigInt(value);
    return big >= -(2n ** 53n) + 1n && big <= 2n ** 53n - 1n ? Number(big) : big.toString();
  }
  if (typeof value === 'bigint') {
    return value >= -(2n ** 53n) + 1n && value <= 2n ** 53n - 1n ? Number(value) : value.toString();
  }
  if (isLongBits(value)) {
    const high = value.high | 0;
    // |high| < 2^21 keeps high * 2^32 + low exact in a double.
    if (high >= -0x200000 && high < 0x200000) {
      const n = high * 4294967296 + (value.low >>> 0);
      if (Number.isSafeInteger(n)) return n;
    }
    return bigintFromBits(value, true).toString();
  }
  throw new TypeError(`not a 64-bit integer: ${String(value)}`);
}

/** An unsigned fixed64 (e.g. a nanosecond timestamp) as an exact decimal string. */
export function fixed64ToDecimal(value: LongBits | number): string {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) throw new TypeError(`not an unsigned 64-bit integer: ${value}`);
    return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
  }
  const lo = value.low >>> 0;
  const hi = value.high >>> 0;
  if (hi <= 0x1fffff) return String(hi * 4294967296 + lo);
  // Plain BigInt: this decoder is the oracle of the fast one, whose limb arithmetic (nanosText) it checks.
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}

/**
 * Reads an integer written as decimal text (optional `-`, digits) and checks
 * its range. Returns the canonical decimal string (no leading zeros, no `-0`)
 * or null when the text is not an integer or out of range.
 */
export function canonicalIntegerText(text: string, kind: 'int64' | 'uint64'): string | null {
  if (!/^-?\d+$/.test(text)) return null;
  const big = BigInt(text);
  if (kind === 'uint64' ? big < 0n || big > UINT64_MAX : big < INT64_MIN || big > INT64_MAX) return null;
  return big.toString();
}
