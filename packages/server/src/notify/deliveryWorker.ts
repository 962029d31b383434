/**
 * The delivery worker: takes due outbox rows from the store and hands them
 * to their channel's notifier, at most `concurrency` at a time.
 *
 * Claims hold a lease (longer than any attempt's timeout); a process that
 * dies mid-delivery leaves its rows to be claimed again when the lease ends.
 * Outcomes: delivered → done; failed → marked failed with the reason; retry
 * → pending again after an exponential back-off with jitter: the n-th attempt
 * waits a random time between half and all of min(maxRetryDelay,
 * retryInitialDelay × 2^(n-1)), and at least what the receiver's Retry-After
 * asked. Rows older than `maxAge` are expired; rows done for longer than
 * `retention` are deleted (checked every minute). Order per rule per channel
 * comes from the claim (store contract).
 *
 * close() stops claiming, lets deliveries in flight finish for a while, then
 * aborts the rest and records them as retries due at once, so that the next
 * start sends them without waiting for their lease. Idempotent.
 */
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { FluoMetrics } from '../metrics/fluoMetrics.js';
import type { DeliveryOutcomeRecord, NotificationRecord, Store } from '../store/store.js';
import type { DeliveryResult } from './notifier.js';
import type { NotificationRouter } from './notificationRouter.js';

export interface DeliveryWorkerOptions {
  store: Store;
  router: NotificationRouter;
  metrics: () => FluoMetrics;
  log: Logger;
  /** For tests: the random source of the jitter. */
  random?: () => number;
}

export interface DeliveryWorkerStats {
  inFlight: number;
  delivered: number;
  retried: number;
  failed: number;
  expired: number;
}

