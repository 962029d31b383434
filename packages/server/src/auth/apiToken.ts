/**
 * API tokens: generation, hashing and what each role may do.
 *
 * A token is `fluo_` followed by 32 random bytes in base64url (256 bits), so
 * guessing is hopeless and a fast hash is the right way to store it: the
 * store keeps SHA-256(token) only, and a token is looked up by the hash of
 * what the client sent. (Slow password hashes exist for low-entropy secrets;
 * they would only add latency here.) The configured bootstrap admin token is
 * compared in constant time.
 *
 * Roles:
 * - viewer: read everything (rules, signals, traces, the signal stream, metrics)
 * - editor: viewer, plus change rules and triage signals
 * - admin: editor, plus tokens and the audit log; may also send OTLP
 * - ingest: send OTLP only (for collectors and SDK exporters); no API access
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { TokenRecord, TokenRole } from '../store/store.js';

export const TOKEN_PREFIX = 'fluo_';
/** What may be done through the REST API, in increasing order. */
export type ApiPermission = 'read' | 'write' | 'admin';

const API_LEVEL: Record<TokenRole, number> = { ingest: 0, viewer: 1, editor: 2, admin: 3 };
const PERMISSION_LEVEL: Record<ApiPermission, number> = { read: 1, write: 2, admin: 3 };

export function roleAllows(role: TokenRole, permission: ApiPermission): boolean {
  return API_LEVEL[role] >= PERMISSION_LEVEL[permission];
}

export function roleMayIngest(role: TokenRole): boolean {
  return role === 'ingest' || role === 'admin';
}

/** Lowercase hex SHA-256 of the token text. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Constant-time comparison of two token texts (by their hashes, so lengths never leak). */
export function tokensEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

export interface NewToken {
  /** The token text: shown once, never stored. */
  token: string;
  record: TokenRecord;
}

/** A fresh random token and its record (to be stored with store.createToken). */
export function generateToken(options: { name: string; role: TokenRole; createdBy: string; now: number }): NewToken {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const record: TokenRecord = {
    id: `tok_${randomBytes(8).toString('hex')}`,
    name: options.name,
    role: options.role,
    hash: hashToken(token),
    prefix: token.slice(0, TOKEN_PREFIX.length + 4),
    createdAt: options.now,
    createdBy: options.createdBy,
    revokedAt: null,
  };
  return { token, record };
}

const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._@:-]{0,99}$/;

/** Problem with a token name, or null. Names appear in audit logs, so they are kept plain. */
export function checkTokenName(name: unknown): string | null {
  if (typeof name !== 'string' || !TOKEN_NAME.test(name)) return 'must be 1 to 100 characters: letters, digits, space and . _ @ : - (starting with a letter or digit)';
  return null;
}

/** The token in an `Authorization: Bearer <token>` value (or the bare value of a custom header). */
export function tokenFromHeader(value: string | null | undefined, bearer: boolean): string | null {
  if (value === null || value === undefined) return null;
  const trimmed = value.trim();
  const match = /^Bearer\s+(\S+)$/i.exec(trimmed);
  if (match) return match[1];
  return bearer || trimmed === '' ? null : trimmed;
}
