/**
 * /api/v1/traces: kept (completed) traces, newest first by start time, and
 * one trace with all its spans, whether kept or still being assembled.
 */
import { Hono } from 'hono';
import { FluoError } from '../errors.js';
import { keptTrace } from '../store/keptTrace.js';
import type { TraceCursor } from '../store/store.js';
import type { ApiDeps } from './apiDeps.js';
import { decodeCursor, encodeCursor, intParam, stringParam, timeParam, type Query } from './request.js';

const isTraceCursor = (v: unknown): v is TraceCursor =>
  typeof v === 'object' && v !== null && typeof (v as TraceCursor).startTime === 'number' && typeof (v as TraceCursor).traceId === 'string';

const TRACE_ID = /^[0-9a-f]{32}$/;
/** Most distinct values GET /traces/keys returns per list. */
const MAX_KEYS = 2000;

export function tracesApi(deps: ApiDeps): Hono {
  const app = new Hono();

  app.get('/', async (c) => {
    const query = c.req.query() as Query;
    const limit = intParam(query, 'limit', { min: 1, max: 1000, fallback: 50 });
    const traces = await deps.store.listTraces({
      service: stringParam(query, 'service'),
      name: stringParam(query, 'name'),
      spanName: stringParam(query, 'spanName'),
      since: timeParam(query, 'since'),
      until: timeParam(query, 'until'),
      after: decodeCursor(query, isTraceCursor),
      limit: limit + 1,
    });
    const more = traces.length > limit;
    const page = more ? traces.slice(0, limit) : traces;
    const last = page[page.length - 1];
    return c.json({ traces: page, nextCursor: more ? encodeCursor({ startTime: last.startTime, traceId: last.traceId }) : null });
  });

  // What recent kept traces contain: for autocompletion and search filters.
  app.get('/keys', async (c) => {
    const query = c.req.query() as Query;
    const traces = intParam(query, 'traces', { min: 1, max: 1000, fallback: 200 });
    const spanAttributes = new Set<string>();
    const resourceAttributes = new Set<string>();
    const spanNames = new Set<string>();
    const services = new Set<string>();
    const cap = (set: Set<string>, value: string) => { if (set.size < MAX_KEYS) set.add(value); };
    const scanned = await deps.store.scanTraces({ limit: traces });
    for (const kept of scanned) {
      for (const span of kept.spans) {
        for (const key of Object.keys(span.attributes)) cap(spanAttributes, key);
        for (const key of Object.keys(span.resource)) cap(resourceAttributes, key);
        cap(spanNames, span.name);
        if (span.service) cap(services, span.service);
      }
    }
    const sorted = (set: Set<string>) => [...set].sort();
    return c.json({ tracesScanned: scanned.length, spanAttributes: sorted(spanAttributes), resourceAttributes: sorted(resourceAttributes), spanNames: sorted(spanNames), services: sorted(services) });
  });

  app.get('/:traceId', async (c) => {
    const traceId = c.req.param('traceId').toLowerCase();
    if (!TRACE_ID.test(traceId)) {
      throw new FluoError('VALIDATION', `'${c.req.param('traceId')}' is not a trace id: 32 hexadecimal digits`, { details: [{ field: 'traceId', message: 'must be 32 hexadecimal digits' }] });
    }
    // A trace being assembled holds every span seen so far (a reopened trace includes its earlier spans).
    const open = await deps.pipeline.openTrace(traceId);
    if (open) {
      const { completedAt: _, ...summary } = keptTrace(traceId, open, 0);
      return c.json({ ...summary, state: 'open', completedAt: null });
    }
    const kept = await deps.store.getTrace(traceId);
    if (!kept) throw new FluoError('NOT_FOUND', `no trace '${traceId}': it was never received, or is past the trace retention`);
    return c.json({ ...kept, state: 'complete' });
  });

  return app;
}
