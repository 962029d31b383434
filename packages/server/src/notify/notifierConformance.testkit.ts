/**
 * The behaviour every notifier shares (contract in notifier.ts), run against
 * each entry of `notifiers` with a real HTTP receiver: accepted → delivered;
 * 5xx, 429 (with Retry-After), unreachable and hanging receivers → retry with
 * a reason; other 4xx → failed; every kind of message is sent; close() is
 * idempotent. Channel-specific checks (signature, payload formats, the real
 * Alertmanager) live in the end-to-end notification tests.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpReceiver } from './httpReceiver.testkit.js';
import type { NotificationMessage, Notifier, SignalSnapshot } from './notifier.js';
import { parseChannelSettings } from './notifiers.js';
import type { NotificationKind } from '../store/store.js';

export interface NotifierUnderTest {
  type: string;
  /** Valid settings sending to the receiver at `baseUrl`. */
  settings(baseUrl: string): Record<string, unknown>;
  /** The answer of a receiver that accepted. */
  accepted: { status: number; body: string; headers?: Record<string, string> };
}

const T0 = 1_760_000_000_000;

export function testSnapshot(overrides: Partial<SignalSnapshot> = {}): SignalSnapshot {
  return {
    id: 'sig-1', ruleId: 'payment-without-audit', ruleName: 'Payment <without> audit & log', ruleVersion: 2, severity: 'critical',
    traceId: 'a'.repeat(32), spanIds: ['b'.repeat(16)], message: 'POST /pay had no audit.log span', detectedAt: T0, services: ['payments'],
    tags: ['pci'], witnesses: [{ spanId: 'b'.repeat(16), name: 'POST /pay', service: 'payments', status: 'ERROR', durationMs: 12.5 }], ...overrides,
  };
}

export function testMessage(kind: NotificationKind, overrides: Partial<NotificationMessage> = {}): NotificationMessage {
  return {
    kind, key: `sig-1:ch:${kind}`, signal: kind === 'test' ? null : testSnapshot(),
    summary: kind === 'summary' ? { count: 37, windowStart: T0, windowEnd: T0 + 300_000, groupKey: 'payment-without-audit' } : null,
    links: kind === 'test' ? null : { signal: 'http://fluo.test/api/v1/signals/sig-1', trace: `http://fluo.test/api/v1/traces/${'a'.repeat(32)}` },
    title: `title of ${kind}`, text: `text of ${kind}`, at: T0 + 1000, ...overrides,
  };
}

export function describeNotifierConformance(subject: NotifierUnderTest): void {
  describe(`Notifier conformance: ${subject.type}`, () => {
    let receiver: HttpReceiver;
    const notifiers: Notifier[] = [];
    const make = (baseUrl: string, timeout = '2s'): Notifier => {
      const parsed = parseChannelSettings(subject.type, { ...subject.settings(baseUrl), timeout }, 'settings');
      const n = parsed.factory.create(parsed.settings, parsed.common);
      notifiers.push(n);
      return n;
    };
    const attempt = (n: Notifier, message: NotificationMessage, timeoutMs = 2000) => n.deliver(message, { signal: AbortSignal.timeout(timeoutMs) });

    beforeEach(async () => {
      receiver = await HttpReceiver.start();
      receiver.respond = () => ({ status: subject.accepted.status, body: subject.accepted.body, headers: { 'content-type': 'application/json', ...subject.accepted.headers } });
    });
    afterEach(async () => {
      await Promise.all(notifiers.splice(0).map((n) => n.close()));
      await receiver.close();
    });

    it('delivers every kind of notification to a receiver that accepts', async () => {
      const n = make(receiver.url);
      for (const kind of ['trigger', 'resolve', 'summary', 'test'] as const) {
        expect(await attempt(n, testMessage(kind)), kind).toMatchObject({ outcome: 'delivered' });
      }
      expect(receiver.requests.length).toBe(4);
      for (const r of receiver.requests) expect(r.method).toBe('POST');
    });

    it('asks for a retry, with the reason, when the receiver fails or is busy', async () => {
      const n = make(receiver.url);
      receiver.respond = () => ({ status: 503, body: 'down for maintenance' });
      const busy = await attempt(n, testMessage('trigger'));
      expect(busy.outcome).toBe('retry');
      // The OTLP SDK retries such answers itself and reports only that the status was retryable.
      expect((busy as { reason: string }).reason).toMatch(/503|retryable/);
      receiver.respond = () => ({ status: 429, headers: { 'retry-after': '7' }, body: 'slow down' });
      const limited = await attempt(n, testMessage('trigger'));
      expect(limited.outcome).toBe('retry');
      expect((limited as { reason: string }).reason).toMatch(/429|retryable/);
    });

    it('fails for good when the receiver refuses the notification (4xx)', async () => {
      const n = make(receiver.url);
      receiver.respond = () => ({ status: 400, body: '{"error":"invalid payload"}' });
      const result = await attempt(n, testMessage('trigger'));
      expect(result.outcome).toBe('failed');
      expect((result as { reason: string }).reason).toMatch(/400/);
    });

    it('asks for a retry when the receiver is unreachable or does not answer in time', async () => {
      const address = receiver.url;
      await receiver.close();
      const unreachable = await attempt(make(address), testMessage('trigger'));
      expect(unreachable.outcome).toBe('retry');
      expect((unreachable as { reason: string }).reason).not.toBe('');
      receiver = await HttpReceiver.start();
      receiver.respond = () => 'hang';
      const hanging = await attempt(make(receiver.url, '300ms'), testMessage('trigger'), 300);
      expect(hanging.outcome).toBe('retry');
    });

    it('closes idempotently', async () => {
      const n = make(receiver.url);
      await n.close();
      await n.close();
    });
  });
}
