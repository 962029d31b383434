/**
 * Deterministic benchmark workloads: realistic traces (5 to 200 spans across
 * several services, 8 to 20 attributes per span, events on some spans) and
 * rule sets made from the example rules, multiplied into distinct rules by
 * varying their literals. The same seed gives the same bytes on every run.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { createSpan, encodeProtobufTraces, encodeJsonTraces, seededRandom } from '@fluohq/engine';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BASE_TIME_NS = 1_760_000_000_000_000_000n;

const SERVICES = ['frontend', 'checkout-service', 'payment-service', 'inventory-service', 'shipping-service', 'auth-service', 'catalog-service', 'notification-worker'];
const ROUTES = ['/api/v2/checkout', '/api/v2/cart', '/api/v2/products/{id}', '/api/v2/orders', '/api/v2/admin/users', '/api/v2/search', '/healthz'];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];
const INTERNAL_NAMES = ['fraud.check', 'authz.check', 'auth.login', 'audit.log', 'render', 'cache.get', 'serialize', 'validate'];
const QUERIES = ['SELECT * FROM orders WHERE id = $1', 'SELECT * FROM users WHERE id = $1', 'UPDATE carts SET items = $1 WHERE id = $2', 'INSERT INTO audit (id, event) VALUES ($1, $2)', 'SELECT price FROM products WHERE sku = $1'];
const FILLER_KEYS = ['thread.id', 'thread.name', 'code.function', 'code.namespace', 'code.lineno', 'net.peer.port', 'user_agent.original', 'app.tenant', 'app.region', 'app.feature_flag', 'app.cart_size', 'app.request_bytes', 'app.cache_hit'];

function hex(rand, bytes) {
  let out = '';
  for (let i = 0; i < bytes; i++) out += Math.floor(rand() * 256).toString(16).padStart(2, '0');
  return /^0+$/.test(out) ? '01' + out.slice(2) : out;
}

function pick(rand, list) {
  return list[Math.floor(rand() * list.length)];
}

/** 5 to 200 spans, most traces small (as in production), a long tail of big ones. */
function traceSize(rand) {
  return 5 + Math.floor(rand() * rand() * 196);
}

/**
 * Generates traces as span inits (input of `createSpan`). `options.spans`
 * bounds the total number of spans; traces are whole.
 */
