// A small customer service: plain node:http, with spans made by hand the way
// OpenTelemetry's HTTP and database instrumentations would name them.
//   GET /customers/:id         reads the customer (PII) and writes an audit record
//   GET /customers/:id/export  the bug FLUO finds: reads the customer, no audit record
//   POST /login                fails once with an expired token, succeeds on retry
import { shutdownTracing } from './tracing.js';
import { createServer } from 'node:http';
import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';

const tracer = trace.getTracer('customers-example', '1.0.0');

// The JS SDK takes a span's start from Date.now(), whole milliseconds, and its
// end from the high-resolution clock: a span started right after another ended
// can appear to start before that end. Rules that order spans (followedBy:
// "the authorization check came before the read") need the true order, so
// spans start and end at high-resolution times (given a start time, the SDK
// would take the end from Date.now() again, hence explicit ends too).
const preciseNow = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs fn inside a child span of the active one. */
async function inSpan(name, options, fn) {
  return tracer.startActiveSpan(name, { startTime: preciseNow(), ...options }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err);
      span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
      throw err;
    } finally {
      span.end(preciseNow());
    }
  });
}

async function readCustomer(id) {
  return inSpan('db.query SELECT customers', {
    kind: SpanKind.CLIENT,
    attributes: { 'db.system': 'postgresql', 'db.query.text': 'SELECT name, email FROM customers WHERE id = $1', 'data.contains_pii': true },
  }, async () => { await sleep(3); return { id, name: 'Ada Lovelace', email: 'ada@example.com' }; });
}

async function authorize(resource) {
  return inSpan('authz.check', { attributes: { 'authz.resource': resource, 'authz.decision': 'allow' } }, () => sleep(1));
}

async function audit(action, subject) {
  return inSpan('audit.log', { attributes: { 'audit.action': action, 'audit.subject': subject } }, () => sleep(1));
}

async function login(token) {
  return inSpan('auth.login', { attributes: { 'auth.method': 'token' } }, async (span) => {
    await sleep(2);
    if (token === 'expired') {
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'token expired' });
      return false;
    }
    span.setStatus({ code: SpanStatusCode.OK });
    return true;
  });
}

async function route(req, span) {
  const url = new URL(req.url, 'http://localhost');
  let m;
  if (req.method === 'GET' && (m = /^\/customers\/([^/]+)$/.exec(url.pathname))) {
    span.setAttribute('http.route', '/customers/:id');
    await authorize(`customer/${m[1]}`);
    const customer = await readCustomer(m[1]);
    await audit('customer.read', m[1]);
    return [200, customer, '/customers/:id'];
  }
  if (req.method === 'GET' && (m = /^\/customers\/([^/]+)\/export$/.exec(url.pathname))) {
    span.setAttribute('http.route', '/customers/:id/export');
    await authorize(`customer/${m[1]}`);
    return [200, await readCustomer(m[1]), '/customers/:id/export'];
  }
  if (req.method === 'POST' && url.pathname === '/login') {
    span.setAttribute('http.route', '/login');
    const ok = (await login('expired')) || (await login('fresh'));
    return [ok ? 200 : 401, { ok }, '/login'];
  }
  return [404, { error: 'not found' }, undefined];
}

const server = createServer((req, res) => {
  // Continue the caller's trace (W3C traceparent), as the HTTP instrumentation does.
  const parent = propagation.extract(context.active(), req.headers);
  context.with(parent, () => tracer.startActiveSpan(`${req.method}`, {
    startTime: preciseNow(),
    kind: SpanKind.SERVER,
    attributes: { 'http.request.method': req.method, 'url.path': req.url },
  }, async (span) => {
    let status = 500;
    let body = { error: 'internal error' };
    let httpRoute;
    try {
      [status, body, httpRoute] = await route(req, span);
    } catch (err) {
      span.recordException(err);
    }
    if (httpRoute) span.updateName(`${req.method} ${httpRoute}`);
    span.setAttribute('http.response.status_code', status);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    const { traceId, spanId } = span.spanContext();
    span.end(preciseNow());
    res.writeHead(status, { 'content-type': 'application/json', traceresponse: `00-${traceId}-${spanId}-01` });
    res.end(JSON.stringify(body));
  }));
});

const port = Number(process.env.PORT ?? 8080);
server.listen(port, '127.0.0.1', () => {
  console.log(`customers service on http://127.0.0.1:${server.address().port}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    server.close();
    shutdownTracing().finally(() => process.exit(0));
  });
}
