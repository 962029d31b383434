/**
 * The example rule library against its example traces, black-box through the
 * real CLI (`fluo check`), the way a user would run them.
 *
 * For every rule in examples/rules there is a folder examples/traces/<rule-id>/
 * holding:
 * - fires.json: a trace showing the pattern. It must raise the folder's rule
 *   and nothing else, unless expect.json ({"fires": ["rule-id", ...]}) lists
 *   the rules it legitimately raises.
 * - quiet.json (and any other quiet*.json): a near miss that no rule of the
 *   whole library may fire.
 * Files hold one trace, except for correlated rules (traces.by), whose files
 * hold the several traces the pattern spans; their signals must name traces
 * of the file only, and at least two of them.
 *
 * Needs the CLI built (`npm run build`; `npm test` does it).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'packages', 'cli', 'bin', 'fluo.js');
const RULES_DIR = join(ROOT, 'examples', 'rules');
const TRACES_DIR = join(ROOT, 'examples', 'traces');

// ---- the library -----------------------------------------------------------

interface RuleDoc {
  id: string;
  name: string;
  description?: string;
  severity: string;
  enabled?: boolean;
  tags?: string[];
  dsl: string;
}

const ruleFiles = readdirSync(RULES_DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
const rules: Array<RuleDoc & { file: string }> = [];
for (const file of ruleFiles) {
  const doc = parseYaml(readFileSync(join(RULES_DIR, file), 'utf8')) as { rules?: RuleDoc[] };
  for (const rule of doc?.rules ?? []) rules.push({ ...rule, file });
}
const ruleIds = rules.map((r) => r.id);
const isCorrelated = (dsl: string) => dsl.trim().startsWith('traces.by(');
const correlatedIds = new Set(rules.filter((r) => isCorrelated(r.dsl)).map((r) => r.id));
const enabledRules = rules.filter((r) => r.enabled !== false);

const SEED_DSL: Record<string, string> = {
  'auth-retry-storm':
    "trace.has(span => span.name === 'auth.login' && span.status === 'ERROR')\n" +
    "  .and(trace.has(span => span.name === 'auth.login' && span.status === 'OK'))\n" +
    "  .within('5 seconds')",
  'pii-access-without-audit':
    "trace.has(span => span.attributes['data.contains_pii'] === true)\n" +
    "  .and(trace.missing(span => span.name === 'audit.log'))",
  'slow-payment-db-query':
    "trace.where(span => span.name.startsWith('payment'))\n" +
    "  .has(span => span.name.includes('db.query') && span.duration > 1000)",
};

const traceFolders = existsSync(TRACES_DIR)
  ? readdirSync(TRACES_DIR).filter((d) => statSync(join(TRACES_DIR, d)).isDirectory()).sort()
  : [];

function traceFilesOf(folder: string): { fires: string[]; quiet: string[] } {
  const files = readdirSync(join(TRACES_DIR, folder)).filter((f) => f.endsWith('.json') && f !== 'expect.json').sort();
  return { fires: files.filter((f) => f.startsWith('fires')), quiet: files.filter((f) => f.startsWith('quiet')) };
}

function expectedFires(folder: string): string[] {
  const path = join(TRACES_DIR, folder, 'expect.json');
  if (!existsSync(path)) return [folder];
  const doc = JSON.parse(readFileSync(path, 'utf8')) as { fires?: unknown };
  if (!Array.isArray(doc.fires)) throw new Error(`${relative(ROOT, path)}: expected {"fires": ["rule-id", ...]}`);
  return doc.fires as string[];
}

// ---- OTLP/JSON reading (just enough to know what a file holds) -------------

interface OtlpAttr { key: string; value: Record<string, unknown> }
interface OtlpSpan {
  traceId: string; spanId: string; parentSpanId?: string; name: string; kind?: number;
  startTimeUnixNano: string; endTimeUnixNano: string; attributes?: OtlpAttr[];
  status?: { code?: number; message?: string };
}
interface OtlpFile { resourceSpans: Array<{ resource?: { attributes?: OtlpAttr[] }; scopeSpans: Array<{ scope?: { name?: string }; spans: OtlpSpan[] }> }> }

function readTraceFile(path: string): OtlpFile {
  return JSON.parse(readFileSync(path, 'utf8')) as OtlpFile;
}

function spansOf(file: OtlpFile): OtlpSpan[] {
  return file.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
}

/** Problems with one trace file: ids, parents, times, resources. Empty when well-formed. */
function checkTraceFile(file: OtlpFile, severalTraces = false): string[] {
  const problems: string[] = [];
  if (!Array.isArray(file.resourceSpans) || file.resourceSpans.length === 0) return ['no resourceSpans'];
  for (const rs of file.resourceSpans) {
    const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value?.stringValue;
    if (typeof service !== 'string' || service === '') problems.push('a resource without service.name');
    if (!Array.isArray(rs.scopeSpans) || rs.scopeSpans.length === 0) problems.push(`resource ${service}: no scopeSpans`);
  }
  const spans = spansOf(file);
  if (spans.length === 0) problems.push('no spans');
  const ids = new Set<string>();
  for (const s of spans) {
    if (!/^[0-9a-f]{32}$/.test(s.traceId) || /^0+$/.test(s.traceId)) problems.push(`${s.name}: bad traceId ${s.traceId}`);
    if (!/^[0-9a-f]{16}$/.test(s.spanId) || /^0+$/.test(s.spanId)) problems.push(`${s.name}: bad spanId ${s.spanId}`);
    if (ids.has(s.spanId)) problems.push(`duplicate spanId ${s.spanId}`);
    ids.add(s.spanId);
    if (s.parentSpanId !== undefined && !/^[0-9a-f]{16}$/.test(s.parentSpanId)) problems.push(`${s.name}: bad parentSpanId ${s.parentSpanId}`);
    if (typeof s.name !== 'string' || s.name === '') problems.push(`${s.spanId}: no name`);
    if (![1, 2, 3, 4, 5].includes(s.kind as number)) problems.push(`${s.name}: kind ${s.kind}`);
    if (!/^\d{19}$/.test(s.startTimeUnixNano) || !/^\d{19}$/.test(s.endTimeUnixNano)) {
      problems.push(`${s.name}: times must be nanosecond decimal strings`);
    } else if (BigInt(s.endTimeUnixNano) < BigInt(s.startTimeUnixNano)) {
      problems.push(`${s.name}: ends before it starts`);
    }
    if (s.status?.code !== undefined && ![0, 1, 2].includes(s.status.code)) problems.push(`${s.name}: status code ${s.status.code}`);
  }
  for (const s of spans) {
    if (s.parentSpanId !== undefined && !ids.has(s.parentSpanId)) problems.push(`${s.name}: parent ${s.parentSpanId} not in the file`);
  }
  const traceIds = new Set(spans.map((s) => s.traceId));
  for (const traceId of traceIds) {
    const roots = spans.filter((s) => s.traceId === traceId && s.parentSpanId === undefined);
    if (roots.length !== 1) problems.push(`trace ${traceId}: expected one root span, found ${roots.length}`);
  }
  if (!severalTraces && traceIds.size !== 1) problems.push('expected exactly one trace per file');
  if (severalTraces && traceIds.size < 2) problems.push('a correlated rule\'s example holds at least two traces');
  return problems;
}