export function generateSpanInits({ seed = 1, spans: total = 10_000 } = {}) {
  const rand = seededRandom(seed);
  const traces = [];
  let count = 0;
  let clockNs = BASE_TIME_NS;
  while (count < total) {
    const size = Math.min(traceSize(rand), Math.max(5, total - count));
    const traceId = hex(rand, 16);
    const inits = [];
    const rootService = pick(rand, SERVICES.slice(0, 2));
    const route = rand() < 0.01 ? '/api/v1/orders' : pick(rand, ROUTES);
    const rootStart = clockNs;
    const rootDuration = BigInt(Math.floor(5e6 + rand() * rand() * 4e9));
    // Anomalies are rare, as in production: most traces raise no signal.
    const faulty = rand() < 0.03;
    const handlesPii = rand() < 0.03;
    for (let i = 0; i < size; i++) {
      const isRoot = i === 0;
      const parent = isRoot ? null : inits[Math.floor(rand() * Math.min(i, 1 + i / 3))];
      const service = isRoot ? rootService : rand() < 0.6 && parent ? parent.resource['service.name'] : pick(rand, SERVICES);
      const roll = rand();
      let kind;
      let name;
      const attributes = {};
      if (isRoot) {
        kind = 'SERVER';
        name = `${pick(rand, METHODS)} ${route}`;
        attributes['http.route'] = route;
        attributes['http.request.method'] = name.split(' ')[0];
        attributes['http.response.status_code'] = rand() < 0.9 ? 200 : rand() < 0.5 ? 500 : 404;
        attributes['url.scheme'] = 'https';
        if (route.includes('/admin/')) attributes['auth.mfa'] = rand() < 0.8;
      } else if (roll < 0.35) {
        kind = 'CLIENT';
        name = 'db.query';
        attributes['db.system'] = 'postgresql';
        attributes['db.query.text'] = `${pick(rand, QUERIES)} /* ${Math.floor(rand() * 1000)} */`;
        attributes['server.address'] = 'postgres.db.svc.cluster.local';
        if (handlesPii && rand() < 0.2) attributes['data.contains_pii'] = true;
      } else if (roll < 0.6) {
        kind = 'CLIENT';
        name = `HTTP ${pick(rand, METHODS)}`;
        attributes['http.request.method'] = name.slice(5);
        attributes['http.response.status_code'] = faulty && rand() < 0.2 ? 503 : 200;
        attributes['url.full'] = `https://${pick(rand, SERVICES)}.svc.cluster.local/internal/${Math.floor(rand() * 100)}`;
        attributes['url.scheme'] = 'https';
        attributes['server.address'] = `${pick(rand, SERVICES)}.svc.cluster.local`;
        if (faulty && rand() < 0.2) attributes['http.request.resend_count'] = 1 + Math.floor(rand() * 3);
      } else if (roll < 0.65) {
        // A consumer follows every producer (added below), except in faulty traces.
        kind = 'PRODUCER';
        name = 'orders publish';
        attributes['messaging.system'] = 'kafka';
        attributes['messaging.destination.name'] = 'orders';
      } else {
        kind = 'INTERNAL';
        name = pick(rand, INTERNAL_NAMES);
        if (name === 'authz.check') attributes['authz.decision'] = rand() < 0.9 ? 'allow' : 'deny';
      }
      // 8 to 20 attributes in all.
      const want = 8 + Math.floor(rand() * 13);
      for (let f = 0; Object.keys(attributes).length < want; f++) {
        const key = FILLER_KEYS[f % FILLER_KEYS.length] + (f >= FILLER_KEYS.length ? `.${f}` : '');
        const r = rand();
        attributes[key] = r < 0.5 ? `value-${Math.floor(rand() * 1000)}` : r < 0.8 ? Math.floor(rand() * 100_000) : r < 0.9 ? rand() < 0.5 : rand() * 1000;
      }
      const offset = isRoot ? 0n : BigInt(Math.floor(rand() * Number(rootDuration) * 0.8));
      const start = rootStart + offset;
      const duration = isRoot ? rootDuration : BigInt(Math.floor(rand() * Number(rootDuration - offset)));
      const error = !isRoot && faulty && rand() < 0.2;
      const events = [];
      if (error) events.push({ name: 'exception', timeUnixNano: String(start + duration / 2n), attributes: { 'exception.type': 'TimeoutError', 'exception.message': 'deadline exceeded' } });
      else if (rand() < 0.1) events.push({ name: 'cache.miss', timeUnixNano: String(start + 1000n), attributes: { 'cache.key': `k${Math.floor(rand() * 100)}` } });
      inits.push({
        traceId,
        spanId: hex(rand, 8),
        parentSpanId: parent ? parent.spanId : null,
        name,
        kind,
        status: error ? 'ERROR' : 'UNSET',
        statusMessage: error ? 'deadline exceeded' : '',
        startTimeUnixNano: String(start),
        endTimeUnixNano: String(start + duration),
        attributes,
        resource: { 'service.name': service, 'service.version': '1.4.2', 'deployment.environment': 'production', 'host.name': `${service}-7d9f-${Math.floor(rand() * 5)}` },
        scope: { name: '@opentelemetry/instrumentation-http', version: '0.57.0' },
        events,
      });
    }
    for (const producer of inits.filter((i) => i.kind === 'PRODUCER')) {
      if (faulty && rand() < 0.5) continue;
      const start = BigInt(producer.endTimeUnixNano) + BigInt(Math.floor(rand() * 5e8));
      inits.push({ ...producer, spanId: hex(rand, 8), parentSpanId: producer.spanId, kind: 'CONSUMER', name: 'orders process',
        startTimeUnixNano: String(start), endTimeUnixNano: String(start + 2_000_000n), events: [] });
    }
    if (route === '/api/v2/checkout') {
      // The payment flow: authorize, a fraud check (left out in some faulty traces), the PSP charge.
      const authorize = { ...inits[0], spanId: hex(rand, 8), parentSpanId: inits[0].spanId, kind: 'INTERNAL', name: 'payment.authorize', events: [],
        resource: { ...inits[0].resource, 'service.name': 'payment-service' } };
      inits.push(authorize);
      if (!(faulty && rand() < 0.5)) inits.push({ ...authorize, spanId: hex(rand, 8), parentSpanId: authorize.spanId, name: 'fraud.check' });
      inits.push({ ...authorize, spanId: hex(rand, 8), parentSpanId: authorize.spanId, kind: 'CLIENT', name: 'psp.charge',
        attributes: { ...authorize.attributes, 'url.scheme': 'https', 'url.full': 'https://psp.example.com/charge', 'server.address': 'psp.example.com' } });
    }
    if (handlesPii) {
      inits.push({ ...inits[0], spanId: hex(rand, 8), parentSpanId: inits[0].spanId, kind: 'INTERNAL', name: 'audit.log', events: [],
        attributes: { ...inits[0].attributes, 'audit.event': 'pii.read' } });
    }
    clockNs += 1_000_000n;
    count += size;
    traces.push(inits);
  }
  return traces;
}

