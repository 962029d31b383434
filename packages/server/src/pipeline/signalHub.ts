/**
 * Tells SSE streams that new signals were stored. It carries no signals,
 * only the highest stored seq: each stream reads what it has not sent yet
 * from the store, so a slow client costs no memory here and misses nothing,
 * and replay (Last-Event-ID) and live delivery are the same code path.
 */
import type { SignalRecord } from '../store/store.js';

export class SignalHub {
  private seq: number;
  private waiters = new Set<() => void>();
  private closed = false;

  constructor(lastSeq: number) {
    this.seq = lastSeq;
  }

  /** Highest seq stored so far. */
  get lastSeq(): number {
    return this.seq;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get waiting(): number {
    return this.waiters.size;
  }

  publish(stored: readonly SignalRecord[]): void {
    let max = this.seq;
    for (const s of stored) if (s.seq > max) max = s.seq;
    this.advance(max);
  }

  /** Signals up to `lastSeq` are stored (e.g. by another instance sharing the store): wakes the streams if that is news. */
  advance(lastSeq: number): void {
    if (lastSeq <= this.seq) return;
    this.seq = lastSeq;
    this.wake();
  }

  /** Resolves when a signal with seq > `afterSeq` is stored, the hub closes, or `signal` aborts. */
  waitForNewer(afterSeq: number, signal?: AbortSignal): Promise<void> {
    if (this.seq > afterSeq || this.closed || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** Wakes every waiter for good. Idempotent. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const w of waiters) w();
  }
}
