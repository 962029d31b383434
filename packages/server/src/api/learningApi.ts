/**
 * Learning and human oversight over HTTP:
 * - per rule (mounted under /api/v1/rules): versions, precision from triage,
 *   shadow-mode signals and promotion, refinement proposals and applying one;
 * - /api/v1/invariants: mining kept traces for candidate invariants and
 *   adopting one as a shadow rule;
 * - /api/v1/insights: precision of every rule, and rate baselines.
 * Every scan of the store is bounded by a parameter with a ceiling.
 */
import { Hono } from 'hono';
import {
  InvariantMiner, evaluateTrace, learnRefinements,
  type InvariantKind, type TriagedSignal,
} from '@fluohq/engine';
import { parseDurationMs } from '../config/units.js';
import { FluoError } from '../errors.js';
import { RATE_ANOMALY_RULE_ID } from '../learn/rateMonitor.js';
import { precisionCounts, rulePrecision, signalsWithStatus } from '../learn/rulePrecision.js';
import type { RuleView } from '../rules/ruleSet.js';
import { toSpans } from '../store/serializedSpan.js';
import type { RuleVersionRecord, SignalRecord, TraceCursor } from '../store/store.js';
import type { ApiDeps } from './apiDeps.js';
import { intParam, readJson, stringParam, timeParam, type Query } from './request.js';

const DAY = 86_400_000;
/** Most traces one invariant mining request reads. */
export const INVARIANT_MAX_SCAN = 50_000;
/** Most triaged signals (per status) one refinement request reads. */
export const REFINEMENT_MAX_SIGNALS = 1000;
const SCAN_PAGE = 200;
const INVARIANT_KINDS: readonly InvariantKind[] = ['co-occurrence', 'ordering', 'duration', 'attribute-values'];

function bad(param: string, message: string): FluoError {
  return new FluoError('VALIDATION', `query parameter '${param}' ${message}`, { details: [{ field: param, message }] });
}

function numberParam(query: Query, param: string, min: number, max: number, fallback: number): number {
  const raw = query[param];
  if (raw === undefined || raw === '') return fallback;
  const n = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= min && n <= max)) throw bad(param, `must be a number from ${min} to ${max}, got '${raw}'`);
  return n;
}

function durationParam(query: Query, param: string, min: number, max: number, fallback: number): number {
  const raw = query[param];
  if (raw === undefined || raw === '') return fallback;
  const ms = parseDurationMs(raw);
  if (ms === null || ms < min || ms > max) throw bad(param, `must be a duration such as 1h or 7d, from ${min} ms to ${max / DAY} days, got '${raw}'`);
  return ms;
}

function objectBody(body: unknown, example: string): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new FluoError('VALIDATION', `the request body must be a JSON object such as ${example}`);
  return body as Record<string, unknown>;
}

function onlyFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    throw new FluoError('VALIDATION', `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}: expected ${allowed.join(', ')}`, {
      details: unknown.map((field) => ({ field, message: 'unknown field' })),
    });
  }
}

function ruleOrThrow(deps: ApiDeps, id: string): RuleView {
  const view = deps.ruleSet.get(id);
  if (!view) throw new FluoError('NOT_FOUND', `no rule with id '${id}'`);
  return view;
}

function fileVersion(view: RuleView): RuleVersionRecord {
  return {
    ruleId: view.id, version: view.version, name: view.name, description: view.description, severity: view.severity, dsl: view.dsl,
    enabled: view.enabled, mode: view.mode, tags: view.tags, savedAt: view.updatedAt,
  };
}