/** Traces of spans (unlinked, as decoders produce them). */
export function generateTraces(options) {
  return generateSpanInits(options).map((inits) => inits.map(createSpan));
}

/**
 * OTLP requests of about `spansPerRequest` spans each (whole traces), as
 * protobuf bytes and as JSON text, with where each trace id sits in the bytes
 * (so a load generator can make every send a new trace).
 */
export function encodeRequests(traces, spansPerRequest = 500) {
  const requests = [];
  let batch = [];
  const flush = () => {
    if (batch.length === 0) return;
    const spans = batch.flat();
    const protobuf = encodeProtobufTraces(spans);
    requests.push({ spans: spans.length, protobuf, json: JSON.stringify(encodeJsonTraces(spans)), traceIdOffsets: traceIdOffsets(protobuf, spans) });
    batch = [];
  };
  let n = 0;
  for (const trace of traces) {
    batch.push(trace);
    n += trace.length;
    if (n >= spansPerRequest) { flush(); n = 0; }
  }
  flush();
  return requests;
}

function traceIdOffsets(bytes, spans) {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const offsets = [];
  for (const id of new Set(spans.map((s) => s.traceId))) {
    const needle = Buffer.concat([Buffer.from([0x0a, 0x10]), Buffer.from(id, 'hex')]);
    for (let at = buffer.indexOf(needle); at >= 0; at = buffer.indexOf(needle, at + 1)) offsets.push(at + 2);
  }
  return Int32Array.from(offsets);
}

/** Overwrites the first 4 bytes of every trace id with `stamp`: the request becomes new traces. */
export function stampTraceIds(bytes, offsets, stamp) {
  for (let i = 0; i < offsets.length; i++) {
    const at = offsets[i];
    bytes[at] = stamp >>> 24; bytes[at + 1] = (stamp >>> 16) & 255; bytes[at + 2] = (stamp >>> 8) & 255; bytes[at + 3] = stamp & 255;
  }
}

/** The example rules' DSL, in file order. */
export function exampleRules() {
  const dir = path.join(REPO_ROOT, 'examples/rules');
  const out = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
    for (const rule of parseYaml(readFileSync(path.join(dir, file), 'utf8')).rules) out.push({ id: rule.id, name: rule.name, severity: rule.severity, dsl: rule.dsl });
  }
  return out;
}

const KEEP = new Set(['SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER', 'INTERNAL', 'OK', 'ERROR', 'UNSET']);

/**
 * Variant k of a rule: its first string literal that is not a kind, status,
 * attribute key or duration gets a suffix `-k`, or else its first number is
 * raised by k, or else a clause that cannot change its outcome is added. Variant 0 is the rule itself. Variants never share that literal,
 * so their predicates are distinct (as a thousand users' rules would be).
 */
export function ruleVariant(dsl, k) {
  if (k === 0) return dsl;
  let done = false;
  const varied = dsl.replace(/(\[\s*)?'([^'\\]*)'/g, (whole, bracket, text) => {
    if (done || bracket || KEEP.has(text) || /^\d+\s*[a-z]+$/i.test(text)) return whole;
    done = true;
    return `'${text}-${k}'`;
  });
  if (done) return varied;
  if (/\b\d+\b/.test(dsl)) return dsl.replace(/\b(\d+)\b/, (n) => String(Number(n) + k));
  // No literal to vary: add a clause that never changes the outcome.
  return `(${dsl.trim()}).and(trace.missing(span => span.name === 'quarantine-${k}'))`;
}

/** `count` distinct rule definitions cycling through the example rules. */
export function ruleSet(count) {
  const examples = exampleRules();
  const rules = [];
  for (let i = 0; i < count; i++) {
    const base = examples[i % examples.length];
    const k = Math.floor(i / examples.length);
    rules.push({ id: k === 0 ? base.id : `${base.id}-${k}`, name: k === 0 ? base.name : `${base.name} (${k})`, severity: base.severity, dsl: ruleVariant(base.dsl, k) });
  }
  return rules;
}
