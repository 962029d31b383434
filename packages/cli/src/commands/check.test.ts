/**
 * `fluo check` end to end: the real CLI binary on real files.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildTrace, encodeJsonTraces, encodeProtobufTraces } from '@fluohq/engine';

const ROOT = resolve(import.meta.dirname, '../../../..');
const FLUO = join(ROOT, 'packages/cli/bin/fluo.js');

function fluo(args: string[], cwd = ROOT): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [FLUO, ...args], { cwd }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 99) : 0, stdout, stderr });
    });
  });
}

let dir: string;
const RULES = `rules:
  - id: auth-retry
    name: Auth failure masked by retry
    severity: warning
    dsl: |
      trace.has(span => span.name === 'auth.login' && span.status === 'ERROR')
        .and(trace.has(span => span.name === 'auth.login' && span.status === 'OK'))
        .within('5 seconds')
  - id: pii-without-audit
    name: PII without audit
    severity: critical
    dsl: |
      trace.has(span => span.attributes['data.contains_pii'] === true)
        .and(trace.missing(span => span.name === 'audit.log'))
  - id: disabled
    name: Disabled rule
    severity: info
    enabled: false
    dsl: "trace.has(span => true)"
`;

const retry = buildTrace('retry', [
  { id: 'gw', name: 'POST /login', service: 'gateway', start: 0, duration: 4000, kind: 'SERVER' },
  { id: 'l1', name: 'auth.login', parent: 'gw', service: 'auth', start: 10, status: 'ERROR' },
  { id: 'l2', name: 'auth.login', parent: 'gw', service: 'auth', start: 3000, status: 'OK' },
]);
const late = buildTrace('late-retry', [
  { id: 'l1', name: 'auth.login', service: 'auth', start: 0, status: 'ERROR' },
  { id: 'l2', name: 'auth.login', service: 'auth', start: 7000, status: 'OK' },
]);
const pii = buildTrace('pii', [{ id: 'r', name: 'customer.read', service: 'crm', start: 0, attributes: { 'data.contains_pii': true } }]);
const audited = buildTrace('audited', [
  { id: 'r', name: 'customer.read', service: 'crm', start: 0, attributes: { 'data.contains_pii': true } },
  { id: 'a', name: 'audit.log', parent: 'r', service: 'audit', start: 2 },
]);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fluo-check-'));
  await writeFile(join(dir, 'rules.yaml'), RULES);
  await writeFile(join(dir, 'retry.json'), JSON.stringify(encodeJsonTraces(retry), null, 2));
  await writeFile(join(dir, 'late.json'), JSON.stringify(encodeJsonTraces(late)));
  await writeFile(join(dir, 'pii.pb'), encodeProtobufTraces(pii));
  await writeFile(join(dir, 'audited.binpb'), encodeProtobufTraces(audited));
  // The Collector's file exporter: one request per line; the pii trace split over two lines.
  await writeFile(join(dir, 'collector.jsonl'), [JSON.stringify(encodeJsonTraces([audited[1]])), JSON.stringify(encodeJsonTraces([audited[0]]))].join('\n') + '\n');
  await mkdir(join(dir, 'folder'));
  await writeFile(join(dir, 'folder', 'a.json'), JSON.stringify(encodeJsonTraces(retry)));
  await writeFile(join(dir, 'folder', 'notes.txt'), 'not a trace');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('fluo check', () => {
  test('signals in JSON, exit 1', async () => {
    const r = await fluo(['check', '--rules', join(dir, 'rules.yaml'), '--format', 'json', join(dir, 'retry.json'), join(dir, 'late.json'), join(dir, 'pii.pb'), join(dir, 'audited.binpb')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ traces: 4, spans: 8, rules: 2 });
    expect(out.signals.map((s: { ruleId: string; traceId: string }) => [s.ruleId, s.traceId]).sort()).toEqual([
      ['auth-retry', retry[0].traceId],
      ['pii-without-audit', pii[0].traceId],
    ].sort());
    const auth = out.signals.find((s: { ruleId: string }) => s.ruleId === 'auth-retry');
    expect(auth).toMatchObject({ severity: 'warning', ruleName: 'Auth failure masked by retry', spanIds: [retry[1].spanId, retry[2].spanId] });
    expect(auth.witnesses.map((w: { name: string; service: string }) => `${w.service}/${w.name}`)).toEqual(['auth/auth.login', 'auth/auth.login']);
  });

  test('no signal: exit 0 and a readable summary', async () => {
    const r = await fluo(['check', '--rules', join(dir, 'rules.yaml'), join(dir, 'late.json'), join(dir, 'audited.binpb')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('0 signals from 2 rules over 2 traces (4 spans)\n');
  });

  test('text output lists each signal with its witnesses', async () => {
    const r = await fluo(['check', '-r', join(dir, 'rules.yaml'), join(dir, 'retry.json')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`WARNING  auth-retry  trace ${retry[0].traceId}`);
    expect(r.stdout).toContain(`- auth.login [auth] span ${retry[1].spanId} ERROR 10ms`);
    expect(r.stdout).toContain('1 signal from 2 rules over 1 trace (3 spans)');
  });

  test('spans of one trace spread over lines and files are one trace', async () => {
    const r = await fluo(['check', '--rules', join(dir, 'rules.yaml'), '--format', 'json', join(dir, 'collector.jsonl')]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ traces: 1, spans: 2, signals: [] });
  });

  test('folders are read recursively for trace files', async () => {
    const r = await fluo(['check', '--rules', join(dir, 'rules.yaml'), '--format', 'json', join(dir, 'folder')]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).signals).toHaveLength(1);
  });

  test('--include-disabled evaluates disabled rules too', async () => {
    const r = await fluo(['check', '--rules', join(dir, 'rules.yaml'), '--include-disabled', '--format', 'json', join(dir, 'late.json')]);
    expect(JSON.parse(r.stdout).signals.map((s: { ruleId: string }) => s.ruleId)).toEqual(['disabled']);
  });

  test('a rule that does not compile: exit 2 with file:line:column', async () => {
    await writeFile(join(dir, 'bad-rules.yaml'), "rules:\n  - id: bad\n    name: Bad\n    severity: info\n    dsl: |\n      trace.has(span => span.name === 'a')\n        .within('5 parsecs')\n");
    const r = await fluo(['check', '--rules', join(dir, 'bad-rules.yaml'), join(dir, 'retry.json')], dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("bad-rules.yaml:7:17: rule 'bad': \"5 parsecs\" is not a duration");
    expect(r.stderr).toContain('nothing was evaluated');
  });

  test('a trace file that does not parse: exit 2 with file:line:column', async () => {
    await writeFile(join(dir, 'broken.json'), '{\n  "resourceSpans": [\n    {"resource": }\n  ]\n}\n');
    const r = await fluo(['check', '--rules', join(dir, 'rules.yaml'), 'broken.json'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^broken\.json:3:18: /m);
  });

  test('bad ids are reported with the field path', async () => {
    const json = encodeJsonTraces(retry) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ spanId: string }> }> }> };
    json.resourceSpans[0].scopeSpans[0].spans[0].spanId = 'xyz';
    await writeFile(join(dir, 'bad-id.json'), JSON.stringify(json));
    const r = await fluo(['check', '--rules', join(dir, 'rules.yaml'), 'bad-id.json'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^bad-id\.json: resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.spanId/m);
  });

  test('usage errors: exit 2 with a message', async () => {
    expect((await fluo(['check', 'x.json'])).stderr).toContain('--rules is required');
    expect((await fluo(['check', '--rules', 'r.yaml'])).stderr).toContain('no trace files given');
    expect((await fluo(['check', '--rules', 'r.yaml', '--format', 'xml', 'x.json'])).stderr).toContain("--format must be text or json, not 'xml'");
    const unknown = await fluo(['check', '--nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--nope'");
    const missing = await fluo(['check', '--rules', join(dir, 'rules.yaml'), join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.json: cannot read: no such file or folder');
    const noRules = await fluo(['check', '--rules', join(dir, 'missing-rules'), join(dir, 'retry.json')]);
    expect(noRules.code).toBe(2);
    expect(noRules.stderr).toContain('missing-rules:1:1: no such rule file or folder');
  });

  test('help and unknown commands', async () => {
    const help = await fluo(['check', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: fluo check --rules');
    const top = await fluo(['--help']);
    expect(top.stdout).toContain('check');
    const unknown = await fluo(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
  });
});