/** Routes under /api/v1/rules/:id/... */
export function ruleLearningApi(deps: ApiDeps): Hono {
  const app = new Hono();

  app.get('/:id/versions', async (c) => {
    const view = ruleOrThrow(deps, c.req.param('id'));
    // File rules keep their history in version control; the current one is all FLUO knows.
    const versions = view.source === 'file' ? [fileVersion(view)] : await deps.store.listRuleVersions(view.id);
    return c.json({ ruleId: view.id, versions });
  });

  app.get('/:id/versions/:version', async (c) => {
    const view = ruleOrThrow(deps, c.req.param('id'));
    const raw = c.req.param('version');
    const version = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(version) || version < 1) throw new FluoError('VALIDATION', `the version must be a positive whole number, got '${raw}'`, { details: [{ field: 'version', message: 'must be a positive whole number' }] });
    const found = view.source === 'file' ? (view.version === version ? fileVersion(view) : null) : await deps.store.getRuleVersion(view.id, version);
    if (!found) throw new FluoError('NOT_FOUND', `rule '${view.id}' has no version ${version}`);
    return c.json(found);
  });

  app.get('/:id/precision', async (c) => {
    const view = ruleOrThrow(deps, c.req.param('id'));
    const query = c.req.query() as Query;
    const result = await rulePrecision(deps.store, view.id, {
      since: timeParam(query, 'since'),
      until: timeParam(query, 'until'),
      bucketMs: durationParam(query, 'bucket', 60_000, 365 * DAY, DAY),
      maxSignals: intParam(query, 'maxSignals', { min: 1, max: 100_000, fallback: 10_000 }),
    });
    return c.json({ ...result, ruleVersion: view.version });
  });

  app.get('/:id/shadow', async (c) => {
    const view = ruleOrThrow(deps, c.req.param('id'));
    const query = c.req.query() as Query;
    const since = timeParam(query, 'since');
    const until = timeParam(query, 'until');
    const limit = intParam(query, 'limit', { min: 1, max: 1000, fallback: 50 });
    const maxSignals = intParam(query, 'maxSignals', { min: 1, max: 100_000, fallback: 10_000 });
    // Every signal of the rule raised in shadow mode, newest first, bounded.
    const sample: SignalRecord[] = [];
    const byVersion = new Map<number, number>();
    let total = 0;
    let read = 0;
    let beforeSeq: number | undefined;
    let truncated = false;
    for (;;) {
      const page = await deps.store.listSignals({ ruleId: view.id, since, until, beforeSeq, limit: 500 });
      for (const s of page) {
        read++;
        if (s.mode !== 'shadow') continue;
        total++;
        byVersion.set(s.ruleVersion, (byVersion.get(s.ruleVersion) ?? 0) + 1);
        if (sample.length < limit) sample.push(s);
      }
      if (page.length < 500) break;
      if (read >= maxSignals) { truncated = true; break; }
      beforeSeq = page[page.length - 1].seq;
    }
    return c.json({
      ruleId: view.id, mode: view.mode, ruleVersion: view.version,
      wouldHaveNotified: total,
      byVersion: [...byVersion.entries()].sort((a, b) => a[0] - b[0]).map(([version, signals]) => ({ version, signals })),
      signals: sample, truncated,
    });
  });

  app.post('/:id/promote', async (c) => {
    const id = c.req.param('id');
    const body = objectBody(await readJson(c.req.raw), '{"version": 3}');
    onlyFields(body, ['version']);
    const view = ruleOrThrow(deps, id);
    if (view.mode === 'alert') throw new FluoError('CONFLICT', `rule '${id}' is already in alert mode`, { details: { id, mode: view.mode } });
    const rule = await deps.ruleSet.patch(id, { mode: 'alert', ...(body.version !== undefined ? { version: body.version } : {}) });
    return c.json(rule);
  });

  app.get('/:id/refinements', async (c) => {
    const view = ruleOrThrow(deps, c.req.param('id'));
    const compiled = deps.ruleSet.compiled(view.id);
    if (!compiled) throw new FluoError('RULE_COMPILE', `rule '${view.id}' does not compile`, { details: view.compileError });
    const query = c.req.query() as Query;
    const window = { since: timeParam(query, 'since'), until: timeParam(query, 'until') };
    const maxSignals = intParam(query, 'maxSignals', { min: 1, max: REFINEMENT_MAX_SIGNALS, fallback: 500 });
    const folds = intParam(query, 'folds', { min: 2, max: 20, fallback: 5 });
    const maxRecallLoss = numberParam(query, 'maxRecallLoss', 0, 0.5, 0);
    const triaged: TriagedSignal[] = [];
    let notFiringNow = 0;
    let truncated = false;
    for (const status of ['resolved', 'false_positive'] as const) {
      const { signals, more } = await signalsWithStatus(deps.store, view.id, status, window, maxSignals);
      truncated ||= more;
      for (const s of signals) {
        const detail = await deps.store.getSignal(s.id);
        if (!detail) continue;
        const spans = toSpans(detail.evidence);
        // Signals of earlier versions the current rule would not raise say nothing about narrowing it.
        if (!evaluateTrace(compiled, spans).matched) { notFiringNow++; continue; }
        triaged.push({ id: s.id, truePositive: status === 'resolved', spans, witnessSpanIds: s.spanIds });
      }
    }
    const result = learnRefinements(view.dsl, triaged, { folds, maxRecallLoss });
    return c.json({
      ruleId: view.id, ruleVersion: view.version, dsl: view.dsl,
      signals: { truePositives: result.baseline.truePositives, falsePositives: result.baseline.falsePositives, notFiringNow, truncated },
      ...result,
    });
  });

  app.post('/:id/refinements/apply', async (c) => {
    const id = c.req.param('id');
    const body = objectBody(await readJson(c.req.raw), '{"dsl": "trace.has(...)", "version": 3}');
    onlyFields(body, ['dsl', 'version', 'mode']);
    if (typeof body.dsl !== 'string' || body.dsl.trim() === '') throw new FluoError('VALIDATION', 'dsl must be the refined rule text of a proposal', { details: [{ field: 'dsl', message: 'must be a non-empty string' }] });
    if (!Number.isSafeInteger(body.version)) throw new FluoError('VALIDATION', 'version must be the rule version the proposal was computed for', { details: [{ field: 'version', message: 'must be a whole number' }] });
    ruleOrThrow(deps, id);
    const patch: Record<string, unknown> = { dsl: body.dsl, version: body.version };
    if (body.mode !== undefined) patch.mode = body.mode;
    return c.json(await deps.ruleSet.patch(id, patch));
  });

  return app;
}

