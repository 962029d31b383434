/**
 * PagerDuty Events API v2: a trigger event per signal with dedup_key = the
 * signal id (so PagerDuty folds retries and repeats into one incident), and a
 * resolve event with the same dedup_key when the signal is resolved or marked
 * false positive. Summaries trigger their own incident (dedup_key = the
 * outbox key); tests trigger then need resolving by hand in PagerDuty.
 */
import type { SettingsReader } from './channelSettings.js';
import { postHttp, type DeliveryOptions, type DeliveryResult, type NotificationMessage, type Notifier } from './notifier.js';

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

export interface PagerDutySettings {
  url: string;
  routingKey: string;
}

export function parsePagerDutySettings(r: SettingsReader): PagerDutySettings {
  return { url: r.url('url', { fallback: PAGERDUTY_EVENTS_URL }) || PAGERDUTY_EVENTS_URL, routingKey: r.string('routingKey', { required: true, max: 200 }) };
}

const PD_SEVERITY: Record<string, string> = { critical: 'critical', warning: 'warning', info: 'info' };

export function pagerDutyEvent(message: NotificationMessage, routingKey: string): Record<string, unknown> {
  const s = message.signal;
  const dedupKey = s && (message.kind === 'trigger' || message.kind === 'resolve') ? s.id : message.key;
  if (message.kind === 'resolve') return { routing_key: routingKey, event_action: 'resolve', dedup_key: dedupKey };
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: dedupKey,
    payload: {
      summary: message.title.slice(0, 1024),
      source: s?.services[0] ?? 'fluo',
      severity: PD_SEVERITY[s?.severity ?? 'info'] ?? 'info',
      timestamp: new Date(s?.detectedAt ?? message.at).toISOString(),
      ...(s ? { component: s.services[0] ?? undefined, group: s.ruleId, class: s.ruleName } : {}),
      custom_details: {
        text: message.text,
        ...(s ? { rule_id: s.ruleId, signal_id: s.id, trace_id: s.traceId, services: s.services, tags: s.tags, witnesses: s.witnesses } : {}),
        ...(message.summary ? { suppressed: message.summary.count } : {}),
      },
    },
    client: 'FLUO',
    ...(message.links ? { client_url: message.links.signal, links: [{ href: message.links.trace, text: 'Trace' }, { href: message.links.signal, text: 'Signal' }] } : {}),
  };
}

export class PagerDutyNotifier implements Notifier {
  readonly type = 'pagerduty';
  constructor(private readonly settings: PagerDutySettings) {}

  async deliver(message: NotificationMessage, options: DeliveryOptions): Promise<DeliveryResult> {
    return postHttp(this.settings.url, {
      headers: { 'content-type': 'application/json', 'user-agent': 'fluo-notifier' },
      body: JSON.stringify(pagerDutyEvent(message, this.settings.routingKey)),
      signal: options.signal,
    }, 'PagerDuty');
  }

  async close(): Promise<void> {}
}
