/**
 * Fluo: the client of one FLUO server.
 *
 * Live signals. The first `signal` or `data` listener opens the server's SSE
 * stream (GET /api/v1/signals/stream); until then the client makes no
 * connection, so a client used only for the REST API never streams. Each
 * stored signal is emitted once, in store order (`seq`):
 * - `signal` with the signal as listed;
 * - `data` with `{ signal, span, spans, detail }`: the witness spans, read
 *   from the signal's evidence (GET /api/v1/signals/:id) before anything is
 *   emitted, so a signal whose evidence cannot be read yet is retried, not
 *   skipped.
 * The client remembers the id (seq) of the last signal it handled, and when
 * the connection drops (network, proxy, server restart) it reconnects with
 * exponential back-off and jitter and resumes with `Last-Event-ID`: the server
 * replays exactly what came after, so nothing is lost or repeated. A stream
 * that is silent for longer than `idleTimeoutMs` (the server sends heartbeats)
 * is taken as dead and reopened. Signals outside `filter` advance the position
 * without being emitted.
 *
 * Errors: the REST methods throw FluoApiError. Stream problems are emitted as
 * `error` (only when an `error` listener exists, so a dropped connection
 * never crashes the app) and followed by `disconnected`; an answer that
 * retrying cannot fix (401, 403, 400) stops the stream.
 *
 * Lifecycle: `close()` (idempotent) ends the stream and cancels requests in
 * flight; so does aborting `options.signal`. An open stream keeps the Node
 * process alive until then.
 */
import { EventEmitter } from 'node:events';
import { EventStreamParser, type ServerSentEvent } from './eventStreamParser.js';
import { FluoApiError, errorFromResponse } from './fluoApiError.js';
import { createTraceExporter, type SpanExporterLike, type TraceExporterOptions } from './traceExporter.js';
import type {
  Rule, RuleChange, RuleInput, RuleList, RuleTestRequest, RuleTestResult, RuleValidation, Severity, Signal, SignalData,
  SignalDetail, SignalPage, SignalQuery, SignalStatusChange, Span, Trace, TracePage, TraceQuery,
  BulkStatusResult, Channel, ChannelInput, ChannelTestResult, ChannelType, NotificationPage, NotificationQuery, PrecisionQuery, RulePrecision, RuleVersionList,
} from './types.js';

export interface SignalFilter {
  /** Only signals of these rules. */
  ruleIds?: readonly string[];
  /** Only signals of these severities. */
  severities?: readonly Severity[];
}

export interface ReconnectOptions {
  /** First delay after a dropped connection (default: the server's `retry`, else 1000 ms). */
  initialDelayMs?: number;
  /** Longest delay between attempts (default 30000 ms). */
  maxDelayMs?: number;
}

export interface FluoOptions {
  /** FLUO's API address, e.g. http://localhost:3000 (the /api/v1 prefix is added). */
  url: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Extra headers for every request. */
  headers?: Record<string, string>;
  /** Which signals the `signal` and `data` events carry (default all). */
  filter?: SignalFilter;
  /** The fetch to use (default the global fetch of Node 20+). */
  fetch?: typeof fetch;
  /** Aborting it closes the client: the stream ends and requests in flight are cancelled. */
  signal?: AbortSignal;
  /**
   * Where the stream starts: the id (seq) of the last signal already handled,
   * e.g. one saved from `lastEventId` by an earlier run; 0 replays every stored
   * signal. Default: signals stored after the stream opens.
   */
  lastEventId?: string | number;
  reconnect?: ReconnectOptions;
  /** A stream silent this long (no event, no heartbeat) is reopened (default 45000 ms; the server beats every 15 s). */
  idleTimeoutMs?: number;
}

export interface CallOptions {
  /** Cancels this call (rejects with the signal's reason). */
  signal?: AbortSignal;
}

export interface ConnectedEvent {
  /** Position the stream resumed from ('' when it started at the newest signal). */
  lastEventId: string;
}

export interface DisconnectedEvent {
  error: Error | undefined;
  /** ms until the next attempt; null when the client stops streaming. */
  retryInMs: number | null;
}

export interface FluoEventMap {
  signal: [signal: Signal];
  data: [data: SignalData];
  error: [error: Error];
  connected: [event: ConnectedEvent];
  disconnected: [event: DisconnectedEvent];
}

type Query = Record<string, string | number | undefined>;

