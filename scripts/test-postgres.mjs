/**
 * A real PostgreSQL for tests and benchmarks: `startPostgres()` runs Debian's
 * `initdb` and `postgres` (found by system-packages.mjs) in a fresh temporary
 * folder, listening on a Unix socket in that folder and on a free loopback
 * TCP port, with trust authentication for the user `fluo` and durability off
 * (fsync, synchronous_commit, full_page_writes) because a test database need
 * not survive a power cut. One server per test file; each test takes its own
 * database (`createDatabase`) so that tests never see each other's rows.
 *
 * PostgreSQL refuses to run as root. When we run as root (CI containers,
 * where `npm test` has just installed the `postgresql` package), the server
 * runs as the `postgres` system user that package creates, or as `nobody`
 * when there is none, with the temporary folder handed to that user. It is
 * started through `setpriv --pdeathsig` when available, so that the server
 * dies with the process that started it even when that process is killed;
 * `close()` (and the process's exit) stops it and removes the folder.
 *
 * Typed for TypeScript tests by packages/server/src/testing/postgresServer.testkit.ts.
 */
import { spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { locateBinary } from './system-packages.mjs';

/** The unprivileged account to run PostgreSQL as when we are root, or null when we are not root. */
function unprivilegedAccount() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n').map((line) => line.split(':'));
  for (const name of ['postgres', 'nobody']) {
    const entry = passwd.find((fields) => fields[0] === name);
    if (entry && entry.length >= 4) return { name, uid: Number(entry[2]), gid: Number(entry[3]) };
  }
  throw new Error('running as root and there is neither a postgres nor a nobody user to run PostgreSQL as (PostgreSQL refuses to run as root)');
}

const setprivPath = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p)) ?? null;

/** Spawns `binary` as `account` (or as ourselves), dying with us where setpriv allows. */
function spawnAs(account, binary, args, cwd) {
  const stdio = ['ignore', 'pipe', 'pipe'];
  if (account === null) return spawn(binary, args, { cwd, stdio });
  if (setprivPath) {
    return spawn(setprivPath, ['--pdeathsig=SIGKILL', `--reuid=${account.uid}`, `--regid=${account.gid}`, '--clear-groups', binary, ...args], { cwd, stdio });
  }
  return spawn(binary, args, { cwd, uid: account.uid, gid: account.gid, stdio });
}

/** Whether every folder on the way to `folder` lets other users through (o+x), as the unprivileged account needs. */
function traversableByOthers(folder) {
  for (let dir = path.resolve(folder); ; dir = path.dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    if (dir === path.dirname(dir)) return true;
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function collect(child) {
  let out = '';
  const add = (d) => { out = (out + d.toString()).slice(-20_000); };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => out;
}

async function runToEnd(account, binary, args, cwd) {
  const child = spawnAs(account, binary, args, cwd);
  const output = collect(child);
  const code = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c) => resolve(c));
  });
  if (code !== 0) throw new Error(`${path.basename(binary)} ${args.join(' ')} failed (exit ${code}):\n${output()}`);
}

/** Polls until our server (the one serving `dataDir`, not another one that took the port) answers (true) or exits (false). */
async function waitUntilReady(port, dataDir, exited) {
  let gone = false;
  void exited.then(() => { gone = true; });
  const deadline = Date.now() + 60_000;
  while (!gone) {
    const client = new pg.Client({ connectionString: `postgres://fluo@127.0.0.1:${port}/postgres`, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      const { rows } = await client.query('SHOW data_directory');
      await client.end();
      if (rows[0]?.data_directory === dataDir) return true;
    } catch {
      await client.end().catch(() => {});
    }
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

/**
 * @param {{ settings?: Record<string, string> }} [options] extra `-c name=value` server settings
 */
export async function startPostgres(options = {}) {
  const initdb = locateBinary('initdb');
  const postgres = locateBinary('postgres');
  const account = unprivilegedAccount();
  // A TMPDIR under root's home is not reachable by the account PostgreSQL runs as: use /tmp then.
  const base = account && !traversableByOthers(tmpdir()) ? '/tmp' : tmpdir();
  const dir = mkdtempSync(path.join(base, 'fluo-pg-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  if (account) chownSync(dir, account.uid, account.gid);
  const dataDir = path.join(dir, 'data');
  try {
    await runToEnd(account, initdb, ['-D', dataDir, '-U', 'fluo', '--auth=trust', '--no-sync', '-E', 'UTF8', '--no-locale'], dir);
  } catch (err) {
    removeDir();
    throw err;
  }

  const settings = {
    fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '300', shared_buffers: '32MB', log_min_messages: 'warning',
    ...options.settings,
  };
  let child = null;
  let port = 0;
  for (let attempt = 1; child === null; attempt++) {
    port = await freePort();
    const started = spawnAs(account, postgres, [
      '-D', dataDir, '-k', dir, '-p', String(port), '-h', '127.0.0.1',
      ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    ], dir);
    const output = collect(started);
    const exited = new Promise((resolve) => started.once('exit', (code) => resolve(code)));
    if (await waitUntilReady(port, dataDir, exited)) {
      child = started;
    } else {
      started.kill('SIGKILL');
      if (attempt >= 3 || !/could not (bind|create)/i.test(output())) {
        removeDir();
        throw new Error(`PostgreSQL did not start:\n${output()}`);
      }
    }
  }

  const running = child;
  const onExit = () => {
    running.kill('SIGKILL');
    removeDir();
  };
  process.once('exit', onExit);
  let counter = 0;
  let closing = null;
  const url = (database) => `postgres://fluo@127.0.0.1:${port}/${database}`;
  const query = async (sql, database = 'postgres') => {
    const client = new pg.Client({ connectionString: url(database) });
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  };
  return {
    host: '127.0.0.1',
    port,
    /** The postmaster's process id. */
    pid: running.pid,
    socketDir: dir,
    url,
    query,
    async createDatabase(prefix = 'test') {
      const name = `${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${++counter}`;
      await query(`CREATE DATABASE ${name}`);
      return url(name);
    },
    close() {
      if (closing) return closing;
      closing = (async () => {
        process.removeListener('exit', onExit);
        if (running.exitCode === null && running.signalCode === null) {
          const exited = new Promise((resolve) => running.once('exit', resolve));
          running.kill('SIGINT'); // fast shutdown: disconnects clients
          const timer = setTimeout(() => running.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(timer);
        }
        removeDir();
      })();
      return closing;
    },
  };
}
