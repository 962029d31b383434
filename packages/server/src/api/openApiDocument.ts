/**
 * The REST API's OpenAPI 3.1 description, served at /api/v1/openapi.json.
 * A test checks that every route of the app is described here and that
 * every path described here exists.
 */
import { NOT_READY_CODES } from '../pipeline/pipeline.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), { $ref: `#/components/responses/Error${s}` }]));
const timeParam = (name: string, description: string) => ({
  name, in: 'query', required: false, description: `${description}: milliseconds since the epoch or an ISO 8601 date-time`, schema: { type: 'string' },
});
const limitParam = { name: 'limit', in: 'query', required: false, description: 'page size (default 50)', schema: { type: 'integer', minimum: 1, maximum: 1000 } };
const cursorParam = { name: 'cursor', in: 'query', required: false, description: 'the nextCursor of the previous page, unchanged', schema: { type: 'string' } };
const ruleIdParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };

const errorResponse = (description: string) => ({ description, content: json(ref('Error')) });

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'FLUO REST API',
    version: '1',
    description: 'Rules, signals, traces and notifications of a FLUO server. Times are milliseconds since the epoch; spans also carry exact nanosecond strings. '
      + 'Errors have one shape: {"error": {"code", "message", "details"?}}. '
      + 'With authentication on (see SECURITY.md), send "Authorization: Bearer <token>"; 401 UNAUTHENTICATED without a valid token, 403 FORBIDDEN when its role may not. '
      + 'Public: /healthz, /readyz, this document and the web UI; /metrics needs viewer. OTLP receivers (ports 4318 and 4317) follow the OTLP specification and are not described here.',
    license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
  },
  servers: [{ url: '/' }],
  security: [{ bearerAuth: [] }],
  paths: {
    '/healthz': { get: { summary: 'The process is alive (503 once the detection thread has ended: restart it)', tags: ['health'], responses: {
      200: { description: 'alive', content: json({ type: 'object', properties: { status: { const: 'ok' } } }) },
      503: { description: 'the detection thread has ended; nothing is evaluated until a restart, which replays the span log', content: json({ type: 'object', properties: { status: { const: 'failed' }, reason: { type: 'string' } } }) },
    } } },
    '/readyz': {
      get: {
        summary: 'Ready to accept spans (503 while starting or stopping, while the store or the span log cannot be written, while the span log is full, or after the detection thread ended)', tags: ['health'],
        responses: {
          200: { description: 'ready', content: json({ type: 'object', properties: { status: { const: 'ready' } } }) },
          503: {
            description: 'not taking spans; `reasons` says why',
            content: json({
              type: 'object',
              properties: {
                status: { enum: ['starting', 'stopping', 'stopped', 'unavailable'] },
                reasons: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['code', 'message'],
                    properties: {
                      code: { enum: [...NOT_READY_CODES] },
                      message: { type: 'string' },
                      since: { type: 'integer', description: 'ms since the epoch' },
                    },
                  },
                },
              },
            }),
          },
        },
      },
    },
    '/metrics': { get: { summary: 'Prometheus metrics (text exposition format 0.0.4)', tags: ['health'], responses: { 200: { description: 'metrics', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
    '/api/v1/openapi.json': { get: { summary: 'This document', tags: ['meta'], responses: { 200: { description: 'OpenAPI 3.1', content: json({ type: 'object' }) } } } },
    '/api/v1/rules': {
      get: {
        summary: 'List rules (API and file rules)', tags: ['rules'],
        responses: {
          200: {
            description: 'rules, by id',
            content: json({
              type: 'object', required: ['rules', 'fileErrors'],
              properties: {
                rules: { type: 'array', items: ref('Rule') },
                fileErrors: { type: 'array', items: { type: 'string' }, description: 'problems of the last rule file reload ("file:line:column: message"); the rules loaded before stay in force' },
              },
            }),
          },
        },
      },
      post: {
        summary: 'Create a rule', tags: ['rules'],
        description: 'Without an id, one is made from the name. The DSL must compile (400 RULE_COMPILE with code, message, line and column in details). An enabled rule applies at once.',
        requestBody: { required: true, content: json(ref('RuleInput')) },
        responses: { 201: { description: 'created', content: json(ref('Rule')) }, ...errors(400, 409, 413, 415) },
      },
    },
    '/api/v1/rules/validate': {
      post: {
        summary: 'Check a rule expression without saving it', tags: ['rules'],
        requestBody: { required: true, content: json({ type: 'object', required: ['dsl'], properties: { dsl: { type: 'string' } } }) },
        responses: { 200: { description: 'result', content: json(ref('Validation')) }, ...errors(400) },
      },
    },
    '/api/v1/rules/test': {
      post: {
        summary: 'Run a rule over kept traces without creating signals', tags: ['rules'],
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            description: 'Give dsl or ruleId.',
            properties: {
              dsl: { type: 'string' }, ruleId: { type: 'string' },
              since: { type: ['number', 'string'], description: 'trace start time >= since' },
              until: { type: ['number', 'string'], description: 'trace start time < until' },
              limit: { type: 'integer', minimum: 1, maximum: 1000, description: 'matched traces listed (default 50)' },
              maxTraces: { type: 'integer', minimum: 1, maximum: 100000, description: 'traces scanned at most, newest first (default 10000)' },
            },
          }),
        },
        responses: {
          200: {
            description: 'result',
            content: json({
              type: 'object', required: ['tracesScanned', 'matched', 'truncated', 'budgetExceeded', 'traces'],
              properties: {
                tracesScanned: { type: 'integer' },
                budgetExceeded: { type: 'integer', description: 'traces on which the rule exceeded its evaluation budget (--rule-budget); counted as not matching' }, matched: { type: 'integer', description: 'traces that matched (all of them, not only those listed)' },
                truncated: { type: 'boolean', description: 'the scan stopped at maxTraces' },
                traces: { type: 'array', items: { type: 'object', properties: { traceId: { type: 'string' }, witnesses: { type: 'array', items: { type: 'string' } }, rootName: { type: 'string' }, startTime: { type: 'number' }, traceIds: { type: 'array', items: { type: 'string' }, description: 'correlated rules: one entry per window' }, correlationKey: { type: 'string' }, windowStart: { type: 'number' } } } },
              },
            }),
          },
          ...errors(400, 404),
        },
      },
    },
    '/api/v1/rules/{id}': {
      parameters: [ruleIdParam],
      get: { summary: 'One rule', tags: ['rules'], responses: { 200: { description: 'the rule', content: json(ref('Rule')) }, ...errors(404) } },
      put: {
        summary: 'Replace a rule (bumps version)', tags: ['rules'],
        description: 'A version in the body must be the current version (optimistic concurrency), else 409. Rules from files are read-only (409 READ_ONLY).',
        requestBody: { required: true, content: json(ref('RuleInput')) },
        responses: { 200: { description: 'saved', content: json(ref('Rule')) }, ...errors(400, 404, 409) },
      },
      patch: {
        summary: 'Change some fields of a rule (bumps version)', tags: ['rules'],
        requestBody: { required: true, content: json({ ...ref('RuleInput'), description: 'only the fields to change' }) },
        responses: { 200: { description: 'saved', content: json(ref('Rule')) }, ...errors(400, 404, 409) },
      },
      delete: { summary: 'Delete a rule', tags: ['rules'], responses: { 204: { description: 'deleted' }, ...errors(404, 409) } },
    },
    '/api/v1/rules/{id}/versions': {
      parameters: [ruleIdParam],
      get: {
        summary: 'Every saved version of a rule, newest first', tags: ['learning'],
        description: 'Each create and edit keeps the version it saved; signals name the version that raised them (ruleVersion). A file rule lists only its current version.',
        responses: { 200: { description: 'versions', content: json({ type: 'object', properties: { ruleId: { type: 'string' }, versions: { type: 'array', items: ref('RuleVersion') } } }) }, ...errors(404) },
      },
    },
    '/api/v1/rules/{id}/versions/{version}': {
      parameters: [ruleIdParam, { name: 'version', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } }],
      get: { summary: 'One saved version of a rule', tags: ['learning'], responses: { 200: { description: 'the version', content: json(ref('RuleVersion')) }, ...errors(400, 404) } },
    },
    '/api/v1/rules/{id}/precision': {
      parameters: [ruleIdParam],
      get: {
        summary: "A rule's precision from triage, per version and over time", tags: ['learning'],
        description: 'resolved signals are true positives, false_positive ones false; open and acknowledged ones do not count. precision = true / (true + false) with a 95 % Wilson interval; trend buckets by detectedAt. falsePositiveReasons are the notes given when signals were marked false_positive.',
        parameters: [
          timeParam('since', 'detectedAt >= since'), timeParam('until', 'detectedAt < until'),
          { name: 'bucket', in: 'query', required: false, description: 'trend bucket, a duration such as 1h or 7d (default 1d)', schema: { type: 'string' } },
          { name: 'maxSignals', in: 'query', required: false, description: 'newest triaged signals read per status (default 10000)', schema: { type: 'integer', minimum: 1, maximum: 100000 } },
        ],
        responses: { 200: { description: 'precision', content: json(ref('RulePrecision')) }, ...errors(400, 404) },
      },
    },
    '/api/v1/rules/{id}/shadow': {
      parameters: [ruleIdParam],
      get: {
        summary: 'What a rule raised in shadow mode (what it would have notified)', tags: ['learning'],
        parameters: [timeParam('since', 'detectedAt >= since'), timeParam('until', 'detectedAt < until'), limitParam,
          { name: 'maxSignals', in: 'query', required: false, description: 'signals of the rule read at most (default 10000)', schema: { type: 'integer', minimum: 1, maximum: 100000 } }],
        responses: {
          200: {
            description: 'shadow signals',
            content: json({ type: 'object', properties: {
              ruleId: { type: 'string' }, mode: { type: 'string', enum: ['alert', 'shadow'] }, ruleVersion: { type: 'integer' },
              wouldHaveNotified: { type: 'integer', description: 'signals raised in shadow mode' },
              byVersion: { type: 'array', items: { type: 'object', properties: { version: { type: 'integer' }, signals: { type: 'integer' } } } },
              signals: { type: 'array', items: ref('Signal'), description: 'newest first, at most limit' }, truncated: { type: 'boolean' },
            } }),
          },
          ...errors(400, 404),
        },
      },
    },
    '/api/v1/rules/{id}/promote': {
      parameters: [ruleIdParam],
      post: {
        summary: 'Promote a shadow rule to alert mode (a new version)', tags: ['learning'],
        requestBody: { required: true, content: json({ type: 'object', additionalProperties: false, properties: { version: { type: 'integer', description: 'the version being promoted (409 when not current)' } } }) },
        responses: { 200: { description: 'promoted', content: json(ref('Rule')) }, ...errors(400, 404, 409) },
      },
    },
    '/api/v1/rules/{id}/refinements': {
      parameters: [ruleIdParam],
      get: {
        summary: 'Refinements learnt from triaged signals', tags: ['learning'],
        description: 'Compares the witness spans (attributes and resource) of false positives with true ones and proposes attribute conditions added to a has(...) predicate. Precision and recall are measured by evaluating the refined rule on the evidence of every triaged signal; heldOut is k-fold cross-validated. Triaged signals the current version would not raise (e.g. raised by an older version) are left out (notFiringNow).',
        parameters: [timeParam('since', 'detectedAt >= since'), timeParam('until', 'detectedAt < until'),
          { name: 'maxSignals', in: 'query', required: false, description: 'newest triaged signals read per status (default 500)', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
          { name: 'folds', in: 'query', required: false, description: 'cross-validation folds (default 5)', schema: { type: 'integer', minimum: 2, maximum: 20 } },
          { name: 'maxRecallLoss', in: 'query', required: false, description: 'share of true positives a refinement may lose (default 0)', schema: { type: 'number', minimum: 0, maximum: 0.5 } }],
        responses: { 200: { description: 'proposals', content: json(ref('Refinements')) }, ...errors(400, 404) },
      },
    },
    '/api/v1/rules/{id}/refinements/apply': {
      parameters: [ruleIdParam],
      post: {
        summary: 'Apply a refinement: the proposal\'s dsl becomes a new version', tags: ['learning'],
        requestBody: { required: true, content: json({ type: 'object', required: ['dsl', 'version'], additionalProperties: false, properties: { dsl: { type: 'string' }, version: { type: 'integer', description: 'the rule version the proposal was computed for (409 when not current)' }, mode: { type: 'string', enum: ['alert', 'shadow'] } } }) },
        responses: { 200: { description: 'saved', content: json(ref('Rule')) }, ...errors(400, 404, 409) },
      },
    },
    '/api/v1/invariants': {
      get: {
        summary: 'Candidate invariants mined from kept traces', tags: ['learning'],
        description: 'Scans at most maxTraces kept traces (newest first) and returns candidates meeting minSupport and minConfidence, each with the dsl of a rule that fires on a violation.',
        parameters: [timeParam('since', 'startTime >= since'), timeParam('until', 'startTime < until'),
          { name: 'maxTraces', in: 'query', required: false, description: 'default 5000', schema: { type: 'integer', minimum: 1, maximum: 50000 } },
          { name: 'minSupport', in: 'query', required: false, description: 'default 20', schema: { type: 'integer', minimum: 1 } },
          { name: 'minConfidence', in: 'query', required: false, description: 'default 0.99', schema: { type: 'number', minimum: 0.5, maximum: 1 } },
          { name: 'quantile', in: 'query', required: false, description: 'duration bound quantile (default 0.999)', schema: { type: 'number', minimum: 0.5, maximum: 0.9999 } },
          { name: 'kinds', in: 'query', required: false, description: 'comma-separated: co-occurrence, ordering, duration, attribute-values', schema: { type: 'string' } },
          { ...limitParam, description: 'most candidates (default 100)' }],
        responses: {
          200: { description: 'candidates', content: json({ type: 'object', properties: { tracesScanned: { type: 'integer' }, truncated: { type: 'boolean' }, stats: { type: 'object' }, options: { type: 'object' }, candidates: { type: 'array', items: ref('InvariantCandidate') } } }) },
          ...errors(400),
        },
      },
    },
    '/api/v1/invariants/adopt': {
      post: {
        summary: 'Create a shadow rule from a candidate invariant', tags: ['learning'],
        requestBody: { required: true, content: json({ type: 'object', required: ['dsl'], additionalProperties: false, properties: { dsl: { type: 'string' }, description: { type: 'string' }, id: { type: 'string' }, name: { type: 'string' }, severity: ref('Severity'), tags: { type: 'array', items: { type: 'string' } } } }) },
        responses: { 201: { description: 'created (mode shadow)', content: json(ref('Rule')) }, ...errors(400, 409) },
      },
    },
    '/api/v1/insights/precision': {
      get: {
        summary: 'Precision of every rule from triage', tags: ['learning'],
        parameters: [timeParam('since', 'detectedAt >= since'), timeParam('until', 'detectedAt < until'),
          { name: 'maxSignals', in: 'query', required: false, description: 'per rule and status (default 2000)', schema: { type: 'integer', minimum: 1, maximum: 100000 } }],
        responses: { 200: { description: 'per rule', content: json({ type: 'object', properties: { rules: { type: 'array', items: { allOf: [ref('PrecisionCounts'), { type: 'object', properties: { ruleId: { type: 'string' }, name: { type: 'string' }, mode: { type: 'string' }, version: { type: 'integer' }, truncated: { type: 'boolean' } } }] } } } }) }, ...errors(400) },
      },
    },
    '/api/v1/insights/rates': {
      get: {
        summary: 'Each enabled rule\'s signal rate against its seasonal baseline', tags: ['learning'],
        description: 'Computed for the window [at - windowMs, at). The server runs the same check every rateCheckInterval and stores a signal of rule fluo.rate-anomaly per jump or collapse (lastCheck is its latest result).',
        parameters: [timeParam('at', 'end of the window (default now)')],
        responses: { 200: { description: 'assessments', content: json({ type: 'object', properties: { at: { type: 'number' }, ruleId: { const: 'fluo.rate-anomaly' }, windowMs: { type: 'number' }, historyMs: { type: 'number' }, intervalMs: { type: 'number' }, assessments: { type: 'array', items: ref('RateAssessment') }, lastCheck: { type: ['object', 'null'] } } }) }, ...errors(400) },
      },
    },
    '/api/v1/signals': {
      get: {
        summary: 'List signals, newest first', tags: ['signals'],
        parameters: [
          { name: 'ruleId', in: 'query', required: false, schema: { type: 'string' } },
          { name: 'severity', in: 'query', required: false, schema: ref('Severity') },
          { name: 'status', in: 'query', required: false, schema: ref('SignalStatus') },
          { name: 'service', in: 'query', required: false, description: 'signals whose witness spans include this service', schema: { type: 'string' } },
          timeParam('since', 'detectedAt >= since'), timeParam('until', 'detectedAt < until'), limitParam, cursorParam,
        ],
        responses: { 200: { description: 'a page', content: json({ type: 'object', required: ['signals', 'nextCursor'], properties: { signals: { type: 'array', items: ref('Signal') }, nextCursor: { type: ['string', 'null'] } } }) }, ...errors(400) },
      },
    },
    '/api/v1/signals/stream': {
      get: {
        summary: 'New signals as Server-Sent Events', tags: ['signals'],
        description: 'One `signal` event per stored signal; `id` is the signal\'s seq. Reconnect with Last-Event-ID (or ?lastEventId=) to get what was missed. Comment lines are heartbeats (every 15 s by default).',
        parameters: [
          { name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string' } },
          { name: 'lastEventId', in: 'query', required: false, schema: { type: 'string' } },
          { name: 'access_token', in: 'query', required: false, description: 'API token, for clients that cannot set headers (EventSource); accepted on this endpoint only', schema: { type: 'string' } },
        ],
        responses: { 200: { description: 'event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...errors(400, 503) },
      },
    },
    '/api/v1/signals/counts': {
      get: {
        summary: 'Signals per time bucket, rule and severity (charts, sparklines); only non-empty buckets, oldest first', tags: ['signals'],
        parameters: [
          timeParam('since', 'detectedAt >= since and start of the first bucket (default: until minus 24 h)'), timeParam('until', 'detectedAt < until (default: now)'),
          { name: 'bucket', in: 'query', required: false, description: 'bucket width, a duration such as 5m or 1h (default 1h, at least 1s, at most 1000 buckets)', schema: { type: 'string' } },
          { name: 'status', in: 'query', required: false, schema: ref('SignalStatus') },
          { name: 'ruleId', in: 'query', required: false, schema: { type: 'string' } },
        ],
        responses: {
          200: {
            description: 'counts',
            content: json({
              type: 'object', required: ['since', 'until', 'bucketMs', 'counts'],
              properties: {
                since: { type: 'number' }, until: { type: 'number' }, bucketMs: { type: 'number' },
                counts: { type: 'array', items: { type: 'object', required: ['bucketStart', 'ruleId', 'severity', 'count'], properties: { bucketStart: { type: 'number' }, ruleId: { type: 'string' }, severity: ref('Severity'), count: { type: 'integer' } } } },
              },
            }),
          },
          ...errors(400),
        },
      },
    },
    '/api/v1/signals/status': {
      post: {
        summary: 'Change the status of many signals (bulk triage); each is changed on its own and reported', tags: ['signals'],
        requestBody: {
          required: true,
          content: json({ type: 'object', required: ['ids', 'status'], additionalProperties: false, properties: { ids: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'string' } }, status: ref('SignalStatus'), note: { type: ['string', 'null'], maxLength: 10000 }, by: { type: 'string', maxLength: 200 } } }),
        },
        responses: {
          200: {
            description: 'one result per distinct id, in request order',
            content: json({
              type: 'object', required: ['changed', 'failed', 'results'],
              properties: {
                changed: { type: 'integer' }, failed: { type: 'integer' },
                results: { type: 'array', items: { type: 'object', required: ['id', 'ok'], properties: { id: { type: 'string' }, ok: { type: 'boolean' }, status: ref('SignalStatus'), error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } } } } },
              },
            }),
          },
          ...errors(400),
        },
      },
    },
    '/api/v1/signals/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: { summary: 'One signal with its evidence and status history', tags: ['signals'], responses: { 200: { description: 'the signal', content: json(ref('SignalDetail')) }, ...errors(404) } },
      patch: {
        summary: 'Change a signal\'s status', tags: ['signals'],
        requestBody: {
          required: true,
          content: json({ type: 'object', required: ['status'], additionalProperties: false, properties: { status: ref('SignalStatus'), note: { type: ['string', 'null'], maxLength: 10000 }, by: { type: 'string', maxLength: 200, description: 'who made the change (default "anonymous")' } } }),
        },
        responses: { 200: { description: 'changed', content: json(ref('SignalDetail')) }, ...errors(400, 404) },
      },
    },
    '/api/v1/traces': {
      get: {
        summary: 'Kept traces, newest first by start time', tags: ['traces'],
        parameters: [
          { name: 'service', in: 'query', required: false, schema: { type: 'string' } },
          { name: 'name', in: 'query', required: false, description: 'root span name', schema: { type: 'string' } },
          { name: 'spanName', in: 'query', required: false, description: 'traces with at least one span of this exact name', schema: { type: 'string' } },
          timeParam('since', 'startTime >= since'), timeParam('until', 'startTime < until'), limitParam, cursorParam,
        ],
        responses: { 200: { description: 'a page', content: json({ type: 'object', required: ['traces', 'nextCursor'], properties: { traces: { type: 'array', items: ref('TraceSummary') }, nextCursor: { type: ['string', 'null'] } } }) }, ...errors(400) },
      },
    },
    '/api/v1/traces/keys': {
      get: {
        summary: 'Span attribute keys, resource attribute keys, span names and services seen in recent kept traces (autocompletion, filters)', tags: ['traces'],
        parameters: [{ name: 'traces', in: 'query', required: false, description: 'how many of the newest kept traces to read (default 200)', schema: { type: 'integer', minimum: 1, maximum: 1000 } }],
        responses: {
          200: {
            description: 'sorted lists of at most 2000 values each',
            content: json({ type: 'object', properties: { tracesScanned: { type: 'integer' }, spanAttributes: { type: 'array', items: { type: 'string' } }, resourceAttributes: { type: 'array', items: { type: 'string' } }, spanNames: { type: 'array', items: { type: 'string' } }, services: { type: 'array', items: { type: 'string' } } } }),
          },
          ...errors(400),
        },
      },
    },
    '/api/v1/overview': {
      get: {
        summary: 'Live numbers for the overview screen: ingest rate, buffers, detection latency, rules, stored counts', tags: ['meta'],
        responses: {
          200: {
            description: 'overview',
            content: json({
              type: 'object',
              properties: {
                now: { type: 'number' }, uptimeMs: { type: 'number' },
                spansPerSecond: { type: 'number', description: 'over up to the last minute between overview requests; the average since start on the first request' },
                spansIngested: { type: 'integer' }, spansRejected: { type: 'integer' }, bufferedSpans: { type: 'integer' }, bufferedTraces: { type: 'integer' },
                tracesCompleted: { type: 'integer' }, writeQueueSpans: { type: 'integer' },
                detectionLatency: {
                  type: 'object', description: 'per phase (ingest, completion): count, meanMs, and p50Ms/p95Ms as histogram bucket upper bounds (null without observations or past the last bucket)',
                  properties: Object.fromEntries(['ingest', 'completion'].map((k) => [k, { type: 'object', properties: { count: { type: 'integer' }, meanMs: { type: ['number', 'null'] }, p50Ms: { type: ['number', 'null'] }, p95Ms: { type: ['number', 'null'] } } }])),
                },
                rules: { type: 'object', properties: { total: { type: 'integer' }, enabled: { type: 'integer' }, failing: { type: 'integer' } } },
                stored: { type: 'object', properties: { rules: { type: 'integer' }, signals: { type: 'integer' }, traces: { type: 'integer' }, spans: { type: 'integer' } } },
              },
            }),
          },
        },
      },
    },
    '/api/v1/ui-config': {
      get: {
        summary: 'Settings the web UI reads from the server', tags: ['meta'],
        responses: {
          200: {
            description: 'UI settings',
            content: json({ type: 'object', properties: { traceLinkTemplate: { type: ['string', 'null'], description: 'URL with {traceId}, from --trace-link-template' }, otlpHttpPort: { type: 'integer' }, otlpGrpcPort: { type: 'integer' }, host: { type: 'string' } } }),
          },
        },
      },
    },
    '/api/v1/tokens': {
      get: {
        summary: 'List API tokens (admin)', tags: ['access'],
        responses: { 200: { description: 'every token, revoked ones included, oldest first; never the token or its hash', content: json({ type: 'object', required: ['tokens'], properties: { tokens: { type: 'array', items: ref('Token') } } }) }, ...errors(401, 403) },
      },
      post: {
        summary: 'Create an API token (admin)', tags: ['access'],
        description: 'The response holds the token text once; FLUO stores only its SHA-256 hash.',
        requestBody: { required: true, content: json({ type: 'object', required: ['name', 'role'], additionalProperties: false, properties: { name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9 ._@:-]{0,99}$' }, role: ref('TokenRole') } }) },
        responses: { 201: { description: 'created', content: json({ allOf: [ref('Token'), { type: 'object', required: ['token'], properties: { token: { type: 'string', pattern: '^fluo_[A-Za-z0-9_-]{43}$' } } }] }) }, ...errors(400, 401, 403) },
      },
    },
    '/api/v1/tokens/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      delete: { summary: 'Revoke an API token (admin); idempotent', tags: ['access'], responses: { 200: { description: 'the revoked token', content: json(ref('Token')) }, ...errors(401, 403, 404) } },
    },
    '/api/v1/audit': {
      get: {
        summary: 'The audit log (admin): rule changes, triage and token administration, newest first', tags: ['access'],
        parameters: [
          { name: 'target', in: 'query', required: false, description: "exact target, e.g. 'rule:checkout-errors', 'signal:<id>', 'token:<id>'", schema: { type: 'string' } },
          { name: 'action', in: 'query', required: false, description: "exact action, or a prefix ending in '.' (e.g. 'rule.')", schema: { type: 'string' } },
          limitParam, cursorParam,
        ],
        responses: { 200: { description: 'a page', content: json({ type: 'object', required: ['entries', 'nextCursor'], properties: { entries: { type: 'array', items: ref('AuditEntry') }, nextCursor: { type: ['string', 'null'] } } }) }, ...errors(400, 401, 403) },
      },
    },
    '/api/v1/traces/{traceId}': {
      parameters: [{ name: 'traceId', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9a-fA-F]{32}$' } }],
      get: {
        summary: 'One trace with all its spans, kept or still being assembled', tags: ['traces'],
        responses: { 200: { description: 'the trace', content: json({ allOf: [ref('TraceSummary'), { type: 'object', properties: { state: { enum: ['open', 'complete'] }, spans: { type: 'array', items: ref('Span') } } }] }) }, ...errors(400, 404) },
      },
    },
    '/api/v1/notifications': {
      get: {
        summary: 'The notification outbox, newest first', tags: ['notifications'],
        description: 'Every notification FLUO wrote (triggers, resolves, throttling summaries, suppressed triggers) with its delivery status, attempts, last error and next attempt. See docs/notifications.md for the guarantees.',
        parameters: [
          { name: 'status', in: 'query', required: false, schema: ref('NotificationStatus') },
          { name: 'kind', in: 'query', required: false, schema: ref('NotificationKind') },
          { name: 'channelId', in: 'query', required: false, schema: { type: 'string' } },
          { name: 'signalId', in: 'query', required: false, schema: { type: 'string' } },
          { name: 'ruleId', in: 'query', required: false, schema: { type: 'string' } },
          limitParam, cursorParam,
        ],
        responses: { 200: { description: 'a page', content: json({ type: 'object', required: ['notifications', 'nextCursor'], properties: { notifications: { type: 'array', items: ref('Notification') }, nextCursor: { type: ['string', 'null'] } } }) }, ...errors(400) },
      },
    },
    '/api/v1/notifications/{n}': {
      parameters: [{ name: 'n', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } }],
      get: { summary: 'One outbox row', tags: ['notifications'], responses: { 200: { description: 'the notification', content: json(ref('Notification')) }, ...errors(404) } },
    },
    '/api/v1/notifications/channel-types': {
      get: {
        summary: 'The channel types, with their secret (write-only) settings', tags: ['notifications'],
        responses: { 200: { description: 'types', content: json({ type: 'object', properties: { types: { type: 'array', items: { type: 'object', properties: { type: { type: 'string' }, description: { type: 'string' }, secretFields: { type: 'array', items: { type: 'string' } }, sendResolvedByDefault: { type: 'boolean' } } } } } }) } },
      },
    },
    '/api/v1/notifications/channels': {
      get: {
        summary: 'Channels: from the config file (source "config", read-only) and from the API (source "api")', tags: ['notifications'],
        responses: { 200: { description: 'channels, by id', content: json({ type: 'object', properties: { channels: { type: 'array', items: ref('Channel') } } }) } },
      },
      post: {
        summary: 'Create a channel', tags: ['notifications'],
        description: 'Settings are validated for the type (400 VALIDATION with every bad field in details). Secret settings are stored but never returned; secretsSet names those that have a value.',
        requestBody: { required: true, content: json(ref('ChannelInput')) },
        responses: { 201: { description: 'created', content: json(ref('Channel')) }, ...errors(400, 409, 413, 415) },
      },
    },
    '/api/v1/notifications/channels/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: { summary: 'One channel (secrets left out)', tags: ['notifications'], responses: { 200: { description: 'the channel', content: json(ref('Channel')) }, ...errors(404) } },
      put: {
        summary: 'Replace a channel', tags: ['notifications'],
        description: '`version` must be the version you edited (409 CONFLICT otherwise). Secret settings left out keep their stored value. Channels from the config file answer 409 READ_ONLY.',
        requestBody: { required: true, content: json({ allOf: [ref('ChannelInput'), { type: 'object', required: ['version'], properties: { version: { type: 'integer' } } }] }) },
        responses: { 200: { description: 'replaced', content: json(ref('Channel')) }, ...errors(400, 404, 409, 413, 415) },
      },
      delete: {
        summary: 'Delete a channel', tags: ['notifications'],
        description: 'Its undelivered notifications fail ("channel no longer exists") when they come due.',
        responses: { 204: { description: 'deleted' }, ...errors(404, 409) },
      },
    },
    '/api/v1/notifications/channels/{id}/test': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      post: {
        summary: 'Send a test notification now', tags: ['notifications'],
        description: 'Delivered at once, not through the outbox; the answer says how it went (the receiver\'s error for a failure).',
        requestBody: { required: false, content: json({ type: 'object', additionalProperties: false, properties: { text: { type: 'string', maxLength: 2000 } } }) },
        responses: { 200: { description: 'the attempt\'s outcome', content: json(ref('DeliveryResult')) }, ...errors(400, 404) },
      },
    },
  },
  components: {
    securitySchemes: {
      bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API token (fluo_...), when authentication is on; see SECURITY.md' },
    },
    responses: {
      Error400: errorResponse('invalid request (VALIDATION, INVALID_JSON, RULE_COMPILE)'),
      Error401: errorResponse('no valid API token (UNAUTHENTICATED); send Authorization: Bearer <token>'),
      Error403: errorResponse("the token's role may not do this (FORBIDDEN)"),
      Error404: errorResponse('not found'),
      Error409: errorResponse('conflict (CONFLICT, READ_ONLY)'),
      Error413: errorResponse('body too large'),
      Error415: errorResponse('unsupported content type'),
      Error503: errorResponse('unavailable, retry after Retry-After seconds'),
    },
    schemas: {
      Error: {
        type: 'object', required: ['error'],
        properties: {
          error: {
            type: 'object', required: ['code', 'message'],
            properties: {
              code: { type: 'string', enum: ['VALIDATION', 'INVALID_JSON', 'BAD_CONTENT_ENCODING', 'RULE_COMPILE', 'OTLP_DECODE', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'METHOD_NOT_ALLOWED', 'CONFLICT', 'READ_ONLY', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'BUFFER_FULL', 'STORE_BEHIND', 'UNAVAILABLE', 'INTERNAL'] },
              message: { type: 'string' },
              details: { description: 'for VALIDATION: [{field, message}]; for RULE_COMPILE: {code, message, line, column}' },
            },
          },
        },
      },
      Severity: { type: 'string', enum: ['info', 'warning', 'critical'] },
      TokenRole: { type: 'string', enum: ['viewer', 'editor', 'admin', 'ingest'], description: 'viewer reads; editor also changes rules and triages; admin also manages tokens and reads the audit log; ingest only sends OTLP' },
      Token: {
        type: 'object', required: ['id', 'name', 'role', 'prefix', 'createdAt', 'createdBy', 'revokedAt'],
        properties: {
          id: { type: 'string' }, name: { type: 'string' }, role: ref('TokenRole'), prefix: { type: 'string', description: 'first characters of the token, to recognise it' },
          createdAt: { type: 'number' }, createdBy: { type: 'string' }, revokedAt: { type: ['number', 'null'] },
        },
      },
      AuditEntry: {
        type: 'object', required: ['seq', 'at', 'actor', 'action', 'target', 'before', 'after'],
        properties: {
          seq: { type: 'integer' }, at: { type: 'number' }, actor: { type: 'string', description: "the token's name ('anonymous' with auth off, 'cli' for offline changes)" },
          action: { type: 'string', enum: ['rule.create', 'rule.update', 'rule.delete', 'signal.status', 'token.create', 'token.revoke'] },
          target: { type: 'string' }, before: { description: 'state before (null for a create)' }, after: { description: 'state after (null for a delete)' },
        },
      },
      SignalStatus: { type: 'string', enum: ['open', 'acknowledged', 'resolved', 'false_positive'] },
      RuleInput: {
        type: 'object', required: ['name', 'severity', 'dsl'],
        properties: {
          id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' },
          name: { type: 'string' }, description: { type: 'string' }, severity: ref('Severity'), dsl: { type: 'string' },
          enabled: { type: 'boolean', default: true }, mode: { type: 'string', enum: ['alert', 'shadow'], default: 'alert' },
          tags: { type: 'array', items: { type: 'string' } },
          version: { type: 'integer', description: 'on PUT/PATCH: the version being edited (409 when it is not the current one)' },
        },
      },
      Rule: {
        type: 'object',
        required: ['id', 'name', 'description', 'severity', 'dsl', 'enabled', 'mode', 'tags', 'version', 'createdAt', 'updatedAt', 'source'],
        properties: {
          id: { type: 'string' }, name: { type: 'string' }, description: { type: 'string' }, severity: ref('Severity'), dsl: { type: 'string' },
          enabled: { type: 'boolean' }, mode: { type: 'string', enum: ['alert', 'shadow'] }, tags: { type: 'array', items: { type: 'string' } },
          version: { type: 'integer' }, createdAt: { type: 'number' }, updatedAt: { type: 'number' },
          source: { type: 'string', enum: ['api', 'file'] }, file: { type: 'string', description: 'rule file, for file rules' },
          compileError: ref('RuleProblem'),
        },
      },
      RuleProblem: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, line: { type: 'integer' }, column: { type: 'integer' } } },
      Validation: { type: 'object', required: ['ok', 'errors'], properties: { ok: { type: 'boolean' }, errors: { type: 'array', items: ref('RuleProblem') } } },
      RuleVersion: {
        type: 'object',
        properties: {
          ruleId: { type: 'string' }, version: { type: 'integer' }, name: { type: 'string' }, description: { type: 'string' }, severity: ref('Severity'),
          dsl: { type: 'string' }, enabled: { type: 'boolean' }, mode: { type: 'string', enum: ['alert', 'shadow'] }, tags: { type: 'array', items: { type: 'string' } },
          savedAt: { type: 'number' },
        },
      },
      PrecisionCounts: {
        type: 'object',
        properties: {
          truePositives: { type: 'integer' }, falsePositives: { type: 'integer' }, precision: { type: ['number', 'null'] },
          interval: { type: ['array', 'null'], items: { type: 'number' }, description: '95 % Wilson score interval' },
        },
      },
      RulePrecision: {
        allOf: [ref('PrecisionCounts'), {
          type: 'object',
          properties: {
            ruleId: { type: 'string' }, ruleVersion: { type: 'integer' }, bucketMs: { type: 'number' }, truncated: { type: 'boolean' },
            byVersion: { type: 'array', items: { allOf: [ref('PrecisionCounts'), { type: 'object', properties: { version: { type: 'integer' } } }] } },
            trend: { type: 'array', items: { allOf: [ref('PrecisionCounts'), { type: 'object', properties: { start: { type: 'number' } } }] } },
            falsePositiveReasons: { type: 'array', items: { type: 'object', properties: { reason: { type: 'string' }, count: { type: 'integer' } } } },
          },
        }],
      },
      RefinementMetrics: {
        type: 'object',
        properties: {
          truePositives: { type: 'integer' }, falsePositives: { type: 'integer' }, lostTruePositives: { type: 'integer' }, excludedFalsePositives: { type: 'integer' },
          precision: { type: ['number', 'null'] }, recall: { type: ['number', 'null'] },
        },
      },
      Refinements: {
        type: 'object',
        properties: {
          ruleId: { type: 'string' }, ruleVersion: { type: 'integer' }, dsl: { type: 'string' },
          signals: { type: 'object', properties: { truePositives: { type: 'integer' }, falsePositives: { type: 'integer' }, notFiringNow: { type: 'integer' }, truncated: { type: 'boolean' } } },
          baseline: ref('RefinementMetrics'), reason: { type: ['string', 'null'], description: 'why there is no proposal' },
          proposals: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                dsl: { type: 'string', description: 'the refined rule; compiles' },
                conditions: { type: 'array', items: { type: 'object', properties: { source: { enum: ['attributes', 'resource'] }, key: { type: 'string' }, op: { enum: ['===', '!==', '<', '>='] }, value: {}, text: { type: 'string' } } } },
                predicate: { type: 'object', properties: { text: { type: 'string' }, line: { type: 'integer' }, column: { type: 'integer' } } },
                history: { type: 'object', properties: { before: ref('RefinementMetrics'), after: ref('RefinementMetrics') } },
                heldOut: { type: ['object', 'null'], properties: { folds: { type: 'integer' }, before: ref('RefinementMetrics'), after: ref('RefinementMetrics') } },
                recommended: { type: 'boolean' },
              },
            },
          },
        },
      },
      InvariantCandidate: {
        type: 'object',
        properties: {
          id: { type: 'string' }, kind: { enum: ['co-occurrence', 'ordering', 'duration', 'attribute-values'] }, description: { type: 'string' },
          subject: { type: 'object', properties: { service: { type: ['string', 'null'] }, name: { type: 'string' } } },
          object: { type: 'object', properties: { service: { type: ['string', 'null'] }, name: { type: 'string' } } },
          unit: { enum: ['traces', 'spans'] }, support: { type: 'integer' }, holding: { type: 'integer' }, confidence: { type: 'number' },
          lift: { type: ['number', 'null'], description: 'co-occurrence and ordering: confidence / share of all traces with B (near 1: B is everywhere anyway)' },
          examples: { type: 'array', items: { type: 'string' } }, counterExamples: { type: 'array', items: { type: 'string' } },
          dsl: { type: 'string', description: 'a rule that fires on a violation' },
          duration: { type: 'object', properties: { quantile: { type: 'number' }, level: { type: 'number' }, boundMs: { type: 'number' }, samples: { type: 'integer' }, observedMaxMs: { type: 'number' } } },
          attribute: { type: 'object', properties: { key: { type: 'string' }, values: { type: 'array' }, otherCount: { type: 'integer' } } },
        },
      },
      RateAssessment: {
        type: 'object',
        properties: {
          ruleId: { type: 'string' }, ruleName: { type: 'string' }, mode: { type: 'string', enum: ['alert', 'shadow'] }, status: { enum: ['learning', 'normal', 'jump', 'collapse'] },
          window: { type: 'object', properties: { start: { type: 'number' }, end: { type: 'number' }, traces: { type: 'integer' }, signals: { type: 'integer' }, rate: { type: ['number', 'null'] } } },
          expected: { type: 'object', properties: { rate: { type: 'number' }, signals: { type: 'number' }, slot: { type: ['integer', 'null'] }, slotTraces: { type: 'integer' }, historyTraces: { type: 'integer' }, historySignals: { type: 'integer' } } },
          ratio: { type: ['number', 'null'] }, pValue: { type: 'number' }, message: { type: 'string' },
        },
      },
      Signal: {
        type: 'object',
        properties: {
          id: { type: 'string' }, seq: { type: 'integer', description: 'insertion order; the SSE event id' }, ruleId: { type: 'string' }, ruleName: { type: 'string' },
          ruleVersion: { type: 'integer' }, severity: ref('Severity'), mode: { type: 'string', enum: ['alert', 'shadow'] }, traceId: { type: 'string' },
          spanIds: { type: 'array', items: { type: 'string' }, description: 'witness spans' }, message: { type: 'string' },
          detectedAt: { type: 'number' }, firstSpanTime: { type: 'number' }, lastSpanTime: { type: 'number' },
          services: { type: 'array', items: { type: 'string' } }, status: ref('SignalStatus'), statusUpdatedAt: { type: 'number' },
          traceIds: { type: 'array', items: { type: 'string' }, description: 'correlated rules (traces.by): every trace involved, traceId first; absent for per-trace rules' },
          correlationKey: { type: 'string', description: 'correlated rules: the key value (e.g. the user id)' },
          windowStart: { type: 'number', description: 'correlated rules: window start (ms, span start time)' },
          windowEnd: { type: 'number', description: 'correlated rules: window end (ms)' },
        },
      },
      SignalDetail: {
        allOf: [ref('Signal'), {
          type: 'object',
          properties: {
            evidence: { type: 'object', properties: { spans: { type: 'array', items: ref('Span') } }, description: 'the trace as it was when the signal fired' },
            history: { type: 'array', items: { type: 'object', properties: { at: { type: 'number' }, by: { type: 'string' }, from: ref('SignalStatus'), to: ref('SignalStatus'), note: { type: ['string', 'null'] } } } },
          },
        }],
      },
      NotificationStatus: { type: 'string', enum: ['pending', 'delivering', 'delivered', 'failed', 'expired', 'suppressed'] },
      NotificationKind: { type: 'string', enum: ['trigger', 'resolve', 'summary', 'test'] },
      Notification: {
        type: 'object',
        properties: {
          n: { type: 'integer', description: 'outbox order (and cursor)' },
          key: { type: 'string', description: 'idempotency key, e.g. <signal id>:<channel id>:trigger' },
          channelId: { type: 'string' }, kind: ref('NotificationKind'), signalId: { type: ['string', 'null'] }, ruleId: { type: ['string', 'null'] },
          orderKey: { type: 'string', description: 'rows with the same channel and order key are delivered one at a time, in order' },
          groupKey: { type: ['string', 'null'], description: 'throttling group' },
          payload: { type: 'object', description: 'the signal snapshot the message is made from' },
          status: ref('NotificationStatus'), attempts: { type: 'integer' }, lastError: { type: ['string', 'null'] },
          nextAttemptAt: { type: 'number' }, leaseUntil: { type: ['number', 'null'] }, createdAt: { type: 'number' }, updatedAt: { type: 'number' },
          deliveredAt: { type: ['number', 'null'] }, suppressedCount: { type: 'integer', description: 'summaries: signals not sent one by one' },
        },
      },
      ChannelMatch: {
        type: ['object', 'null'], additionalProperties: false,
        description: 'which signals the channel receives: each list given must contain the signal\'s value; {} receives all; null only what config routes send',
        properties: { rules: { type: 'array', items: { type: 'string' } }, severities: { type: 'array', items: ref('Severity') }, tags: { type: 'array', items: { type: 'string' }, description: 'any of the rule\'s tags' } },
      },
      ChannelThrottle: {
        type: ['object', 'null'], additionalProperties: false,
        description: 'per rule (and service with groupBy "service"): at most cap notifications per window, then one summary; null turns throttling off (default window 5m, cap 10)',
        properties: { window: { type: ['string', 'number'], description: "duration such as '5m', or ms" }, cap: { type: 'integer', minimum: 1 }, groupBy: { type: ['string', 'null'], enum: ['service', null] } },
      },
      ChannelInput: {
        type: 'object', required: ['id', 'type'],
        properties: {
          id: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,99}$' }, type: { type: 'string', enum: ['webhook', 'slack', 'alertmanager', 'pagerduty', 'otlp'] },
          name: { type: 'string' }, enabled: { type: 'boolean', default: true },
          settings: { type: 'object', description: 'per type (docs/notifications.md), plus timeout, sendResolved and template {title, text} (Mustache)' },
          match: ref('ChannelMatch'), throttle: ref('ChannelThrottle'),
        },
      },
      Channel: {
        type: 'object',
        properties: {
          id: { type: 'string' }, type: { type: 'string' }, name: { type: 'string' }, enabled: { type: 'boolean' },
          settings: { type: 'object', description: 'without secret settings' }, secretsSet: { type: 'array', items: { type: 'string' }, description: 'secret settings that have a value' },
          match: ref('ChannelMatch'), throttle: ref('ChannelThrottle'), source: { type: 'string', enum: ['config', 'api'] },
          version: { type: 'integer' }, createdAt: { type: 'number' }, updatedAt: { type: 'number' },
        },
      },
      DeliveryResult: {
        type: 'object',
        properties: {
          channelId: { type: 'string' }, outcome: { type: 'string', enum: ['delivered', 'retry', 'failed'], description: 'retry: may work later (network, 5xx, 429); failed: will not (4xx)' },
          reason: { type: 'string' }, detail: { type: 'string' }, retryAfterMs: { type: 'number' },
        },
      },
      TraceSummary: {
        type: 'object',
        properties: {
          traceId: { type: 'string' }, rootName: { type: 'string' }, services: { type: 'array', items: { type: 'string' } },
          spanCount: { type: 'integer' }, errorCount: { type: 'integer' }, startTime: { type: 'number' }, endTime: { type: 'number' },
          duration: { type: 'number', description: 'ms' }, completedAt: { type: ['number', 'null'] },
        },
      },
      Span: {
        type: 'object',
        properties: {
          traceId: { type: 'string' }, spanId: { type: 'string' }, parentSpanId: { type: ['string', 'null'] }, traceState: { type: 'string' },
          name: { type: 'string' }, kind: { type: 'string', enum: ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'] },
          status: { type: 'string', enum: ['UNSET', 'OK', 'ERROR'] }, statusMessage: { type: 'string' },
          startTime: { type: 'number', description: 'ms, fractional' }, endTime: { type: 'number' }, duration: { type: 'number' },
          startTimeUnixNano: { type: 'string', description: 'exact' }, endTimeUnixNano: { type: 'string' },
          service: { type: ['string', 'null'] }, attributes: { type: 'object', description: 'the span\'s own attributes' },
          resource: { type: 'object' }, scope: { type: 'object', properties: { name: { type: 'string' }, version: { type: 'string' } } },
          events: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, time: { type: 'number' }, timeUnixNano: { type: 'string' }, attributes: { type: 'object' } } } },
          links: { type: 'array', items: { type: 'object', properties: { traceId: { type: 'string' }, spanId: { type: 'string' }, traceState: { type: 'string' }, attributes: { type: 'object' } } } },
        },
      },
    },
  },
} as const;