/** /api/v1/invariants */
export function invariantsApi(deps: ApiDeps): Hono {
  const app = new Hono();

  app.get('/', async (c) => {
    const query = c.req.query() as Query;
    const kindsRaw = stringParam(query, 'kinds');
    const kinds = kindsRaw === undefined ? INVARIANT_KINDS : kindsRaw.split(',').map((k) => k.trim());
    for (const k of kinds) if (!(INVARIANT_KINDS as readonly string[]).includes(k)) throw bad('kinds', `must be a comma-separated list of ${INVARIANT_KINDS.join(', ')}, got '${k}'`);
    const since = timeParam(query, 'since');
    const until = timeParam(query, 'until');
    const maxTraces = intParam(query, 'maxTraces', { min: 1, max: INVARIANT_MAX_SCAN, fallback: 5000 });
    const miner = new InvariantMiner({
      minSupport: intParam(query, 'minSupport', { min: 1, max: 1_000_000_000, fallback: 20 }),
      minConfidence: numberParam(query, 'minConfidence', 0.5, 1, 0.99),
      durationQuantile: numberParam(query, 'quantile', 0.5, 0.9999, 0.999),
      maxCandidates: intParam(query, 'limit', { min: 1, max: 1000, fallback: 100 }),
      kinds: kinds as InvariantKind[],
    });
    let scanned = 0;
    let after: TraceCursor | undefined;
    for (;;) {
      const page = await deps.store.scanTraces({ since, until, after, limit: Math.min(SCAN_PAGE, maxTraces - scanned) });
      for (const kept of page) { scanned++; miner.addTrace(toSpans(kept.spans)); }
      if (page.length === 0 || scanned >= maxTraces || page.length < SCAN_PAGE) break;
      const last = page[page.length - 1];
      after = { startTime: last.startTime, traceId: last.traceId };
      await new Promise((resolve) => setImmediate(resolve));
    }
    return c.json({ tracesScanned: scanned, truncated: scanned >= maxTraces, stats: miner.stats(), options: miner.options, candidates: miner.candidates() });
  });

  app.post('/adopt', async (c) => {
    const body = objectBody(await readJson(c.req.raw), '{"dsl": "trace.has(...)", "description": "every trace with A also has B"}');
    onlyFields(body, ['id', 'name', 'description', 'severity', 'dsl', 'tags']);
    if (typeof body.dsl !== 'string') throw new FluoError('VALIDATION', "dsl must be a candidate's dsl", { details: [{ field: 'dsl', message: 'must be a string' }] });
    if (body.description !== undefined && typeof body.description !== 'string') throw new FluoError('VALIDATION', 'description must be a string', { details: [{ field: 'description', message: 'must be a string' }] });
    const description = (body.description as string | undefined) ?? '';
    const name = body.name ?? (description ? `Invariant broken: ${description}`.slice(0, 200) : 'Invariant broken');
    const rule = await deps.ruleSet.create({
      ...(body.id !== undefined ? { id: body.id } : {}),
      name, description, dsl: body.dsl, severity: body.severity ?? 'warning', mode: 'shadow',
      tags: body.tags ?? ['invariant'],
    });
    return c.json(rule, 201, { location: `/api/v1/rules/${encodeURIComponent(rule.id)}` });
  });

  return app;
}

/** /api/v1/insights */
export function insightsApi(deps: ApiDeps): Hono {
  const app = new Hono();

  app.get('/precision', async (c) => {
    const query = c.req.query() as Query;
    const window = { since: timeParam(query, 'since'), until: timeParam(query, 'until') };
    const maxSignals = intParam(query, 'maxSignals', { min: 1, max: 100_000, fallback: 2000 });
    const rules = [];
    for (const view of deps.ruleSet.list()) {
      const t = await signalsWithStatus(deps.store, view.id, 'resolved', window, maxSignals);
      const f = await signalsWithStatus(deps.store, view.id, 'false_positive', window, maxSignals);
      rules.push({ ruleId: view.id, name: view.name, mode: view.mode, version: view.version, ...precisionCounts(t.signals.length, f.signals.length), truncated: t.more || f.more });
    }
    return c.json({ rules });
  });

  app.get('/rates', async (c) => {
    const query = c.req.query() as Query;
    const at = timeParam(query, 'at') ?? Date.now();
    const monitor = deps.rateMonitor;
    return c.json({
      at, ruleId: RATE_ANOMALY_RULE_ID, windowMs: monitor.options.windowMs, historyMs: monitor.options.historyMs, intervalMs: monitor.options.intervalMs,
      assessments: await monitor.assess(at),
      lastCheck: monitor.last,
    });
  });

  return app;
}

