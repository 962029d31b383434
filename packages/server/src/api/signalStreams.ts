/**
 * GET /api/v1/signals/stream: Server-Sent Events, one `signal` event per
 * stored signal, `id:` = the signal's seq.
 *
 * Each stream keeps only its position (the last seq sent) and reads what
 * follows from the store when the hub says something new was stored, so a
 * reconnecting client (Last-Event-ID header, or `lastEventId` query
 * parameter for clients that cannot set headers) gets exactly what it missed,
 * and a slow client is held back by the socket, not buffered in memory.
 * Without Last-Event-ID a stream starts with the signals stored after it
 * opened. Heartbeat comments keep proxies from closing idle streams.
 *
 * Bounds: at most `maxStreams` open streams (503 beyond); `close()` ends every
 * stream after sending what is stored, and is idempotent.
 */
import { FluoError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { SignalHub } from '../pipeline/signalHub.js';
import type { Store } from '../store/store.js';

export interface SignalStreamsOptions {
  store: Store;
  hub: SignalHub;
  heartbeatMs: number;
  log: Logger;
  maxStreams?: number;
}

const PAGE = 100;
const encoder = new TextEncoder();

export class SignalStreams {
  private readonly stops = new Set<() => void>();
  private closed = false;

  constructor(private readonly options: SignalStreamsOptions) {}

  get count(): number {
    return this.stops.size;
  }

  open(request: Request): Response {
    const { store, hub, heartbeatMs, log } = this.options;
    if (this.closed) throw new FluoError('UNAVAILABLE', 'FLUO is shutting down', { retryAfterSeconds: 5 });
    if (this.stops.size >= (this.options.maxStreams ?? 1000)) throw new FluoError('UNAVAILABLE', 'too many open signal streams', { retryAfterSeconds: 5 });
    const url = new URL(request.url);
    const lastEventId = request.headers.get('last-event-id') ?? url.searchParams.get('lastEventId');
    let position: number;
    if (lastEventId === null || lastEventId === '') {
      position = hub.lastSeq;
    } else if (/^\d+$/.test(lastEventId.trim())) {
      position = Number(lastEventId.trim());
    } else {
      throw new FluoError('VALIDATION', `Last-Event-ID must be the id of an event of this stream (a whole number), got '${lastEventId}'`, { details: [{ field: 'Last-Event-ID', message: 'not a whole number' }] });
    }

    const abort = new AbortController();
    const stop = (): void => abort.abort();
    request.signal?.addEventListener('abort', stop, { once: true });
    this.stops.add(stop);
    let pullWaiter: (() => void) | null = null;

    const finish = (): void => {
      this.stops.delete(stop);
      request.signal?.removeEventListener('abort', stop);
      pullWaiter?.();
    };

    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        const send = (text: string): void => controller.enqueue(encoder.encode(text));
        const room = (): Promise<void> => {
          if ((controller.desiredSize ?? 1) > 0 || abort.signal.aborted) return Promise.resolve();
          return new Promise((resolve) => { pullWaiter = () => { pullWaiter = null; resolve(); }; });
        };
        const run = async (): Promise<void> => {
          send(`retry: 2000\n: connected at ${position}\n\n`);
          let lastWrite = Date.now();
          while (!abort.signal.aborted) {
            const batch = await store.signalsAfter(position, PAGE);
            for (const s of batch) {
              if (abort.signal.aborted) break;
              await room();
              send(`id: ${s.seq}\nevent: signal\ndata: ${JSON.stringify(s)}\n\n`);
              position = s.seq;
              lastWrite = Date.now();
            }
            if (batch.length === PAGE) continue;
            if (hub.isClosed) break;
            const wait = Math.max(0, heartbeatMs - (Date.now() - lastWrite));
            let timer: NodeJS.Timeout | undefined;
            const beat = new Promise<'beat'>((resolve) => { timer = setTimeout(() => resolve('beat'), wait); });
            const outcome = await Promise.race([hub.waitForNewer(position, abort.signal).then(() => 'news' as const), beat]);
            clearTimeout(timer);
            if (outcome === 'beat' && !abort.signal.aborted) {
              await room();
              send(': heartbeat\n\n');
              lastWrite = Date.now();
            }
          }
        };
        run().then(
          () => { finish(); try { controller.close(); } catch { /* already cancelled */ } },
          (err) => {
            log.error(`signal stream: ${err instanceof Error ? err.message : String(err)}`);
            finish();
            try { controller.close(); } catch { /* already cancelled */ }
          },
        );
      },
      pull: () => { pullWaiter?.(); },
      cancel: () => { abort.abort(); finish(); },
    }, { highWaterMark: 64 });

    return new Response(body, {
      status: 200,
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      },
    });
  }

  /** Ends every stream (after it sent what is stored) and refuses new ones. Idempotent. */
  close(): void {
    this.closed = true;
    this.options.hub.close();
  }

  /** Ends every stream at once, sent or not (last resort at shutdown). */
  abortAll(): void {
    for (const stop of [...this.stops]) stop();
  }
}
