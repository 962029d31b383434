/**
 * A real PostgreSQL for the tests (implemented in scripts/test-postgres.mjs,
 * which the benchmarks use too): Debian's initdb/postgres in a temporary
 * folder, run as an unprivileged user when the tests run as root. One server
 * per test file; one database per test.
 */
import type pg from 'pg';
// @ts-expect-error -- a plain ESM script outside the TypeScript project (tests only)
import { startPostgres as start } from '../../../../scripts/test-postgres.mjs';

export interface PostgresServer {
  host: string;
  port: number;
  /** The postmaster's process id. */
  pid: number;
  /** Folder of the Unix socket. */
  socketDir: string;
  /** postgres://fluo@127.0.0.1:PORT/DATABASE */
  url(database: string): string;
  /** Creates an empty database (a new one per call: `<prefix>_<n>`) and resolves to its URL. */
  createDatabase(prefix?: string): Promise<string>;
  /** Runs SQL as the superuser in `database` (default 'postgres'). */
  query(sql: string, database?: string): Promise<pg.QueryResult>;
  /** Stops the server (fast shutdown) and removes its folder. Idempotent. */
  close(): Promise<void>;
}

/** Starts a server; `settings` are extra `-c name=value` settings. */
export function startPostgres(options: { settings?: Record<string, string> } = {}): Promise<PostgresServer> {
  return start(options) as Promise<PostgresServer>;
}
