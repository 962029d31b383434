/**
 * Generic webhook: one JSON POST per notification, signed.
 *
 * Signature (when `secret` is set): `X-Fluo-Timestamp` is the send time in
 * unix seconds and `X-Fluo-Signature` is `sha256=` + hex HMAC-SHA256, keyed
 * with the secret, of `<timestamp>.<raw body>`. A receiver recomputes it over
 * the bytes it got, compares in constant time, and rejects timestamps too far
 * from its clock (replays). `X-Fluo-Idempotency-Key` is the same over retries.
 */
import { createHmac } from 'node:crypto';
import type { SettingsReader } from './channelSettings.js';
import { postHttp, type DeliveryOptions, type DeliveryResult, type NotificationMessage, type Notifier } from './notifier.js';

export interface WebhookSettings {
  url: string;
  secret: string;
  headers: Record<string, string>;
}

const RESERVED_HEADERS = ['content-type', 'x-fluo-signature', 'x-fluo-timestamp', 'x-fluo-idempotency-key', 'content-length', 'host'];

export function parseWebhookSettings(r: SettingsReader): WebhookSettings {
  const headers = r.stringMap('headers');
  for (const name of Object.keys(headers)) {
    if (RESERVED_HEADERS.includes(name.toLowerCase())) r.problem(`headers.${name}`, 'is set by FLUO and cannot be configured');
    else if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) r.problem(`headers.${name}`, 'is not a valid HTTP header name');
  }
  return { url: r.url('url', { required: true }), secret: r.string('secret'), headers };
}

/** `sha256=<hex>` of `<timestamp>.<body>`; exported for receivers written in TypeScript and for tests. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export function webhookBody(message: NotificationMessage): Record<string, unknown> {
  return {
    kind: message.kind,
    idempotencyKey: message.key,
    title: message.title,
    text: message.text,
    at: new Date(message.at).toISOString(),
    signal: message.signal,
    summary: message.summary,
    links: message.links,
  };
}

export class WebhookNotifier implements Notifier {
  readonly type = 'webhook';
  constructor(private readonly settings: WebhookSettings) {}

  async deliver(message: NotificationMessage, options: DeliveryOptions): Promise<DeliveryResult> {
    const body = JSON.stringify(webhookBody(message));
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers: Record<string, string> = {
      ...this.settings.headers,
      'content-type': 'application/json',
      'user-agent': 'fluo-notifier',
      'x-fluo-idempotency-key': message.key,
      'x-fluo-timestamp': timestamp,
    };
    if (this.settings.secret !== '') headers['x-fluo-signature'] = webhookSignature(this.settings.secret, timestamp, body);
    return postHttp(this.settings.url, { headers, body, signal: options.signal }, 'the webhook');
  }

  async close(): Promise<void> {}
}
