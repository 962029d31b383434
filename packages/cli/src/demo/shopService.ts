/**
 * One service of the simulated shop: a real HTTP server on a loopback port,
 * its own OpenTelemetry tracer provider (its own `service.name` resource and
 * OTLP/HTTP protobuf exporter to FLUO), and helpers that instrument what the
 * service does the way OpenTelemetry instrumentations would:
 * - incoming requests: a SERVER span continuing the caller's trace from the
 *   W3C `traceparent` header (http.request.method, http.route,
 *   http.response.status_code; ERROR on 5xx);
 * - outgoing calls: a CLIENT span whose context is injected as `traceparent`
 *   (url.full, server.address, http.request.resend_count on retries; ERROR on
 *   4xx/5xx);
 * - database calls: a CLIENT span `db.query <OPERATION> <table>` with
 *   db.system and db.query.text, sent to the `db` service.
 *
 * The context is passed explicitly (no global context manager), because six
 * services with six providers share one process.
 *
 * Requests carry `x-demo-incident` so that each service knows which fault to
 * play; the header never becomes a span attribute, so rules cannot see it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, defaultTextMapGetter, defaultTextMapSetter, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

const propagator = new W3CTraceContextPropagator();
export const INCIDENT_HEADER = 'x-demo-incident';

export interface ServiceRequest {
  ctx: Context;
  span: Span;
  body: Record<string, unknown>;
  headers: IncomingMessage['headers'];
  incident: string | undefined;
}

export interface ServiceAnswer {
  status: number;
  body?: unknown;
}

export type RouteHandler = (request: ServiceRequest) => Promise<ServiceAnswer>;

export interface CallResult {
  status: number;
  body: any;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Span start and end times, both from the high-resolution clock. The JS SDK
 * otherwise takes the start from Date.now() (whole milliseconds) and measures
 * the end with the high-resolution clock, so a span started right after
 * another ended can appear to start before that end, and rules that order
 * spans (followedBy) see the wrong order. (Given a start time, the SDK takes
 * the end from Date.now() again, hence explicit ends too.)
 */
const preciseNow = (): number => performance.timeOrigin + performance.now();

export class ShopService {
  readonly tracer: Tracer;
  private readonly provider: BasicTracerProvider;
  private readonly routes = new Map<string, RouteHandler>();
  private server: Server | null = null;
  private port = 0;
  private closed = false;

