import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresServer } from '../testing/postgresServer.testkit.js';
import { FluoError } from '../errors.js';
import { FEED_APPLICATION_NAME, MIGRATIONS, PostgresStore, parsePostgresUrl, redactUrl } from './postgresStore.js';
import { describeStoreConformance, testSignal, testSpan, testTrace } from './storeConformance.testkit.js';
import { PermanentWriteError } from './store.js';
import { openStore, parseStoreUrl } from './stores.js';

let server: PostgresServer;
beforeAll(async () => { server = await startPostgres(); });
afterAll(async () => { await server?.close(); });

const context = { dataDir: '/unused' };

describeStoreConformance('postgres', async () => {
  const url = await server.createDatabase('conformance');
  let store = await openStore(url, context);
  return {
    store,
    reopen: async () => {
      await store.close();
      store = await openStore(url, context);
      return store;
    },
    peer: () => openStore(url, context),
  };
}, { shared: true });

describe('PostgresStore', () => {
  it('migrates once when several instances start at once on an empty database', async () => {
    const url = await server.createDatabase('concurrent');
    const stores = await Promise.all(Array.from({ length: 6 }, () => openStore(url, context)));
    try {
      for (const s of stores) expect(await (s as PostgresStore).schemaVersion()).toBe(MIGRATIONS.length);
      const { rows } = await server.query('SELECT version FROM fluo_schema_migrations ORDER BY version', url.split('/').pop());
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
      // They all work on the one schema.
      await stores[0].write({ signals: [testSignal(1)], traces: [] });
      expect((await stores[5].getSignal('sig-1'))?.id).toBe('sig-1');
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('migrates a database of the first schema with data in it: rule versions copied, span names of kept traces filled, JSON spans still read and merged into', async () => {
    const url = await server.createDatabase('from_v1');
    const db = url.split('/').pop();
    await server.query(`CREATE TABLE fluo_schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
      ${MIGRATIONS[0]} INSERT INTO fluo_schema_migrations (version) VALUES (1);`, db);
    await server.query(`INSERT INTO rules VALUES ('r1', 'R1', '', 'warning', 'trace.has(s => true)', true, 'alert', '["a"]', 3, 1, 2)`, db);
    const spans = JSON.stringify([testSpan('a'.repeat(32), '1'.repeat(16), { name: 'db.query' }), testSpan('a'.repeat(32), '2'.repeat(16), { name: 'odd\0name' })]);
    await server.query(`INSERT INTO traces VALUES ('${'a'.repeat(32)}', 'span', '{auth}', 2, 0, 1, 2, 3, '${spans.replaceAll("'", "''")}')`, db);
    // A signal stored with its evidence in its own row, as before migration 7.
    const old = testSignal(1);
    await server.query(`INSERT INTO signals VALUES (1, 'sig-1', 'rule-a', 'warning', '{auth}', 1, 'open', 1,
      '${JSON.stringify(old.signal).replaceAll("'", "''")}', '${JSON.stringify(old.evidence).replaceAll("'", "''")}')`, db);
    const store = await openStore(url, context);
    try {
      expect(await (store as PostgresStore).schemaVersion()).toBe(MIGRATIONS.length);
      expect(await store.listRuleVersions('r1')).toEqual([{
        ruleId: 'r1', version: 3, name: 'R1', description: '', severity: 'warning', dsl: 'trace.has(s => true)', enabled: true, mode: 'alert', tags: ['a'], savedAt: 2,
      }]);
      expect((await store.listTraces({ spanName: 'db.query', limit: 10 })).map((t) => t.traceId)).toEqual(['a'.repeat(32)]);
      expect((await store.listTraces({ spanName: 'odd\0name', limit: 10 })).map((t) => t.traceId)).toEqual(['a'.repeat(32)]);
      expect(await store.listTraces({ spanName: 'span', limit: 10 })).toEqual([]);
      // Kept before the spans were stored as OTLP bytes: read from the JSON, and late spans merge into it.
      expect((await store.getTrace('a'.repeat(32)))!.spans.map((s) => s.name)).toEqual(['db.query', 'odd\0name']);
      await store.write({ signals: [], traces: [testTrace('a'.repeat(32), [testSpan('a'.repeat(32), '3'.repeat(16), { name: 'late', startTime: 1_760_000_000_100 })], 4)] });
      const merged = (await store.getTrace('a'.repeat(32)))!;
      expect(merged.spans.map((s) => s.name)).toEqual(['db.query', 'odd\0name', 'late']);
      expect(merged).toMatchObject({ spanCount: 3, completedAt: 4 });
      expect(JSON.parse(JSON.stringify((await store.getSignal('sig-1'))!.evidence))).toEqual(JSON.parse(JSON.stringify(old.evidence)));
    } finally {
      await store.close();
    }
  });

  it('refuses a database written by a newer FLUO, naming both versions', async () => {
    const url = await server.createDatabase('newer');
    await (await openStore(url, context)).close();
    await server.query(`INSERT INTO fluo_schema_migrations (version) VALUES (${MIGRATIONS.length + 1})`, url.split('/').pop());
    await expect(openStore(url, context)).rejects.toThrow(`has schema version ${MIGRATIONS.length + 1}, newer than this FLUO knows (${MIGRATIONS.length})`);
  });

  it('says which server it cannot reach, without the password', async () => {
    const err = await openStore(`postgres://fluo:s3cret-pw@127.0.0.1:${server.port}/no_such_db`, context).then(() => null, (e: Error) => e);
    expect(err?.message).toContain(`cannot open the PostgreSQL store postgres://fluo:***@127.0.0.1:${server.port}/no_such_db`);
    expect(err?.message).toContain('does not exist');
    expect(err?.message).not.toContain('s3cret-pw');
  });

  it('answers retryably (UNAVAILABLE) while PostgreSQL is down, and a write is not taken as permanent', async () => {
    const own = await startPostgres();
    const store = await openStore(await own.createDatabase('down'), context);
    try {
      await store.createRule({
        id: 'r', name: 'r', description: '', severity: 'info', dsl: 'trace.has(s => true)', enabled: true, mode: 'alert', tags: [], version: 1, createdAt: 0, updatedAt: 0, source: 'api',
      });
      await own.close();
      const err = await store.listRules().then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(FluoError);
      expect(err).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
      expect((err as Error).message).toContain('is unavailable');
      const writeErr = await store.write({ signals: [testSignal(1)], traces: [] }).then(() => null, (e: unknown) => e);
      expect(writeErr).toBeInstanceOf(FluoError);
      expect(writeErr).not.toBeInstanceOf(PermanentWriteError);
    } finally {
      await store.close();
      await own.close();
    }
  });

  it('writes a batch larger than one statement can carry (split into several, still one transaction)', async () => {
    const store = await openStore(await server.createDatabase('big'), context);
    try {
      const n = 7000; // over 60 000 parameters for both the trace and the signal rows
      const id = (i: number) => i.toString(16).padStart(32, '0');
      const signals = Array.from({ length: n }, (_, i) => testSignal(i + 1));
      const traces = Array.from({ length: n }, (_, i) => testTrace(id(i + 1), [testSpan(id(i + 1), '1'.repeat(16))], i));
      const stored = await store.write({ signals, traces });
      expect(stored).toHaveLength(n);
      expect(stored[n - 1].seq - stored[0].seq).toBe(n - 1);
      expect(await store.stats()).toMatchObject({ signals: n, traces: n, spans: n });
      // Written again: every trace merges (an UPDATE over several statements too), no signal is new.
      expect(await store.write({ signals, traces: traces.map((t) => testTrace(t.traceId, [testSpan(t.traceId, '2'.repeat(16))], 0)) })).toEqual([]);
      expect(await store.stats()).toMatchObject({ signals: n, traces: n, spans: 2 * n });
    } finally {
      await store.close();
    }
  });

  it('keeps names with NUL characters: exact in spans and signals, searchable in summaries', async () => {
    const store = await openStore(await server.createDatabase('nul'), context);
    try {
      const traceId = 'd'.repeat(32);
      const span = testSpan(traceId, '1'.repeat(16), { service: 'a\0b', name: 'n\0m' });
      const input = testSignal(1, { services: ['a\0b'], message: 'nul \0 here' });
      await store.write({ signals: [input], traces: [testTrace(traceId, [span], 0)] });
      expect((await store.getTrace(traceId))!.spans[0].service).toBe('a\0b');
      expect((await store.getSignal('sig-1'))!.message).toBe('nul \0 here');
      expect((await store.listSignals({ service: 'a\0b', limit: 10 })).map((s) => s.id)).toEqual(['sig-1']);
      expect((await store.listTraces({ service: 'a\0b', limit: 10 })).map((t) => t.traceId)).toEqual([traceId]);
    } finally {
      await store.close();
    }
  });

  it('keeps its change feed across a lost connection', async () => {
    const url = await server.createDatabase('feed');
    const watched = await openStore(url, context);
    const writer = await openStore(url, context);
    try {
      let calls = 0;
      watched.watchRules(() => { calls++; });
      const feedBackends = async (): Promise<number[]> => (await server.query(
        `SELECT pid FROM pg_stat_activity WHERE application_name = '${FEED_APPLICATION_NAME}' AND datname = '${url.split('/').pop()}'`)).rows.map((r) => r.pid as number);
      const first = await waitForValue('the LISTEN connection', async () => (await feedBackends())[0]);
      await server.query(`SELECT pg_terminate_backend(${first})`);
      const second = await waitForValue('a new LISTEN connection', async () => (await feedBackends()).find((pid) => pid !== first));
      expect(second).not.toBe(first);
      const before = calls;
      await writer.createRule({
        id: 'after-reconnect', name: 'r', description: '', severity: 'info', dsl: 'trace.has(s => true)', enabled: true, mode: 'alert',
        tags: [], version: 1, createdAt: 0, updatedAt: 0, source: 'api',
      });
      await waitForValue('a notice after the reconnect', () => calls > before || undefined);
    } finally {
      await watched.close();
      await writer.close();
    }
  });

  it('parses URLs: both schemes, FLUO\'s parameters, validation with the password hidden', () => {
    const parsed = parseStoreUrl('postgresql://u:p%40ss@db.example:6543/fluo?sslmode=require&pool_size=4&statement_timeout=5', context);
    expect(parsed.scheme).toBe('postgresql');
    expect(parsed.config).toMatchObject({
      connectionString: 'postgres://u:p%40ss@db.example:6543/fluo?sslmode=require', redactedUrl: 'postgres://u:***@db.example:6543/fluo?sslmode=require&pool_size=4&statement_timeout=5',
      poolSize: 4, statementTimeout: 5000, connectTimeout: 10_000,
    });
    expect(parsePostgresUrl('postgres:///fluo?host=/var/run/postgresql')).toMatchObject({ poolSize: 10 });
    const problem = (url: string): string => { try { parseStoreUrl(url, context); return 'parsed'; } catch (err) { return (err as Error).message; } };
    expect(problem('postgres://u:hunter2@h/')).toBe("'postgres://u:***@h/' names no database: expected postgres://user:password@host:5432/database");
    expect(problem('postgres://u:hunter2@h/db?pool_size=0')).toBe("'postgres://u:***@h/db?pool_size=0': pool_size must be a whole number from 1 to 1000, got '0'");
    expect(problem('postgres://u:hunter2@h/db?sslmode=maybe')).toContain('sslmode must be one of disable, prefer, require');
    expect(problem('postgres://u:hunter2@h/db?poolsize=3')).toContain("unknown parameter 'poolsize'");
    expect(problem('postgres:db')).toContain('is not a valid PostgreSQL URL');
    expect(problem('postgres://u:hunter2@h:99999/db')).toBe("'postgres://u:***@h:99999/db' is not a valid PostgreSQL URL: expected postgres://user:password@host:5432/database");
    expect(problem('postgress://u:hunter2@h/db')).toBe("'postgress://u:***@h/db' has no known scheme: use one of 'sqlite:', 'postgres:', 'postgresql:'");
    for (const url of ['postgres://u:hunter2@h/', 'postgres://u:hunter2@h:99999/db', 'postgress://u:hunter2@h/db']) expect(problem(url)).not.toContain('hunter2');
    expect(redactUrl('postgres://user:p@ss:w@rd@host/db?application_name=a@b')).toBe('postgres://user:***@host/db?application_name=a@b');
    expect(redactUrl('postgres://host/db')).toBe('postgres://host/db');
  });
});

async function waitForValue<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeout = 10_000): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

