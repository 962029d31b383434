import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS, SqliteStore } from './sqliteStore.js';
import { describeStoreConformance } from './storeConformance.testkit.js';
import { openStore, parseStoreUrl } from './stores.js';

const root = mkdtempSync(path.join(tmpdir(), 'fluo-sqlite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

describeStoreConformance('sqlite (file)', async () => {
  const dataDir = path.join(root, `conformance-${++n}`);
  let store = await openStore('sqlite:', { dataDir });
  return {
    store,
    reopen: async () => {
      await store.close();
      store = await openStore('sqlite:', { dataDir });
      return store;
    },
  };
});

describeStoreConformance('sqlite (in memory)', async () => ({ store: await openStore('sqlite::memory:', { dataDir: root }) }));

describe('SqliteStore', () => {
  it('creates its file in the data folder, in WAL mode, at the latest schema version', async () => {
    const dataDir = path.join(root, 'fresh', 'nested');
    const store = await openStore('sqlite:', { dataDir }) as SqliteStore;
    expect(store.path).toBe(path.join(dataDir, 'fluo.db'));
    expect(store.schemaVersion).toBe(MIGRATIONS.length);
    await store.close();
    const db = new Database(path.join(dataDir, 'fluo.db'), { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('refuses a database written by a newer FLUO, naming both versions', async () => {
    const file = path.join(root, 'newer.db');
    const db = new Database(file);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(() => SqliteStore.open({ path: file, busyTimeout: 100 })).toThrow(`schema version ${MIGRATIONS.length + 1}, newer than this FLUO knows (${MIGRATIONS.length})`);
  });

  it('migrates a version 1 database: existing rules get their current version recorded, its signals read back as per-trace signals', async () => {
    const file = path.join(root, 'v1.db');
    const db = new Database(file);
    db.exec(MIGRATIONS[0]);
    db.pragma('user_version = 1');
    db.prepare(`INSERT INTO rules (id, name, description, severity, dsl, enabled, mode, tags, version, created_at, updated_at)
      VALUES ('old', 'Old', '', 'info', 'trace.has(s => true)', 1, 'alert', '[]', 4, 10, 20)`).run();
    db.prepare(`INSERT INTO signals (id, rule_id, rule_name, rule_version, severity, mode, trace_id, span_ids, message, detected_at,
      first_span_time, last_span_time, services, status, status_updated_at, evidence)
      VALUES ('old', 'r', 'R', 1, 'info', 'alert', 't', '["s"]', 'm', 1, 1, 2, '[]', 'open', 1, '[]')`).run();
    db.close();
    const store = SqliteStore.open({ path: file, busyTimeout: 100 });
    expect(store.schemaVersion).toBe(MIGRATIONS.length);
    expect(await store.listRuleVersions('old')).toEqual([
      { ruleId: 'old', version: 4, name: 'Old', description: '', severity: 'info', dsl: 'trace.has(s => true)', enabled: true, mode: 'alert', tags: [], savedAt: 20 },
    ]);
    const old = await store.getSignal('old');
    expect(old).toMatchObject({ id: 'old', traceId: 't', spanIds: ['s'] });
    expect(old!.traceIds).toBeUndefined();
    await store.close();
  });

  it('says why a database cannot be opened', () => {
    const notADb = path.join(root, 'not-a-db');
    Database(notADb).close();
    rmSync(notADb);
    // A folder where the file should be.
    expect(() => SqliteStore.open({ path: root, busyTimeout: 100 })).toThrow(/cannot open SQLite database/);
  });

  it('parses store URLs: default file, relative and absolute paths, memory; refuses unknown schemes', () => {
    expect(parseStoreUrl('sqlite:', { dataDir: '/data' }).config).toEqual({ path: '/data/fluo.db', busyTimeout: 250 });
    expect(parseStoreUrl('sqlite:x/y.db', { dataDir: '/data' }).config).toEqual({ path: '/data/x/y.db', busyTimeout: 250 });
    expect(parseStoreUrl('sqlite:/abs.db', { dataDir: '/data' }).config).toEqual({ path: '/abs.db', busyTimeout: 250 });
    expect(parseStoreUrl('sqlite::memory:', { dataDir: '/data' }).config).toEqual({ path: ':memory:', busyTimeout: 250 });
    expect(() => parseStoreUrl('mysql://localhost/fluo', { dataDir: '/data' })).toThrow("'mysql://localhost/fluo' has no known scheme: use one of 'sqlite:', 'postgres:', 'postgresql:'");
    expect(() => parseStoreUrl('fluo.db', { dataDir: '/data' })).toThrow('no known scheme');
  });
});
