/**
 * /api/v1/rules: CRUD, validation, and dry runs over kept traces.
 */
import { Hono } from 'hono';
import { RuleError, evaluateCorrelatedRule, compileRule, evaluateTrace, validateRuleDsl, type CompiledRule, type Span } from '@fluohq/engine';
import { FluoError } from '../errors.js';
import { toSpans } from '../store/serializedSpan.js';
import type { TraceCursor } from '../store/store.js';
import type { ApiDeps } from './apiDeps.js';
import { principalOf } from './apiAuth.js';
import { recordAudit } from './auditApi.js';
import { readJson, timeField } from './request.js';

/** Most traces one POST /rules/test reads. */
export const RULE_TEST_MAX_SCAN = 100_000;
const SCAN_PAGE = 200;

function objectBody(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new FluoError('VALIDATION', 'the request body must be a JSON object');
  return body as Record<string, unknown>;
}

function boundedInt(body: Record<string, unknown>, field: string, min: number, max: number, fallback: number): number {
  const v = body[field];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new FluoError('VALIDATION', `${field} must be a whole number from ${min} to ${max}`, { details: [{ field, message: `must be from ${min} to ${max}` }] });
  }
  return v;
}

function ruleToTest(body: Record<string, unknown>, deps: ApiDeps): CompiledRule {
  const hasDsl = body.dsl !== undefined;
  const hasId = body.ruleId !== undefined;
  if (hasDsl === hasId) throw new FluoError('VALIDATION', 'give either dsl (a rule expression) or ruleId (a saved rule), not both', { details: [{ field: hasDsl ? 'ruleId' : 'dsl', message: 'give exactly one of dsl and ruleId' }] });
  if (hasId) {
    if (typeof body.ruleId !== 'string') throw new FluoError('VALIDATION', 'ruleId must be a string', { details: [{ field: 'ruleId', message: 'must be a string' }] });
    const view = deps.ruleSet.get(body.ruleId);
    if (!view) throw new FluoError('NOT_FOUND', `no rule with id '${body.ruleId}'`);
    const compiled = deps.ruleSet.compiled(body.ruleId);
    if (!compiled) throw new FluoError('RULE_COMPILE', `rule '${body.ruleId}' does not compile`, { details: view.compileError });
    return compiled;
  }
  if (typeof body.dsl !== 'string' || body.dsl.trim() === '') throw new FluoError('VALIDATION', 'dsl must be a non-empty string', { details: [{ field: 'dsl', message: 'must be a non-empty string' }] });
  try {
    return compileRule({ id: 'rule-test', name: 'rule test', severity: 'info', dsl: body.dsl });
  } catch (err) {
    if (err instanceof RuleError) throw new FluoError('RULE_COMPILE', `dsl, line ${err.line}, column ${err.column}: ${err.message}`, { details: err.toJSON() });
    throw err;
  }
}

export function rulesApi(deps: ApiDeps): Hono {
  const app = new Hono();
  const { ruleSet } = deps;

  app.get('/', (c) => c.json({ rules: ruleSet.list(), fileErrors: deps.ruleFileErrors() }));

  app.post('/', async (c) => {
    const rule = await ruleSet.create(await readJson(c.req.raw));
    await recordAudit(deps, principalOf(c), 'rule.create', `rule:${rule.id}`, null, rule);
    return c.json(rule, 201, { location: `/api/v1/rules/${encodeURIComponent(rule.id)}` });
  });

  app.post('/validate', async (c) => {
    const body = objectBody(await readJson(c.req.raw));
    if (typeof body.dsl !== 'string') throw new FluoError('VALIDATION', 'dsl must be a string', { details: [{ field: 'dsl', message: 'must be a string' }] });
    const result = validateRuleDsl(body.dsl);
    return c.json({ ok: result.ok, errors: result.errors.map((e) => ({ code: e.code, message: e.message, line: e.line, column: e.column })) });
  });

  app.post('/test', async (c) => {
    const body = objectBody(await readJson(c.req.raw));
    const rule = ruleToTest(body, deps);
    const since = timeField(body, 'since');
    const until = timeField(body, 'until');
    const limit = boundedInt(body, 'limit', 1, 1000, 50);
    const maxTraces = boundedInt(body, 'maxTraces', 1, RULE_TEST_MAX_SCAN, 10_000);
    const traces: Array<{ traceId: string; witnesses: string[]; rootName: string; startTime: number; traceIds?: string[]; correlationKey?: string; windowStart?: number }> = [];
    let scanned = 0;
    let matched = 0;
    let budgetExceeded = 0;
    let after: TraceCursor | undefined;
    // Correlated rules (traces.by) look across traces: collect the scanned spans, evaluate the windows once at the end.
    const correlated: Span[] | null = rule.condition.correlation !== undefined ? [] : null;
    const rootNames = new Map<string, string>();
    for (;;) {
      const page = await deps.store.scanTraces({ since, until, after, limit: Math.min(SCAN_PAGE, maxTraces - scanned) });
      for (const kept of page) {
        scanned++;
        if (correlated !== null) {
          for (const span of toSpans(kept.spans)) correlated.push(span);
          rootNames.set(kept.traceId, kept.rootName);
          continue;
        }
        const result = evaluateTrace(rule, toSpans(kept.spans), { budget: deps.config.ruleBudget });
        if (result.budgetExceeded) budgetExceeded++;
        if (!result.matched) continue;
        matched++;
        if (traces.length < limit) traces.push({ traceId: kept.traceId, witnesses: result.witnesses.map((w) => w.spanId), rootName: kept.rootName, startTime: kept.startTime });
      }
      if (page.length === 0 || scanned >= maxTraces || page.length < SCAN_PAGE) break;
      const last = page[page.length - 1];
      after = { startTime: last.startTime, traceId: last.traceId };
      // Let other requests and the detector's timer run between pages.
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (correlated !== null) {
      const windows = evaluateCorrelatedRule(rule, correlated);
      matched = windows.length;
      for (const w of windows.slice(0, limit)) {
        traces.push({ traceId: w.traceIds[0], witnesses: w.spanIds, rootName: rootNames.get(w.traceIds[0]) ?? '', startTime: w.windowStart, traceIds: w.traceIds, correlationKey: w.key, windowStart: w.windowStart });
      }
    }
    return c.json({ tracesScanned: scanned, matched, truncated: scanned >= maxTraces, budgetExceeded, traces });
  });

  app.get('/:id', (c) => {
    const rule = ruleSet.get(c.req.param('id'));
    if (!rule) throw new FluoError('NOT_FOUND', `no rule with id '${c.req.param('id')}'`);
    return c.json(rule);
  });

  app.put('/:id', async (c) => {
    const before = ruleSet.get(c.req.param('id')) ?? null;
    const after = await ruleSet.replace(c.req.param('id'), await readJson(c.req.raw));
    await recordAudit(deps, principalOf(c), 'rule.update', `rule:${after.id}`, before, after);
    return c.json(after);
  });
  app.patch('/:id', async (c) => {
    const before = ruleSet.get(c.req.param('id')) ?? null;
    const after = await ruleSet.patch(c.req.param('id'), await readJson(c.req.raw));
    await recordAudit(deps, principalOf(c), 'rule.update', `rule:${after.id}`, before, after);
    return c.json(after);
  });
  app.delete('/:id', async (c) => {
    const before = ruleSet.get(c.req.param('id')) ?? null;
    await ruleSet.remove(c.req.param('id'));
    await recordAudit(deps, principalOf(c), 'rule.delete', `rule:${c.req.param('id')}`, before, null);
    return c.body(null, 204);
  });

  return app;
}
