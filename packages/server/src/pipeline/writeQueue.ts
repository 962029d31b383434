/**
 * The bounded queue between the detector and the store. The detector is
 * synchronous and in memory; the store may be slow or down. Signals (with
 * their evidence) and completed traces wait here and are written in batches,
 * one transaction per batch, in arrival order.
 *
 * Bounds and loss: the queue is weighed in spans. At `maxSpans` it reports
 * `behind`, and the pipeline refuses new OTLP requests (503) until it drains,
 * so the queue only grows by what the detector already holds. A write that
 * fails transiently (busy, disk full) is retried with backoff (capped at 5 s)
 * for as long as the server runs. A batch that fails permanently
 * (PermanentWriteError: data the store can never take) is written again one
 * item at a time, so that only the item at fault is dropped, with an error
 * log and a count (`onDropped`) rather than blocking the queue for good. At
 * close, items still unwritten after the close timeout are counted and
 * logged. Nothing is dropped silently.
 */
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import { PermanentWriteError, type NewSignal, type NewTrace, type SignalRecord, type Store } from '../store/store.js';

export type WriteItem =
  | { kind: 'signal'; signal: NewSignal; phase: 'ingest' | 'completion'; arrivedAt: number }
  | { kind: 'trace'; trace: NewTrace };

export interface WriteQueueOptions {
  maxSpans: number;
  /** Largest batch, in spans (one transaction). */
  batchSpans?: number;
  /** Called after each committed batch with the newly stored signals and the items of the batch. */
  onWritten(stored: SignalRecord[], items: readonly WriteItem[]): void;
  onWriteError?(err: unknown): void;
  /** Called for an item dropped because the store can never take it. */
  onDropped?(item: WriteItem, err: unknown): void;
  log: Logger;
}

export interface WriteQueueStats {
  items: number;
  spans: number;
  written: number;
  writeErrors: number;
  dropped: number;
}

function describeItem(item: WriteItem): string {
  return item.kind === 'signal'
    ? `signal ${item.signal.signal.id} (rule ${item.signal.signal.ruleId}, trace ${item.signal.signal.traceId})`
    : `trace ${item.trace.traceId} (${item.trace.spanCount} spans)`;
}

function weight(item: WriteItem): number {
  return 1 + (item.kind === 'signal' ? item.signal.evidence.length : item.trace.spanCount);
}

export class WriteQueue {
  private readonly items: WriteItem[] = [];
  private spans = 0;
  private running = false;
  private closing: Promise<number> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private backoffMs = 0;
  private idleWaiters: Array<() => void> = [];
  private written = 0;
  private writeErrors = 0;
  private dropped = 0;
  /** Set when close() timed out: no more retries. */
  private gaveUp = false;
  /** Items to write one at a time, after a batch failed permanently. */
  private isolate = 0;

  constructor(private readonly store: Store, private readonly options: WriteQueueOptions) {}

  /** Always accepts: bounding happens upstream through `behind`. */
  push(item: WriteItem): void {
    this.items.push(item);
    this.spans += weight(item);
    this.schedule();
  }

  /** True when the queue holds `maxSpans` or more. */
  get behind(): boolean {
    return this.spans >= this.options.maxSpans;
  }

  stats(): WriteQueueStats {
    return { items: this.items.length, spans: this.spans, written: this.written, writeErrors: this.writeErrors, dropped: this.dropped };
  }

  /** Resolves when everything pushed so far is written (or close gave up). */
  idle(): Promise<void> {
    if (this.items.length === 0 && !this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.running || this.retryTimer !== null) return;
    this.running = true;
    setImmediate(() => { void this.drain(); });
  }

  private takeBatch(): WriteItem[] {
    if (this.isolate > 0) return this.items.slice(0, 1);
    const limit = this.options.batchSpans ?? 20_000;
    let total = 0;
    let n = 0;
    while (n < this.items.length && (n === 0 || total + weight(this.items[n]) <= limit)) {
      total += weight(this.items[n]);
      n++;
    }
    return this.items.slice(0, n);
  }

  private async drain(): Promise<void> {
    while (this.items.length > 0) {
      const batch = this.takeBatch();
      let stored: SignalRecord[];
      try {
        stored = await this.store.write({
          signals: batch.flatMap((i) => (i.kind === 'signal' ? [i.signal] : [])),
          traces: batch.flatMap((i) => (i.kind === 'trace' ? [i.trace] : [])),
        });
      } catch (err) {
        this.writeErrors++;
        this.options.onWriteError?.(err);
        if (err instanceof PermanentWriteError) {
          if (batch.length > 1) {
            this.isolate = batch.length;
            continue;
          }
          this.isolate = Math.max(0, this.isolate - 1);
          this.items.shift();
          this.spans -= weight(batch[0]);
          this.dropped++;
          this.options.log.error(`dropped ${describeItem(batch[0])}: ${describeError(err)}`);
          this.options.onDropped?.(batch[0], err);
          continue;
        }
        this.backoffMs = Math.min(Math.max(this.backoffMs * 2, 100), 5000);
        this.options.log.error(`store write failed (${this.items.length} items waiting, retrying in ${this.backoffMs} ms): ${describeError(err)}`);
        this.running = false;
        if (!this.gaveUp) {
          this.retryTimer = setTimeout(() => { this.retryTimer = null; this.schedule(); }, this.backoffMs);
        }
        return;
      }
      this.backoffMs = 0;
      if (this.isolate > 0) this.isolate--;
      this.items.splice(0, batch.length);
      for (const item of batch) this.spans -= weight(item);
      this.written += batch.length;
      try {
        this.options.onWritten(stored, batch);
      } catch (err) {
        this.options.log.error(`after store write: ${describeError(err)}`);
      }
    }
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * Writes what is queued, waiting at most `timeoutMs`. Resolves to the number
   * of items left unwritten (0 normally). Idempotent: later calls return the
   * first call's promise.
   */
  close(timeoutMs: number): Promise<number> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs); });
      const outcome = await Promise.race([this.idle().then(() => 'idle' as const), timeout]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        this.gaveUp = true;
        if (this.retryTimer) clearTimeout(this.retryTimer);
        this.retryTimer = null;
        const left = this.items.length;
        this.options.log.error(`store did not take ${left} queued items (signals and traces) within ${timeoutMs} ms of shutdown: they are lost`);
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
        return left;
      }
      return 0;
    })();
    return this.closing;
  }
}
