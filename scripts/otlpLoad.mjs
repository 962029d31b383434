#!/usr/bin/env node
/**
 * An OTLP/HTTP load generator that behaves like an OpenTelemetry Collector
 * with `retry_on_failure`: it sends protobuf ExportTraceServiceRequests and
 * retries a request refused with a retryable status (429, 502, 503, 504) or
 * a connection error, honouring Retry-After, until it is acknowledged (200)
 * or the generator is told to stop. Used by the crash test, the soak test and
 * `scripts/soak.mjs`; runs as its own process.
 *
 * Traces are generated from a seed, so the signals they should raise are
 * known in advance (`expectedRules`):
 *   - big-payment:        a payment.charge span with amount > 1500
 *   - pii-without-audit:  a span with data.contains_pii and no audit.log span
 *   - every-trace:        every trace (each has a load.marker span)
 * Each trace goes whole in one request (several traces per request).
 *
 * Two ways to send:
 *   - closed loop (default): `--concurrency` senders, each waiting for its
 *     request to be acknowledged before sending the next (at most `--rate`).
 *     With several `--url`s, each trace goes to the URL the Collector's
 *     loadbalancing exporter would pick by its trace id (bench/traceIdRing.mjs),
 *     and each URL has its own queue and `--concurrency` senders, as the
 *     exporter has one per backend: a request refused or unanswered while its
 *     instance is down is retried to that same instance, and the other
 *     instances keep receiving their traces meanwhile.
 *   - open loop (`--open-loop`): a new request every 1/rate s whether or not
 *     earlier ones were answered, like many independent services; at most
 *     `--max-outstanding` requests are kept (being sent or waiting to retry).
 *
 * Usage: node scripts/otlpLoad.mjs --url http://127.0.0.1:4318 [--url ...] [--traces N | --duration S]
 *   [--seed N] [--batch TRACES] [--concurrency N] [--rate TRACES_PER_S] [--max-backoff MS]
 *   [--open-loop --rate TRACES_PER_S --max-outstanding N]
 *   [--out FILE]   (JSON summary with the acknowledged trace ids, the URL that acknowledged them and their expected rules)
 * Progress: one JSON line per second on stdout; the last line is the summary.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildTrace, encodeProtobufTraces, seededRandom } from '@fluohq/engine';
import { TraceIdRing } from '../bench/traceIdRing.mjs';

export const LOAD_RULES_YAML = `rules:
  - id: big-payment
    name: Payment over 1500
    severity: warning
    dsl: "trace.has(span => span.name === 'payment.charge' && span.attributes['amount'] > 1500)"
  - id: pii-without-audit
    name: PII read without audit
    severity: critical
    dsl: "trace.has(span => span.attributes['data.contains_pii'] === true).and(trace.missing(span => span.name === 'audit.log'))"
  - id: every-trace
    name: Every load trace
    severity: info
    dsl: "trace.has(span => span.name === 'load.marker')"
`;


/** Trace number i of a seed: its spans and the rules it should fire. */
export function loadTrace(seed, i) {
  const rng = seededRandom(seed * 1_000_003 + i);
  const amount = Math.floor(rng() * 2000);
  const pii = rng() < 0.3;
  const audit = pii && rng() < 0.5;
  const base = Date.now();
  const specs = [
    { id: 'r', name: 'POST /checkout', service: 'web', kind: 'SERVER', start: 0, duration: 50 },
    { id: 'm', name: 'load.marker', parent: 'r', service: 'web', start: 1 },
    { id: 'p', name: 'payment.charge', parent: 'r', service: 'payments', kind: 'CLIENT', start: 5, attributes: { amount } },
  ];
  if (pii) specs.push({ id: 'c', name: 'customers.read', parent: 'r', service: 'crm', start: 10, attributes: { 'data.contains_pii': true } });
  if (audit) specs.push({ id: 'a', name: 'audit.log', parent: 'r', service: 'audit', start: 20 });
  // ≤ 16 characters: hexId keeps the last 16 bytes of the name.
  const spans = buildTrace(`s${seed % 1000}x${i}`.slice(-16), specs, base);
  const rules = ['every-trace'];
  if (amount > 1500) rules.push('big-payment');
  if (pii && !audit) rules.push('pii-without-audit');
  return { traceId: spans[0].traceId, spans, rules };
}

const RETRYABLE = new Set([429, 502, 503, 504]);

