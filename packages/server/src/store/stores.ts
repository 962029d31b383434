/**
 * The store registry: one entry per URL scheme, each a factory with its
 * config parsing (defaults + validation). A new store is one more entry here
 * and one more run of the conformance suite. Store URLs may hold passwords:
 * messages show them through `redactUrl`.
 */
import path from 'node:path';
import type { Logger } from '../logger.js';
import { PostgresStore, parsePostgresUrl, redactUrl, type PostgresStoreConfig } from './postgresStore.js';
import { SqliteStore, type SqliteStoreConfig } from './sqliteStore.js';
import type { Store } from './store.js';

export interface StoreContext {
  /** The server's data folder; relative store paths are resolved against it. */
  dataDir: string;
  /** Where a store reports trouble it recovers from (e.g. a lost connection); default: nowhere. */
  log?: Logger;
}

export interface StoreFactory<C> {
  description: string;
  /** Parses the part of the URL after `scheme:`. Throws Error with a message saying what is wrong. */
  parse(rest: string, context: StoreContext): C;
  create(config: C): Promise<Store>;
}

const sqlite: StoreFactory<SqliteStoreConfig> = {
  description: "SQLite file: 'sqlite:' (fluo.db in the data folder), 'sqlite:PATH' (relative to the data folder) or 'sqlite::memory:'",
  parse(rest, context) {
    const file = rest === '' ? 'fluo.db' : rest;
    if (file.includes('\0')) throw new Error('path must not contain NUL characters');
    return { path: file === ':memory:' ? file : path.resolve(context.dataDir, file), busyTimeout: 250 };
  },
  async create(config) {
    return SqliteStore.open(config);
  },
};

const postgres: StoreFactory<PostgresStoreConfig> = {
  description: "PostgreSQL, shared by several FLUO instances: 'postgres://user:password@host:5432/database' (see docs/scaling.md)",
  parse(rest, context) {
    const config = parsePostgresUrl(`postgres:${rest}`);
    const log = context.log;
    return log ? { ...config, onError: (message: string) => log.warn(message) } : config;
  },
  async create(config) {
    return PostgresStore.open(config);
  },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each entry has its own config type
export const stores: Record<string, StoreFactory<any>> = {
  sqlite,
  postgres,
  postgresql: postgres,
};

export interface ParsedStoreUrl {
  scheme: string;
  factory: StoreFactory<unknown>;
  config: unknown;
}

/** Throws Error naming the problem (unknown scheme, bad path). */
export function parseStoreUrl(url: string, context: StoreContext): ParsedStoreUrl {
  const colon = url.indexOf(':');
  const scheme = colon > 0 ? url.slice(0, colon) : '';
  const factory = Object.hasOwn(stores, scheme) ? stores[scheme] : undefined;
  if (!factory) {
    throw new Error(`'${redactUrl(url)}' has no known scheme: use one of ${Object.keys(stores).map((s) => `'${s}:'`).join(', ')}`);
  }
  return { scheme, factory, config: factory.parse(url.slice(colon + 1), context) };
}

export async function openStore(url: string, context: StoreContext): Promise<Store> {
  const { factory, config } = parseStoreUrl(url, context);
  return factory.create(config);
}