export function backoffDelay(attempt: number, initial: number, max: number, random: () => number = Math.random): number {
  const ceiling = Math.min(max, initial * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.round(ceiling / 2 + random() * ceiling / 2);
}

export class DeliveryWorker {
  private readonly inFlight = new Map<number, { abort: AbortController; done: Promise<void> }>();
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private again = false;
  private closing: Promise<void> | null = null;
  private lastExpiry = 0;
  private lastPrune = 0;
  private readonly counts = { delivered: 0, retried: 0, failed: 0, expired: 0 };

  constructor(private readonly options: DeliveryWorkerOptions) {}

  start(): void {
    if (this.timer || this.closing) return;
    this.timer = setInterval(() => this.wake(), this.options.router.config.pollInterval);
    this.wake();
  }

  stats(): DeliveryWorkerStats {
    return { inFlight: this.inFlight.size, ...this.counts };
  }

  /** Looks for due rows now (called when signals are stored and when a delivery ends). */
  wake(): void {
    if (this.closing) return;
    if (this.polling) { this.again = true; return; }
    this.polling = this.poll().finally(() => {
      this.polling = null;
      if (this.again) { this.again = false; this.wake(); }
    });
  }

  private async poll(): Promise<void> {
    const { store, router, log } = this.options;
    const config = router.config;
    try {
      const now = Date.now();
      if (now - this.lastExpiry >= Math.min(60_000, config.pollInterval)) {
        this.lastExpiry = now;
        const expired = await store.expireNotifications(now - config.maxAge, now);
        if (expired > 0) {
          this.counts.expired += expired;
          this.options.metrics().notificationsExpired.inc({}, expired);
          log.warn(`${expired} notification(s) expired undelivered after ${Math.round(config.maxAge / 1000)} s`);
        }
      }
      if (now - this.lastPrune >= 60_000) {
        this.lastPrune = now;
        await store.pruneNotifications(now - config.retention);
      }
      const free = config.concurrency - this.inFlight.size;
      if (free <= 0 || this.closing) return;
      const leaseMs = this.leaseMs();
      const rows = await store.claimNotifications({ now: Date.now(), limit: free, leaseMs });
      for (const row of rows) this.start1(row);
    } catch (err) {
      if (!this.closing) log.error(`notification delivery: ${describeError(err)}`);
    }
  }

  /** Longer than any channel's timeout, so a live delivery never loses its claim. */
  private leaseMs(): number {
    let longest = 0;
    for (const c of this.options.router.list()) longest = Math.max(longest, c.parsed.common.timeout);
    return Math.max(30_000, longest * 2 + 5000);
  }

  private start1(row: NotificationRecord): void {
    const abort = new AbortController();
    const done = this.deliver(row, abort).finally(() => {
      this.inFlight.delete(row.n);
      this.wake();
    });
    this.inFlight.set(row.n, { abort, done });
  }

  private async deliver(row: NotificationRecord, shutdown: AbortController): Promise<void> {
    const { store, router, log } = this.options;
    const config = router.config;
    let channel = router.channel(row.channelId);
    let result: DeliveryResult;
    const started = performance.now();
    let channelsRead = true;
    if (!channel || !channel.record.enabled) {
      // Another instance sharing the store may have made or enabled it a moment ago: look again before failing the row.
      try {
        await router.refresh();
        channel = router.channel(row.channelId);
      } catch (err) {
        channelsRead = false;
        log.warn(`cannot read the notification channels: ${describeError(err)}`);
      }
    }
    const type = channel?.record.type ?? 'unknown';
    if (!channelsRead) {
      result = { outcome: 'retry', reason: `channel '${row.channelId}' is unknown here and the channels cannot be read now` };
    } else if (!channel) {
      result = { outcome: 'failed', reason: `channel '${row.channelId}' no longer exists` };
    } else if (!channel.record.enabled) {
      result = { outcome: 'failed', reason: `channel '${row.channelId}' was disabled` };
    } else {
      const signal = AbortSignal.any([shutdown.signal, AbortSignal.timeout(channel.parsed.common.timeout)]);
      try {
        result = await router.notifier(channel).deliver(router.message(row, channel), { signal });
      } catch (err) {
        result = { outcome: 'retry', reason: (err as Error).message };
      }
      if (shutdown.signal.aborted && result.outcome !== 'delivered') result = { outcome: 'retry', reason: 'FLUO stopped during the delivery' };
    }
    const metrics = this.options.metrics();
    metrics.notificationAttempts.inc({ channel: row.channelId, type, outcome: result.outcome });
    metrics.notificationDuration.observe((performance.now() - started) / 1000, { type });
    const at = Date.now();
    let outcome: DeliveryOutcomeRecord;
    if (result.outcome === 'delivered') {
      outcome = { status: 'delivered', at };
      this.counts.delivered++;
    } else if (result.outcome === 'failed') {
      outcome = { status: 'failed', at, error: result.reason };
      this.counts.failed++;
      log.warn(`notification ${row.key} to channel '${row.channelId}' failed for good: ${result.reason}`);
    } else {
      const delay = shutdown.signal.aborted ? 0 : Math.max(result.retryAfterMs ?? 0, backoffDelay(row.attempts, config.retryInitialDelay, config.maxRetryDelay, this.options.random));
      outcome = { status: 'retry', at, nextAttemptAt: at + delay, error: result.reason };
      this.counts.retried++;
      if (row.attempts === 1 || row.attempts % 10 === 0) log.warn(`notification ${row.key} to channel '${row.channelId}' will be retried (attempt ${row.attempts}): ${result.reason}`);
    }
    try {
      await store.completeNotification(row.n, row.attempts, outcome);
    } catch (err) {
      log.error(`recording the outcome of notification ${row.key}: ${describeError(err)} (it is sent again when its lease ends)`);
    }
  }

  /** Stops as described above; `graceMs` is how long deliveries in flight may take. */
  close(graceMs = 2000): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      await this.polling;
      const pending = [...this.inFlight.values()];
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(pending.map((p) => p.done)),
        new Promise((resolve) => { timer = setTimeout(resolve, graceMs); }),
      ]);
      clearTimeout(timer);
      for (const p of this.inFlight.values()) p.abort.abort(new Error('FLUO is stopping'));
      await Promise.all([...this.inFlight.values()].map((p) => p.done));
    })();
    return this.closing;
  }
}
