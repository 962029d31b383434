/**
 * The contract every notification channel implements.
 *
 * A delivery attempt (`deliver`) resolves, never rejects, to one of:
 * - `delivered`: the receiver accepted the notification (HTTP 2xx, OTLP
 *   success). The outbox row is done.
 * - `retry`: it may work later (network error, timeout, HTTP 408/425/429/5xx,
 *   receiver unavailable). `reason` says what happened (shown in the API as
 *   the row's last error); `retryAfterMs`, when the receiver said how long to
 *   wait (Retry-After), is the least delay before the next attempt.
 * - `failed`: it cannot work however often it is sent (HTTP 4xx other than the
 *   above, a payload the receiver refuses, a missing channel). The row is
 *   marked failed with `reason`; later rows of the same rule go on.
 * A notifier that throws is treated as `retry` with the error's message.
 *
 * Idempotency: `message.key` is unique per outbox row and stays the same over
 * retries and restarts; notifiers pass it to receivers that deduplicate
 * (webhook `X-Fluo-Idempotency-Key`, PagerDuty `dedup_key` = signal id,
 * Alertmanager by label set). Delivery is at least once: a crash after the
 * receiver accepted and before the outcome was stored sends again.
 *
 * Timeouts: every attempt gets `options.signal`, aborted after the channel's
 * timeout or when FLUO shuts down; an aborted attempt is a `retry`.
 *
 * `close()` releases connections; it is idempotent.
 */
import type { NotificationKind } from '../store/store.js';

export type DeliveryResult =
  | { outcome: 'delivered'; detail?: string }
  | { outcome: 'retry'; reason: string; retryAfterMs?: number }
  | { outcome: 'failed'; reason: string };

export interface WitnessSpan {
  spanId: string;
  name: string;
  service: string;
  status: string;
  durationMs: number;
}

/** A signal as notifications show it (a snapshot taken when the row was written). */
export interface SignalSnapshot {
  id: string;
  ruleId: string;
  ruleName: string;
  ruleVersion: number;
  severity: string;
  traceId: string;
  spanIds: string[];
  message: string;
  detectedAt: number;
  services: string[];
  tags: string[];
  witnesses: WitnessSpan[];
}

/** What the outbox row carries (its payload). */
export interface NotificationPayload {
  signal: SignalSnapshot | null;
  /** Free text of a test notification. */
  text?: string;
}

export interface NotificationMessage {
  kind: NotificationKind;
  /** Idempotency key of the outbox row. */
  key: string;
  /** The signal: of a trigger or resolve; of the first suppressed signal for a summary; null for a test. */
  signal: SignalSnapshot | null;
  /** Summaries: how many signals were not sent, in which window. */
  summary: { count: number; windowStart: number; windowEnd: number; groupKey: string } | null;
  /** Links into FLUO's API for the signal and its trace (absent for tests). */
  links: { signal: string; trace: string } | null;
  /** Rendered title and text (templates applied, escaped for the channel's format). */
  title: string;
  text: string;
  /** When the cause happened: detection, status change, window end, or the test request. */
  at: number;
}

export interface DeliveryOptions {
  /** Aborted on timeout or shutdown. */
  signal: AbortSignal;
}

export interface Notifier {
  readonly type: string;
  deliver(message: NotificationMessage, options: DeliveryOptions): Promise<DeliveryResult>;
  close(): Promise<void>;
}

const RETRYABLE_HTTP = new Set([408, 425, 429]);

/** Parses Retry-After (seconds or an HTTP date) into ms, or undefined. */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The outcome of an HTTP response: 2xx delivered, 408/425/429/5xx retry, other failed. */
export async function httpOutcome(response: Response, what: string): Promise<DeliveryResult> {
  const body = (await response.text().catch(() => '')).slice(0, 500);
  if (response.ok) return { outcome: 'delivered', detail: body };
  const reason = `${what} answered HTTP ${response.status}${body ? `: ${body}` : ''}`;
  if (RETRYABLE_HTTP.has(response.status) || response.status >= 500) {
    return { outcome: 'retry', reason, retryAfterMs: retryAfterMs(response.headers.get('retry-after')) };
  }
  return { outcome: 'failed', reason };
}

/** POSTs a body and classifies the answer; network errors and aborts are retries. */
export async function postHttp(url: string, init: { headers: Record<string, string>; body: string; signal: AbortSignal }, what: string): Promise<DeliveryResult> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers: init.headers, body: init.body, signal: init.signal, redirect: 'error' });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const cause = e.cause?.code ?? e.cause?.message;
    const reason = init.signal.aborted ? `${what} did not answer in time (${String(init.signal.reason ?? 'aborted')})` : `${what} unreachable: ${e.message}${cause ? ` (${cause})` : ''}`;
    return { outcome: 'retry', reason };
  }
  return httpOutcome(response, what);
}
