import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64 } from './base64.js';
import { canonicalIntegerText, decodeInt64, fixed64ToDecimal } from './decodeInt64.js';
import { bytesToHex, hexToBytes } from './hex.js';

const longOf = (v: bigint) => ({ low: Number(BigInt.asIntN(32, v & 0xffffffffn)), high: Number(BigInt.asIntN(32, (v >> 32n) & 0xffffffffn)) });

describe('decodeInt64', () => {
  it('gives a number when safe and the exact decimal string otherwise (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v) => {
        const expected = v >= -(2n ** 53n) + 1n && v <= 2n ** 53n - 1n ? Number(v) : v.toString();
        expect(decodeInt64(longOf(v))).toBe(expected);
        expect(decodeInt64(v.toString())).toBe(expected);
        expect(decodeInt64(v)).toBe(expected);
      }),
      { numRuns: 3000 },
    );
    expect(decodeInt64(longOf(2n ** 53n))).toBe('9007199254740992');
    expect(decodeInt64(longOf(-(2n ** 53n)))).toBe('-9007199254740992');
    expect(decodeInt64(longOf(2n ** 53n - 1n))).toBe(9007199254740991);
    expect(() => decodeInt64(1.5)).toThrow(TypeError);
    expect(() => decodeInt64('1.5')).toThrow(TypeError);
    expect(() => decodeInt64(NaN)).toThrow(TypeError);
  });

  it('converts fixed64 exactly (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (v) => {
        expect(fixed64ToDecimal(longOf(v))).toBe(v.toString());
      }),
      { numRuns: 3000 },
    );
    for (const v of [0n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 0x200000n << 32n, 1700000000123456789n, 10n ** 19n, 2n ** 64n - 1n]) {
      expect(fixed64ToDecimal(longOf(v))).toBe(v.toString());
    }
    expect(fixed64ToDecimal(1234)).toBe('1234');
  });

  it('checks integer text and its range', () => {
    expect(canonicalIntegerText('00042', 'uint64')).toBe('42');
    expect(canonicalIntegerText('-0', 'int64')).toBe('0');
    expect(canonicalIntegerText('18446744073709551615', 'uint64')).toBe('18446744073709551615');
    expect(canonicalIntegerText('18446744073709551616', 'uint64')).toBeNull();
    expect(canonicalIntegerText('-1', 'uint64')).toBeNull();
    expect(canonicalIntegerText('9223372036854775808', 'int64')).toBeNull();
    expect(canonicalIntegerText('1e3', 'int64')).toBeNull();
    expect(canonicalIntegerText(' 1', 'int64')).toBeNull();
  });
});

describe('hex and base64', () => {
  it('round-trip any bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(hexToBytes(bytesToHex(bytes))).toEqual(bytes);
        expect(base64ToBytes(bytesToBase64(bytes))).toEqual(bytes);
        expect(bytesToBase64(bytes)).toBe(btoa(String.fromCharCode(...bytes)));
        const unpadded = bytesToBase64(bytes).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
        expect(base64ToBytes(unpadded)).toEqual(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects malformed input', () => {
    expect(() => hexToBytes('abc')).toThrow(/odd length/);
    expect(() => hexToBytes('zz')).toThrow(/not a hex digit at index 0/);
    expect(() => base64ToBytes('A')).toThrow(/cannot be complete/);
    expect(() => base64ToBytes('AB=')).toThrow(/padding/);
    expect(() => base64ToBytes('A=BC')).toThrow(/invalid base64 character "=" at index 1/);
    expect(() => base64ToBytes('ab c')).toThrow(/invalid base64 character " "/);
    expect(() => base64ToBytes('ééé=')).toThrow(/invalid base64 character/);
  });
});