async function main() {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', multiple: true }, seed: { type: 'string', default: '1' }, traces: { type: 'string' }, duration: { type: 'string' },
      batch: { type: 'string', default: '10' }, concurrency: { type: 'string', default: '4' }, rate: { type: 'string', default: '0' },
      'max-backoff': { type: 'string', default: '2000' }, out: { type: 'string' },
      'open-loop': { type: 'boolean', default: false }, 'max-outstanding': { type: 'string', default: '2000' },
    },
  });
  if (!values.url || (!values.traces && !values.duration)) {
    process.stderr.write('usage: otlpLoad.mjs --url URL (--traces N | --duration SECONDS) [--seed N] [--batch N] [--concurrency N] [--rate N] [--out FILE]\n');
    process.exit(2);
  }
  const urls = values.url;
  if (urls.length > 1 && values['open-loop']) {
    process.stderr.write('otlpLoad: --open-loop takes one --url\n');
    process.exit(2);
  }
  const seed = Number(values.seed);
  const total = values.traces ? Number(values.traces) : Infinity;
  const stopAt = values.duration ? Date.now() + Number(values.duration) * 1000 : Infinity;
  const batch = Number(values.batch);
  const rate = Number(values.rate);
  const maxBackoff = Number(values['max-backoff']);
  const started = Date.now();
  const stats = { requests: 0, ackedRequests: 0, ackedTraces: 0, refused: {}, networkErrors: 0, permanent: 0, abandonedTraces: 0 };
  const acked = [];
  let next = 0;
  let stopping = false;
  process.on('SIGTERM', () => { stopping = true; });
  const stopped = () => stopping || Date.now() >= stopAt;

  async function sendUntilAcked(traces, url = urls[0]) {
    const body = encodeProtobufTraces(traces.flatMap((t) => t.spans));
    let backoff = 100;
    while (!stopped()) {
      stats.requests++;
      let wait = backoff;
      try {
        const res = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
        await res.arrayBuffer();
        if (res.status === 200) {
          stats.ackedRequests++;
          stats.ackedTraces += traces.length;
          for (const t of traces) acked.push({ traceId: t.traceId, url, rules: t.rules });
          return;
        }
        stats.refused[res.status] = (stats.refused[res.status] ?? 0) + 1;
        if (!RETRYABLE.has(res.status)) {
          stats.permanent++;
          process.stderr.write(`otlpLoad: permanent refusal ${res.status}, not retried\n`);
          return;
        }
        const retryAfter = Number(res.headers.get('retry-after'));
        if (Number.isFinite(retryAfter) && retryAfter > 0) wait = retryAfter * 1000;
      } catch {
        stats.networkErrors++;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(wait, maxBackoff) * (0.5 + Math.random() * 0.5)));
      backoff = Math.min(backoff * 2, maxBackoff);
    }
    stats.abandonedTraces += traces.length;
  }

  async function worker() {
    while (!stopped() && next < total) {
      if (rate > 0) {
        const due = started + (next / rate) * 1000;
        if (due > Date.now()) { await new Promise((resolve) => setTimeout(resolve, due - Date.now())); continue; }
      }
      const from = next;
      const to = Math.min(total, from + batch);
      next = to;
      const traces = [];
      for (let i = from; i < to; i++) traces.push(loadTrace(seed, i));
      await sendUntilAcked(traces);
    }
  }

  /** Several URLs: traces routed by trace id into one queue per URL, each drained by its own senders. */
  async function ringLoop() {
    const ring = new TraceIdRing(urls);
    const queues = new Map(urls.map((url) => [url, []]));
    /** Generates the traces that are due, into the queues of their URLs. */
    const generateDue = () => {
      while (next < total && !stopped() && (rate <= 0 || started + (next / rate) * 1000 <= Date.now())) {
        const t = loadTrace(seed, next++);
        const queue = queues.get(ring.endpointFor(t.traceId));
        queue.push(t);
        // Without a rate, generate no further ahead than one full batch.
        if (rate <= 0 && queue.length >= batch) break;
      }
    };
    async function sender(url) {
      const queue = queues.get(url);
      while (!stopped()) {
        generateDue();
        if (queue.length > 0) await sendUntilAcked(queue.splice(0, batch), url);
        else if (next >= total) return;
        else await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    await Promise.all(urls.flatMap((url) => Array.from({ length: Number(values.concurrency) }, () => sender(url))));
    // Generated but never sent because the generator was told to stop.
    for (const queue of queues.values()) stats.abandonedTraces += queue.length;
  }

  async function openLoop() {
    if (!(rate > 0)) throw new Error('--open-loop needs --rate');
    const maxOutstanding = Number(values['max-outstanding']);
    const outstanding = new Set();
    while (!stopped() && next < total) {
      const due = started + (next / rate) * 1000;
      if (due > Date.now() || outstanding.size >= maxOutstanding) { await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.min(50, due - Date.now())))); continue; }
      const from = next;
      const to = Math.min(total, from + batch);
      next = to;
      const traces = [];
      for (let i = from; i < to; i++) traces.push(loadTrace(seed, i));
      const p = sendUntilAcked(traces).finally(() => outstanding.delete(p));
      outstanding.add(p);
    }
    await Promise.all(outstanding);
  }

  const progress = setInterval(() => process.stdout.write(`${JSON.stringify({ t: Math.round((Date.now() - started) / 1000), ...stats })}\n`), 1000);
  if (values['open-loop']) await openLoop();
  else if (urls.length > 1) await ringLoop();
  else await Promise.all(Array.from({ length: Number(values.concurrency) }, () => worker()));
  clearInterval(progress);
  const summary = { done: true, seconds: (Date.now() - started) / 1000, generated: Math.min(next, total), ...stats };
  if (values.out) writeFileSync(values.out, JSON.stringify({ ...summary, acked }));
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => { process.stderr.write(`otlpLoad: ${err?.stack ?? err}\n`); process.exit(1); });
}
