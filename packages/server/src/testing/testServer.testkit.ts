/**
 * Helpers for tests that run the real server: start it on free ports in a
 * temporary data folder, call its API, wait for conditions with a deadline
 * (never a fixed sleep), and read its SSE stream with a real HTTP client.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeJsonTraces, encodeProtobufTraces, type Span } from '@fluohq/engine';
import { DEFAULT_CONFIG, type ServerConfig } from '../config/config.js';
import { createLogger } from '../logger.js';
import { startServer, type RunningServer } from '../server.js';

export interface TestServer {
  server: RunningServer;
  config: ServerConfig;
  dataDir: string;
  /** fetch against the REST API. */
  api(pathAndQuery: string, init?: RequestInit): Promise<Response>;
  /** fetch against the REST API, JSON in and out. */
  json<T = any>(pathAndQuery: string, init?: Omit<RequestInit, 'body'> & { body?: unknown }): Promise<{ status: number; body: T; headers: Headers }>;
  /** POST /v1/traces on the OTLP/HTTP receiver, as OTLP/JSON. */
  sendJson(spans: Span[]): Promise<Response>;
  sendProtobuf(spans: Span[]): Promise<Response>;
  /** Closes the server (idempotent); removes the data folder unless `keepData`. */
  close(options?: { keepData?: boolean }): Promise<void>;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `fluo-${prefix}-`));
}

export function testConfig(dataDir: string, overrides: Partial<ServerConfig> = {}): ServerConfig {
  return {
    ...DEFAULT_CONFIG,
    host: '127.0.0.1',
    port: 0,
    otlpHttpPort: 0,
    otlpGrpcPort: 0,
    dataDir,
    logLevel: 'silent',
    idleTimeout: 200,
    maxTraceLifetime: 60_000,
    tickInterval: 20,
    ...overrides,
  };
}

export async function startTestServer(overrides: Partial<ServerConfig> = {}, dataDir: string = tempDir('server')): Promise<TestServer> {
  const config = testConfig(dataDir, overrides);
  const server = await startServer(config, { log: createLogger(config.logLevel) });
  const api = (p: string, init?: RequestInit) => fetch(`${server.urls.api}${p}`, init);
  let closed = false;
  return {
    server,
    config,
    dataDir,
    api,
    async json(p, init = {}) {
      const { body, headers, ...rest } = init;
      const res = await api(p, {
        ...rest,
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(headers as Record<string, string> | undefined) },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
    },
    sendJson(spans) {
      return fetch(`${server.urls.otlpHttp}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(encodeJsonTraces(spans)) });
    },
    sendProtobuf(spans) {
      return fetch(`${server.urls.otlpHttp}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: encodeProtobufTraces(spans) });
    },
    async close(options = {}) {
      await server.close();
      if (!closed && !options.keepData) rmSync(dataDir, { recursive: true, force: true });
      closed = true;
    },
  };
}

/** Polls `probe` until it returns a value other than undefined/false/null, or fails after `timeout` ms saying what was awaited. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeout = 10_000): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
  /** Comment lines (heartbeats), without the leading ':'. */
  comments: string[];
}

/** A Server-Sent Events client over fetch and a stream reader. */
export class SseClient {
  private buffer = '';
  private readonly decoder = new TextDecoder();

  private constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>, private readonly abort: AbortController, readonly response: Response) {}

  static async connect(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const abort = new AbortController();
    const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
    if (!response.ok || !response.body) throw new Error(`SSE connect failed: ${response.status} ${await response.text()}`);
    return new SseClient(response.body.getReader(), abort, response);
  }

  /** The next event block (up to a blank line); rejects after `timeout` ms or when the stream ends. */
  async next(timeout = 10_000): Promise<SseEvent> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        const event: SseEvent = { comments: [] };
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) { event.comments.push(line.slice(1).trim()); continue; }
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'id' || field === 'event') event[field] = value;
          else if (field === 'data') event.data = event.data === undefined ? value : `${event.data}\n${value}`;
        }
        return event;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no SSE event within ${timeout} ms`);
      let timer: NodeJS.Timeout | undefined;
      const result = await Promise.race([
        this.reader.read(),
        new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), remaining); }),
      ]);
      clearTimeout(timer);
      if (result === 'timeout') throw new Error(`no SSE event within ${timeout} ms`);
      if (result.done) throw new Error('the SSE stream ended');
      this.buffer += this.decoder.decode(result.value, { stream: true });
    }
  }

  /** The next `signal` event (skipping comments-only blocks), parsed. */
  async nextSignal(timeout = 10_000): Promise<{ id: string; signal: any }> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const e = await this.next(Math.max(1, deadline - Date.now()));
      if (e.event === 'signal') return { id: e.id!, signal: JSON.parse(e.data!) };
    }
  }

  /** Resolves when the server ends the stream. */
  async ended(timeout = 10_000): Promise<void> {
    const deadline = Date.now() + timeout;
    for (;;) {
      try {
        await this.next(Math.max(1, deadline - Date.now()));
      } catch (err) {
        if ((err as Error).message === 'the SSE stream ended') return;
        throw err;
      }
    }
  }

  close(): void {
    this.abort.abort();
    this.reader.cancel().catch(() => {});
  }
}

/** A response's JSON body, untyped (tests assert on its shape). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function jsonOf(res: Response): Promise<any> {
  return res.json();
}