// ---- the CLI ---------------------------------------------------------------

interface CheckOutput {
  signals: Array<{ ruleId: string; ruleName: string; traceId: string; spanIds: string[]; severity: string; message: string; traceIds?: string[]; correlationKey?: string }>;
  traces: number;
  spans: number;
  rules: number;
}

interface Run { code: number; stdout: string; stderr: string }

function fluoCheck(files: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, 'check', '--rules', 'examples/rules', '--format', 'json', ...files],
      { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, timeout: 50_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

function parseOutput(run: Run, what: string): CheckOutput {
  try {
    return JSON.parse(run.stdout) as CheckOutput;
  } catch {
    throw new Error(`${what}: fluo check did not print JSON (exit ${run.code}).\nstdout: ${run.stdout.slice(0, 2000)}\nstderr: ${run.stderr.slice(0, 2000)}`);
  }
}

const rel = (folder: string, file: string) => `examples/traces/${folder}/${file}`;

// ---- static checks ---------------------------------------------------------

describe('example rule library', () => {
  it('has at least 13 rules with unique ids and complete fields', () => {
    expect(rules.length).toBeGreaterThanOrEqual(13);
    expect(new Set(ruleIds).size, `duplicate ids: ${ruleIds.filter((id, i) => ruleIds.indexOf(id) !== i)}`).toBe(ruleIds.length);
    for (const r of rules) {
      expect(r.id, r.file).toMatch(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/);
      expect(typeof r.name === 'string' && r.name.trim() !== '', `${r.id}: name`).toBe(true);
      expect(typeof r.description === 'string' && r.description.trim() !== '', `${r.id}: description`).toBe(true);
      expect(['info', 'warning', 'critical'], `${r.id}: severity`).toContain(r.severity);
      expect(typeof r.dsl === 'string' && (r.dsl.trim().startsWith('trace.') || isCorrelated(r.dsl)), `${r.id}: dsl`).toBe(true);
      expect(Array.isArray(r.tags) && r.tags.length > 0, `${r.id}: tags`).toBe(true);
      expect(r.enabled, `${r.id}: every example rule is enabled`).toBe(true);
    }
  });

  it('ships the three seed rules with their exact DSL text', () => {
    for (const [id, dsl] of Object.entries(SEED_DSL)) {
      const rule = rules.find((r) => r.id === id);
      expect(rule, id).toBeDefined();
      expect(rule!.file).toBe('seed.yaml');
      expect(rule!.dsl.trim()).toBe(dsl);
    }
  });

  it('has a traces folder with fires.json and quiet.json for every rule, and no folder without a rule', () => {
    for (const id of ruleIds) {
      expect(traceFolders, `examples/traces/${id}/ is missing`).toContain(id);
      const { fires, quiet } = traceFilesOf(id);
      expect(fires, `examples/traces/${id}/fires.json`).toContain('fires.json');
      expect(quiet, `examples/traces/${id}/quiet.json`).toContain('quiet.json');
    }
    for (const folder of traceFolders) expect(ruleIds, `examples/traces/${folder}/ has no rule`).toContain(folder);
  });

  it('gives each seed rule a near miss', () => {
    for (const id of Object.keys(SEED_DSL)) expect(existsSync(join(TRACES_DIR, id, 'quiet.json')), id).toBe(true);
  });

  it('lists only known rules, including the folder rule, in expect.json', () => {
    for (const folder of traceFolders) {
      const fires = expectedFires(folder);
      expect(fires, folder).toContain(folder);
      for (const id of fires) expect(ruleIds, `${folder}/expect.json`).toContain(id);
    }
  });

  it('holds well-formed OTLP/JSON trace files with distinct trace ids', () => {
    const seen = new Map<string, string>();
    for (const folder of traceFolders) {
      const { fires, quiet } = traceFilesOf(folder);
      for (const name of [...fires, ...quiet]) {
        const path = rel(folder, name);
        const file = readTraceFile(join(ROOT, path));
        expect(checkTraceFile(file, correlatedIds.has(folder)), path).toEqual([]);
        for (const traceId of new Set(spansOf(file).map((s) => s.traceId))) {
          expect(seen.get(traceId), `${path} reuses the trace id of ${seen.get(traceId)}`).toBeUndefined();
          seen.set(traceId, path);
        }
      }
    }
  });
});

// ---- through the CLI -------------------------------------------------------

describe('fluo check on the example traces', () => {
  for (const folder of traceFolders) {
    const { fires, quiet } = traceFilesOf(folder);

    for (const name of fires) {
      it(`${folder}/${name} fires ${name === 'fires.json' ? expectedFires(folder).join(', ') : folder}`, async () => {
        const path = rel(folder, name);
        const expected = name === 'fires.json' ? expectedFires(folder) : [folder];
        const file = readTraceFile(join(ROOT, path));
        const spanIds = new Set(spansOf(file).map((s) => s.spanId));
        const traceIds = new Set(spansOf(file).map((s) => s.traceId));

        const run = await fluoCheck([path]);
        const out = parseOutput(run, path);
        expect(run.code, `exit code; stderr: ${run.stderr}`).toBe(1);
        expect(out.traces).toBe(traceIds.size);
        expect(out.spans).toBe(spanIds.size);
        expect(out.rules).toBe(enabledRules.length);
        expect([...new Set(out.signals.map((s) => s.ruleId))].sort()).toEqual([...expected].sort());
        expect(out.signals.length, 'one signal per rule and trace (correlated: per key and window)').toBe(expected.length);
        for (const signal of out.signals) {
          expect(traceIds.has(signal.traceId), `${signal.ruleId}: trace ${signal.traceId} is in the file`).toBe(true);
          if (correlatedIds.has(signal.ruleId)) {
            expect(signal.traceIds?.[0]).toBe(signal.traceId);
            expect(signal.traceIds!.length, `${signal.ruleId}: a pattern across traces`).toBeGreaterThanOrEqual(signal.ruleId === 'checkout-abandoned-in-session' ? 1 : 2);
            for (const id of signal.traceIds!) expect(traceIds.has(id), `${signal.ruleId}: trace ${id} is in the file`).toBe(true);
            expect(typeof signal.correlationKey).toBe('string');
          }
          expect(signal.spanIds.length, `${signal.ruleId}: witnesses`).toBeGreaterThan(0);
          for (const id of signal.spanIds) expect(spanIds.has(id), `${signal.ruleId}: witness ${id} is a span of the file`).toBe(true);
          const rule = rules.find((r) => r.id === signal.ruleId)!;
          expect(signal.ruleName).toBe(rule.name);
          expect(signal.severity).toBe(rule.severity);
        }
      });
    }

    for (const name of quiet) {
      it(`${folder}/${name} fires nothing`, async () => {
        const path = rel(folder, name);
        const run = await fluoCheck([path]);
        const out = parseOutput(run, path);
        expect(out.signals.map((s) => s.ruleId), 'rules fired by a near miss').toEqual([]);
        expect(run.code, `exit code; stderr: ${run.stderr}`).toBe(0);
        expect(out.traces).toBe(new Set(spansOf(readTraceFile(join(ROOT, path))).map((s) => s.traceId)).size);
      });
    }
  }

  it('checks all example traces in one run', async () => {
    const fires: string[] = [];
    const quiet: string[] = [];
    let expectedSignals = 0;
    for (const folder of traceFolders) {
      const files = traceFilesOf(folder);
      for (const name of files.fires) {
        fires.push(rel(folder, name));
        expectedSignals += name === 'fires.json' ? expectedFires(folder).length : 1;
      }
      for (const name of files.quiet) quiet.push(rel(folder, name));
    }
    const run = await fluoCheck([...fires, ...quiet]);
    const out = parseOutput(run, 'all traces');
    expect(run.code, `exit code; stderr: ${run.stderr}`).toBe(1);
    const traceCount = [...fires, ...quiet].reduce((n, p) => n + new Set(spansOf(readTraceFile(join(ROOT, p))).map((s) => s.traceId)).size, 0);
    expect(out.traces).toBe(traceCount);
    expect(out.signals.length).toBe(expectedSignals);
  });
});
