/**
 * Profiles `fluo serve` under load: starts it with `--cpu-prof` and the
 * standard workload's rule set, drives it with the load generator over
 * OTLP/HTTP for 6 s, stops it, and prints the folder holding the
 * .cpuprofile files, one per thread: main (…0.001), then the threads in the
 * order they started, the SQLite writer and the detection thread (open them
 * in Chrome DevTools or any cpuprofile viewer).
 *
 * Usage: node bench/profileServer.mjs [rules=100]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { REPO_ROOT, ruleSet } from './workload.mjs';
import { FLUO_BIN, freePort, runNode, sleep } from './harness.mjs';

const rules = Number(process.argv[2] ?? 100);
const dir = mkdtempSync(path.join(tmpdir(), 'fluo-profile-'));
writeFileSync(path.join(dir, 'rules.yaml'), stringify({ rules: ruleSet(rules) }));
const api = await freePort();
const otlpHttp = await freePort();
const otlpGrpc = await freePort();
const child = spawn(process.execPath, [
  '--cpu-prof', '--cpu-prof-dir', dir, FLUO_BIN, 'serve', '--host', '127.0.0.1', '--port', String(api), '--otlp-http-port', String(otlpHttp),
  '--otlp-grpc-port', String(otlpGrpc), '--data-dir', path.join(dir, 'data'), '--rules', path.join(dir, 'rules.yaml'), '--log-level', 'warn', '--idle-timeout', '1s',
], { stdio: 'inherit' });
await sleep(2500);
const load = await runNode([path.join(REPO_ROOT, 'bench/loadgen.mjs'), JSON.stringify({ protocol: 'http', port: otlpHttp, durationMs: 6000, concurrency: 8, spans: 10000 })]);
process.stdout.write(load.stdout);
child.kill('SIGTERM');
await new Promise((resolve) => child.on('exit', resolve));
process.stdout.write(`${dir}\n`);