export class Fluo extends EventEmitter<FluoEventMap> {
  /** /api/v1/rules */
  readonly rules: {
    list(options?: CallOptions): Promise<RuleList>;
    get(id: string, options?: CallOptions): Promise<Rule>;
    create(rule: RuleInput, options?: CallOptions): Promise<Rule>;
    /** Changes the given fields (PATCH); with `version`, fails with CONFLICT if the rule changed meanwhile. */
    update(id: string, change: RuleChange, options?: CallOptions): Promise<Rule>;
    delete(id: string, options?: CallOptions): Promise<void>;
    validate(dsl: string, options?: CallOptions): Promise<RuleValidation>;
    test(request: RuleTestRequest, options?: CallOptions): Promise<RuleTestResult>;
    /** Every saved version of the rule, newest first. */
    versions(id: string, options?: CallOptions): Promise<RuleVersionList>;
    /** The rule's precision from triage (resolved vs false_positive signals), per version and over time. */
    precision(id: string, query?: PrecisionQuery, options?: CallOptions): Promise<RulePrecision>;
  };
  /** /api/v1/signals */
  readonly signals: {
    /** One page, newest first; pass `nextCursor` as `cursor` for the next. */
    list(query?: SignalQuery, options?: CallOptions): Promise<SignalPage>;
    /** Every signal matching the query, newest first, page by page. */
    iterate(query?: Omit<SignalQuery, 'cursor'>, options?: CallOptions): AsyncGenerator<Signal>;
    get(id: string, options?: CallOptions): Promise<SignalDetail>;
    /** Changes the status (open, acknowledged, resolved, false_positive) with an optional note. */
    update(id: string, change: SignalStatusChange, options?: CallOptions): Promise<SignalDetail>;
    /**
     * Changes the status of many signals at once (POST /signals/status, at most 1000 ids): each is
     * changed on its own, and `results` says which failed and why (e.g. NOT_FOUND) without failing the rest.
     */
    updateMany(ids: readonly string[], change: SignalStatusChange, options?: CallOptions): Promise<BulkStatusResult>;
  };
  /** /api/v1/notifications: the outbox of messages to notification channels. */
  readonly notifications: {
    /** One page of the outbox, newest first; pass `nextCursor` as `cursor` for the next. */
    list(query?: NotificationQuery, options?: CallOptions): Promise<NotificationPage>;
    /** /api/v1/notifications/channels: where signals are sent (docs/notifications.md). */
    readonly channels: {
      list(options?: CallOptions): Promise<Channel[]>;
      get(id: string, options?: CallOptions): Promise<Channel>;
      create(channel: ChannelInput, options?: CallOptions): Promise<Channel>;
      /** Replaces the whole channel; `version`, when given, must be its current version. Secrets not sent are kept. */
      replace(id: string, channel: ChannelInput, options?: CallOptions): Promise<Channel>;
      delete(id: string, options?: CallOptions): Promise<void>;
      /** Sends a test message now (not through the outbox) and says whether it arrived. */
      test(id: string, text?: string, options?: CallOptions): Promise<ChannelTestResult>;
      /** The notifier types this server offers. */
      types(options?: CallOptions): Promise<ChannelType[]>;
    };
  };
  /** /api/v1/traces */
  readonly traces: {
    /** One page of the kept traces, newest first; pass `nextCursor` as `cursor` for the next. */
    list(query?: TraceQuery, options?: CallOptions): Promise<TracePage>;
    get(traceId: string, options?: CallOptions): Promise<Trace>;
  };

  private readonly apiBase: string;
  private readonly fetchImpl: typeof fetch;
  private readonly lifetime = new AbortController();
  private readonly filter: SignalFilter | undefined;
  private position: string;
  private streamLoop: Promise<void> | null = null;
  private closed = false;
  private serverRetryMs: number | undefined;