  constructor(readonly name: string, otlpUrl: string) {
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': name, 'service.namespace': 'fluo-demo-shop', 'service.version': '1.4.2', 'deployment.environment.name': 'demo' }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: otlpUrl }), { scheduledDelayMillis: 300, maxQueueSize: 20_000, maxExportBatchSize: 1000 })],
    });
    this.tracer = this.provider.getTracer('fluo-demo-shop', '0.1.0');
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  route(method: string, route: string, handler: RouteHandler): this {
    this.routes.set(`${method} ${route}`, handler);
    return this;
  }

  async listen(): Promise<void> {
    this.server = createServer((req, res) => { void this.handle(req, res); });
    this.server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = (req.url ?? '/').split('?')[0];
    const key = `${req.method} ${path}`;
    const handler = this.routes.get(key);
    const parent = propagator.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
    const span = this.tracer.startSpan(key, {
      startTime: preciseNow(),
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': req.method ?? 'GET', 'http.route': path, 'url.path': path, 'url.scheme': 'http', 'server.address': '127.0.0.1', 'server.port': this.port, 'network.protocol.version': '1.1' },
    }, parent);
    const ctx = trace.setSpan(parent, span);
    let answer: ServiceAnswer;
    try {
      const body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> : {};
      const incident = typeof req.headers[INCIDENT_HEADER] === 'string' ? req.headers[INCIDENT_HEADER] as string : undefined;
      answer = handler ? await handler({ ctx, span, body, headers: req.headers, incident }) : { status: 404, body: { error: `no route ${key}` } };
    } catch (err) {
      answer = { status: 500, body: { error: err instanceof Error ? err.message : String(err) } };
      span.setAttribute('error.type', err instanceof Error ? err.name : 'Error');
    }
    span.setAttribute('http.response.status_code', answer.status);
    if (answer.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${answer.status}` });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    // W3C Trace Context Level 2: tells the caller which trace served it.
    const sc = span.spanContext();
    headers.traceresponse = `00-${sc.traceId}-${sc.spanId}-01`;
    span.end(preciseNow());
    res.writeHead(answer.status, headers);
    res.end(JSON.stringify(answer.body ?? {}));
  }

  /** An HTTP call to another service, as a CLIENT span. */
  async call(ctx: Context, target: ShopService, method: string, route: string, options: { body?: unknown; incident?: string; resendCount?: number } = {}): Promise<CallResult> {
    const url = `${target.url}${route}`;
    const attributes: Attributes = { 'http.request.method': method, 'url.full': url, 'url.scheme': 'http', 'server.address': '127.0.0.1', 'server.port': target.port, 'peer.service': target.name };
    if (options.resendCount) attributes['http.request.resend_count'] = options.resendCount;
    const span = this.tracer.startSpan(`${method} ${route}`, { startTime: preciseNow(), kind: SpanKind.CLIENT, attributes }, ctx);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    propagator.inject(trace.setSpan(ctx, span), headers, defaultTextMapSetter);
    if (options.incident) headers[INCIDENT_HEADER] = options.incident;
    try {
      const response = await fetch(url, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
      const body = await response.json().catch(() => ({}));
      span.setAttribute('http.response.status_code', response.status);
      if (response.status >= 400) {
        span.setAttribute('error.type', String(response.status));
        span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${response.status}` });
      }
      return { status: response.status, body };
    } catch (err) {
      span.setAttribute('error.type', err instanceof Error ? err.name : 'Error');
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      span.end(preciseNow());
    }
  }

  /** A query to the `db` service, as a database CLIENT span. */
  async query(ctx: Context, db: ShopService, query: { operation: string; table: string; text: string; pii?: boolean; incident?: string }): Promise<CallResult> {
    const attributes: Attributes = {
      'db.system': 'postgresql', 'db.namespace': 'shop', 'db.operation.name': query.operation, 'db.collection.name': query.table,
      'db.query.text': query.text, 'server.address': '127.0.0.1', 'server.port': db.port,
    };
    if (query.pii) attributes['data.contains_pii'] = true;
    const span = this.tracer.startSpan(`db.query ${query.operation} ${query.table}`, { startTime: preciseNow(), kind: SpanKind.CLIENT, attributes }, ctx);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    propagator.inject(trace.setSpan(ctx, span), headers, defaultTextMapSetter);
    if (query.incident) headers[INCIDENT_HEADER] = query.incident;
    try {
      const response = await fetch(`${db.url}/query`, { method: 'POST', headers, body: JSON.stringify({ operation: query.operation, table: query.table }) });
      const body = await response.json().catch(() => ({}));
      if (response.status >= 400) span.setStatus({ code: SpanStatusCode.ERROR, message: `query failed: HTTP ${response.status}` });
      return { status: response.status, body };
    } finally {
      span.end(preciseNow());
    }
  }

  /** Work inside the service, as an INTERNAL span; the callback gets the span's context. */
  async work<T>(ctx: Context, name: string, attributes: Attributes, fn: (ctx: Context, span: Span) => Promise<T>): Promise<T> {
    const span = this.tracer.startSpan(name, { startTime: preciseNow(), kind: SpanKind.INTERNAL, attributes }, ctx);
    try {
      return await fn(trace.setSpan(ctx, span), span);
    } finally {
      span.end(preciseNow());
    }
  }

  /** Sends the spans still buffered. */
  flush(): Promise<void> {
    return this.provider.forceFlush();
  }

  /** Stops the HTTP server, then flushes and shuts the provider down. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.server) {
      this.server.closeAllConnections();
      await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    }
    await this.provider.shutdown();
  }
}
