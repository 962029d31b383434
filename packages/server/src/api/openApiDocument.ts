/**
 * The REST API's OpenAPI 3.1 description, served at /api/v1/openapi.json.
 * A test checks that every route of the app is described here and that
 * every path described here exists.
 */
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
    description: 'Rules, signals and traces of a FLUO server. Times are milliseconds since the epoch; spans also carry exact nanosecond strings. '
      + 'Errors have one shape: {"error": {"code", "message", "details"?}}. '
      + 'With authentication on (see SECURITY.md), send "Authorization: Bearer <token>"; 401 UNAUTHENTICATED without a valid token, 403 FORBIDDEN when its role may not. '
      + 'Public: /healthz, /readyz, this document and the web UI; /metrics needs viewer. OTLP receivers (ports 4318 and 4317) follow the OTLP specification and are not described here.',
    license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
  },
  servers: [{ url: '/' }],
  security: [{ bearerAuth: [] }],
  paths: {
    '/healthz': { get: { summary: 'The process is alive', tags: ['health'], responses: { 200: { description: 'alive', content: json({ type: 'object', properties: { status: { const: 'ok' } } }) } } } },
    '/readyz': {
      get: {
        summary: 'Ready to accept spans (503 while starting or stopping)', tags: ['health'],
        responses: {
          200: { description: 'ready', content: json({ type: 'object', properties: { status: { const: 'ready' } } }) },
          503: { description: 'starting or stopping', content: json({ type: 'object', properties: { status: { enum: ['starting', 'stopping', 'stopped'] } } }) },
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
                traces: { type: 'array', items: { type: 'object', properties: { traceId: { type: 'string' }, witnesses: { type: 'array', items: { type: 'string' } }, rootName: { type: 'string' }, startTime: { type: 'number' } } } },
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
          timeParam('since', 'startTime >= since'), timeParam('until', 'startTime < until'), limitParam, cursorParam,
        ],
        responses: { 200: { description: 'a page', content: json({ type: 'object', required: ['traces', 'nextCursor'], properties: { traces: { type: 'array', items: ref('TraceSummary') }, nextCursor: { type: ['string', 'null'] } } }) }, ...errors(400) },
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
      Signal: {
        type: 'object',
        properties: {
          id: { type: 'string' }, seq: { type: 'integer', description: 'insertion order; the SSE event id' }, ruleId: { type: 'string' }, ruleName: { type: 'string' },
          ruleVersion: { type: 'integer' }, severity: ref('Severity'), mode: { type: 'string', enum: ['alert', 'shadow'] }, traceId: { type: 'string' },
          spanIds: { type: 'array', items: { type: 'string' }, description: 'witness spans' }, message: { type: 'string' },
          detectedAt: { type: 'number' }, firstSpanTime: { type: 'number' }, lastSpanTime: { type: 'number' },
          services: { type: 'array', items: { type: 'string' } }, status: ref('SignalStatus'), statusUpdatedAt: { type: 'number' },
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