  constructor(private readonly options: FluoOptions) {
    super();
    if (options === null || typeof options !== 'object' || typeof options.url !== 'string') {
      throw new TypeError("new Fluo(options): options.url is required, e.g. new Fluo({ url: 'http://localhost:3000' })");
    }
    let base: URL;
    try {
      base = new URL(options.url);
    } catch {
      throw new TypeError(`new Fluo(options): options.url '${options.url}' is not a URL such as http://localhost:3000`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new TypeError(`new Fluo(options): options.url must be http or https, got '${base.protocol}'`);
    const pathname = base.pathname.replace(/\/+$/, '');
    this.apiBase = `${base.origin}${pathname.endsWith('/api/v1') ? pathname : `${pathname}/api/v1`}`;
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== 'function') throw new TypeError('new Fluo(options): no fetch available: use Node 20 or later, or pass options.fetch');
    this.fetchImpl = fetchImpl;
    this.filter = options.filter;
    this.position = options.lastEventId === undefined ? '' : String(options.lastEventId);
    if (this.position !== '' && !/^\d+$/.test(this.position)) throw new TypeError(`new Fluo(options): options.lastEventId must be a signal seq (a whole number), got '${this.position}'`);

    if (options.signal) {
      if (options.signal.aborted) this.close();
      else options.signal.addEventListener('abort', () => this.close(), { once: true });
    }

    (this as EventEmitter).on('newListener', (event: string | symbol) => {
      if ((event === 'signal' || event === 'data') && this.streamLoop === null && !this.closed) {
        // After the listener is added (newListener fires before), and outside the caller's stack.
        queueMicrotask(() => this.startStream());
      }
    });

    const enc = encodeURIComponent;
    this.rules = {
      list: (o) => this.request<RuleList>('GET', '/rules', { ...o }),
      get: (id, o) => this.request<Rule>('GET', `/rules/${enc(id)}`, { ...o }),
      create: (rule, o) => this.request<Rule>('POST', '/rules', { ...o, body: rule }),
      update: (id, change, o) => this.request<Rule>('PATCH', `/rules/${enc(id)}`, { ...o, body: change }),
      delete: async (id, o) => { await this.request<void>('DELETE', `/rules/${enc(id)}`, { ...o }); },
      validate: (dsl, o) => this.request<RuleValidation>('POST', '/rules/validate', { ...o, body: { dsl } }),
      test: (req, o) => this.request<RuleTestResult>('POST', '/rules/test', { ...o, body: req }),
      versions: (id, o) => this.request<RuleVersionList>('GET', `/rules/${enc(id)}/versions`, { ...o }),
      precision: (id, query = {}, o) => this.request<RulePrecision>('GET', `/rules/${enc(id)}/precision`, { ...o, query: { ...query } }),
    };
    const self = this;
    this.signals = {
      list: (query = {}, o) => this.request<SignalPage>('GET', '/signals', { ...o, query: { ...query } }),
      async *iterate(query = {}, o) {
        let cursor: string | undefined;
        do {
          const page = await self.request<SignalPage>('GET', '/signals', { ...o, query: { ...query, cursor } });
          yield* page.signals;
          cursor = page.nextCursor ?? undefined;
        } while (cursor !== undefined);
      },
      get: (id, o) => this.request<SignalDetail>('GET', `/signals/${enc(id)}`, { ...o }),
      update: (id, change, o) => this.request<SignalDetail>('PATCH', `/signals/${enc(id)}`, { ...o, body: change }),
      updateMany: (ids, change, o) => this.request<BulkStatusResult>('POST', '/signals/status', { ...o, body: { ...change, ids: [...ids] } }),
    };
    this.traces = {
      list: (query = {}, o) => this.request<TracePage>('GET', '/traces', { ...o, query: { ...query } }),
      get: (traceId, o) => this.request<Trace>('GET', `/traces/${enc(traceId)}`, { ...o }),
    };
    this.notifications = {
      list: (query = {}, o) => this.request<NotificationPage>('GET', '/notifications', { ...o, query: { ...query } }),
      channels: {
        list: async (o) => (await this.request<{ channels: Channel[] }>('GET', '/notifications/channels', { ...o })).channels,
        get: (id, o) => this.request<Channel>('GET', `/notifications/channels/${enc(id)}`, { ...o }),
        create: (channel, o) => this.request<Channel>('POST', '/notifications/channels', { ...o, body: channel }),
        replace: (id, channel, o) => this.request<Channel>('PUT', `/notifications/channels/${enc(id)}`, { ...o, body: channel }),
        delete: async (id, o) => { await this.request<void>('DELETE', `/notifications/channels/${enc(id)}`, { ...o }); },
        test: (id, text, o) => this.request<ChannelTestResult>('POST', `/notifications/channels/${enc(id)}/test`, { ...o, body: text === undefined ? {} : { text } }),
        types: async (o) => (await this.request<{ types: ChannelType[] }>('GET', '/notifications/channel-types', { ...o })).types,
      },
    };
  }

  /** The id (seq) of the last signal the stream handled ('' before the first): save it to resume a later run with `lastEventId`. */
  get lastEventId(): string {
    return this.position;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * An OpenTelemetry span exporter (OTLP/HTTP protobuf) sending to this FLUO:
   * `new BatchSpanProcessor(fluoClient.traceExporter())`. Needs the optional
   * peer dependency @opentelemetry/exporter-trace-otlp-proto. The endpoint
   * defaults to this server's host on port 4318 (`/v1/traces`).
   */
  traceExporter(options: TraceExporterOptions = {}): SpanExporterLike {
    const api = new URL(this.apiBase);
    const headers: Record<string, string> = { ...this.options.headers, ...options.headers };
    if (this.options.token !== undefined && headers.authorization === undefined && headers.Authorization === undefined) headers.authorization = `Bearer ${this.options.token}`;
    return createTraceExporter({
      ...options,
      url: options.url ?? `${api.protocol}//${api.hostname.includes(':') ? `[${api.hostname.replace(/^\[|\]$/g, '')}]` : api.hostname}:4318/v1/traces`,
      headers,
    });
  }

  /** Ends the stream and cancels requests in flight. Idempotent; resolves when the stream has stopped. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.lifetime.abort(new FluoApiError({ code: 'CLOSED', message: 'the FLUO client was closed', status: 0, request: '' }));
    }
    await this.streamLoop;
  }

  // ---- REST ----------------------------------------------------------------

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.options.headers, ...extra };
    if (this.options.token !== undefined) headers.authorization = `Bearer ${this.options.token}`;
    return headers;
  }

  private async request<T>(method: string, path: string, init: { body?: unknown; query?: Query; signal?: AbortSignal }): Promise<T> {
    let url = `${this.apiBase}${path}`;
    if (init.query) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(init.query)) if (v !== undefined && v !== '') params.set(k, String(v));
      const qs = params.toString();
      if (qs) url += `?${qs}`;
    }
    const what = `${method} ${url}`;
    const signal = init.signal ? AbortSignal.any([this.lifetime.signal, init.signal]) : this.lifetime.signal;
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers: this.headers(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal,
      });
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw new FluoApiError({ code: 'UNREACHABLE', message: `${what} failed: ${describe(err)}`, status: 0, request: what, cause: err });
    }
    if (!response.ok) throw await errorFromResponse(response, what);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new FluoApiError({ code: 'BAD_RESPONSE', message: `${what} answered a body that is not JSON`, status: response.status, request: what, cause: err });
    }
  }

  // ---- stream --------------------------------------------------------------

  private startStream(): void {
    if (this.streamLoop !== null || this.closed) return;
    this.streamLoop = this.runStream().catch((err) => {
      // runStream handles its errors; this is a defect, reported rather than lost.
      this.report(err instanceof Error ? err : new Error(String(err)));
    });
  }

  private report(error: Error): void {
    if (this.listenerCount('error') > 0) this.safeEmit('error', error);
  }

  /** Emits; a listener that throws is rethrown outside the stream loop, as it would be from a plain emitter. */
  private safeEmit<K extends keyof FluoEventMap>(event: K, ...args: FluoEventMap[K]): void {
    try {
      (this.emit as (e: K, ...a: FluoEventMap[K]) => boolean)(event, ...args);
    } catch (err) {
      queueMicrotask(() => { throw err; });
    }
  }

  private async runStream(): Promise<void> {
    let attempt = 0;
    while (!this.closed) {
      let error: Error | undefined;
      let permanent = false;
      let delivered = false;
      try {
        delivered = await this.streamOnce(() => { attempt = 0; });
      } catch (err) {
        if (this.closed) break;
        error = err instanceof Error ? err : new Error(String(err));
        // Answers that retrying cannot change: a bad request (e.g. a malformed Last-Event-ID), missing or refused credentials.
        permanent = err instanceof FluoApiError && (err.status === 400 || err.status === 401 || err.status === 403);
      }
      if (this.closed) break;
      if (error) this.report(error);
      if (permanent) {
        this.safeEmit('disconnected', { error, retryInMs: null });
        return;
      }
      if (delivered) attempt = 0;
      const base = this.options.reconnect?.initialDelayMs ?? this.serverRetryMs ?? 1000;
      const max = this.options.reconnect?.maxDelayMs ?? 30_000;
      const retryAfterMs = error instanceof FluoApiError && error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : 0;
      const ceiling = Math.min(max, base * 2 ** Math.min(attempt, 20));
      // "Equal jitter": half fixed, half random, so many clients do not reconnect in step.
      const delay = Math.max(retryAfterMs, Math.round(ceiling / 2 + Math.random() * (ceiling / 2)));
      attempt++;
      this.safeEmit('disconnected', { error, retryInMs: delay });
      await sleep(delay, this.lifetime.signal);
    }
  }

  /** One connection: resolves when the server ends the stream; rejects on failure. Returns whether it connected. */
  private async streamOnce(onConnected: () => void): Promise<boolean> {
    const connection = new AbortController();
    const stopConnection = (): void => connection.abort(this.lifetime.signal.reason);
    this.lifetime.signal.addEventListener('abort', stopConnection, { once: true });
    const idleTimeoutMs = this.options.idleTimeoutMs ?? 45_000;
    let idleTimer: NodeJS.Timeout | undefined;
    const armIdle = (): void => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => connection.abort(new FluoApiError({ code: 'UNREACHABLE', message: `the signal stream was silent for ${idleTimeoutMs} ms (no event, no heartbeat): reconnecting`, status: 0, request: 'GET /signals/stream' })), idleTimeoutMs);
    };
    const url = `${this.apiBase}/signals/stream`;
    const what = `GET ${url}`;
    try {
      armIdle();
      let response: Response;
      try {
        response = await this.fetchImpl(url, {
          headers: this.headers({ accept: 'text/event-stream', ...(this.position !== '' ? { 'last-event-id': this.position } : {}) }),
          signal: connection.signal,
        });
      } catch (err) {
        if (connection.signal.aborted) throw connection.signal.reason;
        throw new FluoApiError({ code: 'UNREACHABLE', message: `${what} failed: ${describe(err)}`, status: 0, request: what, cause: err });
      }
      if (!response.ok) throw await errorFromResponse(response, what);
      if (!response.body || !/^text\/event-stream\b/i.test(response.headers.get('content-type') ?? '')) {
        await response.body?.cancel().catch(() => {});
        throw new FluoApiError({ code: 'BAD_RESPONSE', message: `${what} did not answer an event stream (content-type '${response.headers.get('content-type') ?? ''}')`, status: response.status, request: what });
      }
      onConnected();
      this.safeEmit('connected', { lastEventId: this.position });

      const events: ServerSentEvent[] = [];
      const parser = new EventStreamParser({
        onEvent: (e) => events.push(e),
        onRetry: (ms) => { this.serverRetryMs = ms; },
      }, this.position);
      const reader = response.body.getReader();
      try {
        for (;;) {
          let chunk: Awaited<ReturnType<typeof reader.read>>;
          try {
            chunk = await reader.read();
          } catch (err) {
            if (connection.signal.aborted) throw connection.signal.reason;
            throw new FluoApiError({ code: 'UNREACHABLE', message: `the signal stream broke: ${describe(err)}`, status: 0, request: what, cause: err });
          }
          if (chunk.done) {
            parser.end();
            return true;
          }
          armIdle();
          parser.push(chunk.value);
          while (events.length > 0) {
            const event = events.shift()!;
            await this.handleEvent(event, connection.signal);
            if (this.closed) return true;
          }
        }
      } finally {
        reader.cancel().catch(() => {});
      }
    } finally {
      clearTimeout(idleTimer);
      this.lifetime.signal.removeEventListener('abort', stopConnection);
    }
  }

