import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { createFluoMetrics } from '../metrics/fluoMetrics.js';
import { SqliteStore } from '../store/sqliteStore.js';
import { backoffDelay, DeliveryWorker } from './deliveryWorker.js';
import { HttpReceiver } from './httpReceiver.testkit.js';
import { NotificationRouter } from './notificationRouter.js';
import { parseNotificationsConfig } from './notificationsConfig.js';

describe('backoffDelay', () => {
  it('doubles per attempt up to the maximum, jittered between half and all of it', () => {
    expect([1, 2, 3, 4, 5, 10].map((a) => backoffDelay(a, 1000, 10_000, () => 1))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect([1, 2, 3, 4, 5, 10].map((a) => backoffDelay(a, 1000, 10_000, () => 0))).toEqual([500, 1000, 2000, 4000, 5000, 5000]);
    expect(backoffDelay(1000, 1000, 60_000, () => 0.5)).toBe(45_000);
  });
});

describe('DeliveryWorker', () => {
  it('records deliveries cut short by close() as retries due at once, and closes idempotently', async () => {
    const receiver = await HttpReceiver.start();
    receiver.respond = () => 'hang';
    const store = SqliteStore.open({ path: ':memory:', busyTimeout: 100 });
    const { config } = parseNotificationsConfig({ pollInterval: '20ms', channels: [{ id: 'slow', type: 'webhook', settings: { url: receiver.url, timeout: '1h' }, match: {} }] });
    const log = createLogger('silent');
    const router = new NotificationRouter({ config, store, log, ruleTags: () => [], linkBase: () => 'http://fluo.test' });
    const metrics = createFluoMetrics({ detector: () => ({ bufferedSpans: 0, bufferedTraces: 0, spansIngested: 0, spansRejected: 0, tracesCompleted: 0, tracesForced: 0, ruleEvaluations: 0, signals: 0 }), writeQueueSpans: () => 0, sseClients: () => 0 });
    const worker = new DeliveryWorker({ store, router, metrics: () => metrics, log });
    try {
      const [row] = await store.enqueueNotifications([{ key: 'k', channelId: 'slow', kind: 'test', signalId: null, ruleId: null, orderKey: 'test', payload: { signal: null, text: 'x' }, createdAt: Date.now() }]);
      worker.start();
      await expect.poll(() => worker.stats().inFlight, { timeout: 5000 }).toBe(1);
      const before = Date.now();
      await Promise.all([worker.close(50), worker.close(50)]);
      await worker.close();
      const after = await store.getNotification(row.n);
      expect(after).toMatchObject({ status: 'pending', attempts: 1, lastError: 'FLUO stopped during the delivery', leaseUntil: null });
      expect(after!.nextAttemptAt).toBeGreaterThanOrEqual(before);
      expect(after!.nextAttemptAt).toBeLessThanOrEqual(Date.now());
      expect(worker.stats()).toMatchObject({ inFlight: 0, retried: 1 });
    } finally {
      await router.close();
      await store.close();
      await receiver.close();
    }
  });
});
