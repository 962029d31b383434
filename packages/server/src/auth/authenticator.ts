/**
 * Who is calling, and may they? One Authenticator per server, shared by the
 * REST API (middleware in api/apiAuth.ts), the SSE stream, and both OTLP
 * receivers.
 *
 * Modes (`--auth`):
 * - off: the API is open; every caller acts as 'anonymous' with every right.
 * - on: every API call except /healthz, /readyz, the OpenAPI document and the
 *   web UI's static files needs a token.
 * - auto (default): on as soon as a token exists (a bootstrap admin token is
 *   configured, or the store holds an unrevoked token), off before; so a fresh
 *   install on localhost just works, and creating the first token locks it.
 * OTLP ingestion needs a token (role ingest or admin) only with `--otlp-auth`.
 *
 * Token lookups are cached for `cacheMs` (default 5 s, bounded size, misses
 * included so that a flood of bad tokens does not reach the store); revoking
 * through the API clears the cache at once, revoking offline with the CLI
 * takes effect within `cacheMs`; so does the first token created offline
 * in auto mode (the count of tokens is re-read at most every `cacheMs`).
 */
import { FluoError } from '../errors.js';
import type { Store, TokenRecord, TokenRole } from '../store/store.js';
import { hashToken, roleAllows, roleMayIngest, tokensEqual, type ApiPermission } from './apiToken.js';

export type AuthMode = 'auto' | 'on' | 'off';
export const AUTH_MODES: readonly AuthMode[] = ['auto', 'on', 'off'];

export interface Principal {
  /** The token's name ('admin' for the bootstrap token, 'anonymous' with auth off). */
  name: string;
  role: TokenRole;
  tokenId: string | null;
}

export const ANONYMOUS: Readonly<Principal> = Object.freeze({ name: 'anonymous', role: 'admin', tokenId: null });
const BOOTSTRAP_ADMIN: Readonly<Principal> = Object.freeze({ name: 'admin', role: 'admin', tokenId: null });

export interface AuthenticatorOptions {
  mode: AuthMode;
  /** The bootstrap admin token (--admin-token / FLUO_ADMIN_TOKEN / --admin-token-file), or null. */
  adminToken: string | null;
  cacheMs?: number;
  cacheSize?: number;
  now?: () => number;
}

export class Authenticator {
  private readonly cache = new Map<string, { token: TokenRecord | null; at: number }>();
  private activeTokens = 0;
  private countedAt = 0;
  private readonly cacheMs: number;
  private readonly cacheSize: number;
  private readonly now: () => number;

  private constructor(private readonly store: Store, private readonly options: AuthenticatorOptions) {
    this.cacheMs = options.cacheMs ?? 5000;
    this.cacheSize = options.cacheSize ?? 1000;
    this.now = options.now ?? Date.now;
  }

  static async create(store: Store, options: AuthenticatorOptions): Promise<Authenticator> {
    const auth = new Authenticator(store, options);
    await auth.refresh();
    return auth;
  }

  /** Whether API calls need a token now. */
  get enabled(): boolean {
    if (this.options.mode === 'on') return true;
    if (this.options.mode === 'off') return false;
    return this.options.adminToken !== null || this.activeTokens > 0;
  }

  /** Whether any token could authenticate (for the startup warning and OTLP auth). */
  get hasTokens(): boolean {
    return this.options.adminToken !== null || this.activeTokens > 0;
  }

  /** Re-reads the token count and forgets cached lookups; call after creating or revoking a token. */
  async refresh(): Promise<void> {
    this.cache.clear();
    this.activeTokens = (await this.store.listTokens()).filter((t) => t.revokedAt === null).length;
    this.countedAt = this.now();
  }

  /** The principal of a token. Throws FluoError UNAUTHENTICATED when it is missing, unknown or revoked. */
  async authenticate(token: string | null): Promise<Principal> {
    if (token === null || token === '') throw new FluoError('UNAUTHENTICATED', 'this endpoint needs an API token: send "Authorization: Bearer <token>"');
    if (this.options.adminToken !== null && tokensEqual(token, this.options.adminToken)) return BOOTSTRAP_ADMIN;
    const record = await this.lookup(hashToken(token));
    if (record === null) throw new FluoError('UNAUTHENTICATED', 'the API token is not valid');
    if (record.revokedAt !== null) throw new FluoError('UNAUTHENTICATED', 'the API token has been revoked');
    return { name: record.name, role: record.role, tokenId: record.id };
  }

  /** For the REST API: the caller, if allowed. Throws UNAUTHENTICATED or FORBIDDEN. */
  async authorize(token: string | null, permission: ApiPermission): Promise<Principal> {
    // In auto mode, a token created offline (fluo token create) locks the API within cacheMs.
    if (!this.enabled && this.options.mode === 'auto' && this.now() - this.countedAt >= this.cacheMs) await this.refresh();
    if (!this.enabled) return ANONYMOUS;
    const principal = await this.authenticate(token);
    if (!roleAllows(principal.role, permission)) {
      throw new FluoError('FORBIDDEN', `the token '${principal.name}' has role ${principal.role}, which may not ${permission === 'read' ? 'read through the API' : permission === 'write' ? 'change rules or signals' : 'manage tokens or read the audit log'}`,
        { details: { role: principal.role, needs: permission === 'read' ? 'viewer' : permission === 'write' ? 'editor' : 'admin' } });
    }
    return principal;
  }

  /** For OTLP receivers with --otlp-auth. Throws UNAUTHENTICATED or FORBIDDEN. */
  async authorizeIngest(token: string | null): Promise<Principal> {
    const principal = await this.authenticate(token);
    if (!roleMayIngest(principal.role)) throw new FluoError('FORBIDDEN', `the token '${principal.name}' has role ${principal.role}; sending spans needs role ingest or admin`);
    return principal;
  }

  private async lookup(hash: string): Promise<TokenRecord | null> {
    const now = this.now();
    const hit = this.cache.get(hash);
    if (hit !== undefined && now - hit.at < this.cacheMs) return hit.token;
    const token = await this.store.findTokenByHash(hash);
    this.cache.delete(hash);
    this.cache.set(hash, { token, at: now });
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    return token;
  }
}