  private async handleEvent(event: ServerSentEvent, signal: AbortSignal): Promise<void> {
    if (event.type !== 'signal') return;
    let record: Signal;
    try {
      record = JSON.parse(event.data) as Signal;
    } catch (err) {
      this.position = event.lastEventId;
      this.report(new FluoApiError({ code: 'BAD_RESPONSE', message: `signal event ${event.lastEventId} is not JSON: skipped`, status: 0, request: 'GET /signals/stream', cause: err }));
      return;
    }
    if (this.matches(record) && !this.closed) {
      let data: SignalData | undefined;
      if (this.listenerCount('data') > 0) {
        // Read before emitting anything: failing here reconnects from the previous position, so the signal comes again.
        const detail = await this.request<SignalDetail>('GET', `/signals/${encodeURIComponent(record.id)}`, { signal });
        const byId = new Map<string, Span>(detail.evidence.spans.map((s) => [s.spanId, s]));
        const spans = record.spanIds.map((id) => byId.get(id)).filter((s): s is Span => s !== undefined);
        data = { signal: record, span: spans[0], spans, detail };
      }
      if (this.closed) return;
      this.safeEmit('signal', record);
      if (data) this.safeEmit('data', data);
    }
    this.position = event.lastEventId;
  }

  private matches(signal: Signal): boolean {
    const f = this.filter;
    if (!f) return true;
    if (f.ruleIds && !f.ruleIds.includes(signal.ruleId)) return false;
    if (f.severities && !f.severities.includes(signal.severity)) return false;
    return true;
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) { resolve(); return; }
    const done = (): void => { clearTimeout(timer); signal.removeEventListener('abort', done); resolve(); };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
