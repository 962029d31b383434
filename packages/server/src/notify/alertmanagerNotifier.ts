/**
 * Prometheus Alertmanager: POST <url>/api/v2/alerts with one alert per
 * notification. Each signal is its own alert (label `signal_id`), labelled
 * alertname (the rule's name), rule, severity and service, so Alertmanager's
 * routing, grouping, silences and inhibitions work on FLUO's alerts as on
 * Prometheus's.
 *
 * Lifetime: a trigger sends endsAt = detection + `activeFor` (default 24h),
 * so the alert stays firing without being re-sent; a resolve (signal
 * resolved or marked false positive) sends the same labels with endsAt = the
 * time of the status change, which resolves it at once.
 */
import type { SettingsReader } from './channelSettings.js';
import { postHttp, type DeliveryOptions, type DeliveryResult, type NotificationMessage, type Notifier } from './notifier.js';

export interface AlertmanagerSettings {
  url: string;
  headers: Record<string, string>;
  activeFor: number;
}

export function parseAlertmanagerSettings(r: SettingsReader): AlertmanagerSettings {
  const url = r.url('url', { required: true });
  return { url, headers: r.stringMap('headers'), activeFor: r.duration('activeFor', 24 * 3_600_000) };
}

function labelValue(value: string): string {
  return value.slice(0, 1000);
}

export function alertmanagerAlerts(message: NotificationMessage, activeFor: number): Array<Record<string, unknown>> {
  const s = message.signal;
  if (message.kind === 'test') {
    return [{
      labels: { alertname: 'FluoTestNotification', severity: 'info', source: 'fluo' },
      annotations: { summary: message.title, description: message.text },
      startsAt: new Date(message.at).toISOString(),
      endsAt: new Date(message.at + 5 * 60_000).toISOString(),
    }];
  }
  if (!s) throw new Error(`a ${message.kind} notification without a signal`);
  const labels: Record<string, string> = {
    alertname: labelValue(s.ruleName), rule: labelValue(s.ruleId), severity: s.severity, source: 'fluo',
  };
  if (s.services[0]) labels.service = labelValue(s.services[0]);
  if (message.kind === 'summary') {
    labels.alertname = labelValue(`${s.ruleName} (summary)`);
    labels.summary_window_start = new Date(message.summary!.windowStart).toISOString();
  } else {
    labels.signal_id = s.id;
  }
  const startsAt = message.kind === 'summary' ? message.summary!.windowStart : s.detectedAt;
  const endsAt = message.kind === 'resolve' ? Math.max(message.at, s.detectedAt + 1) : message.at + activeFor;
  return [{
    labels,
    annotations: {
      summary: message.title,
      description: message.text,
      trace_id: s.traceId,
      ...(message.links ? { signal_url: message.links.signal, trace_url: message.links.trace } : {}),
    },
    startsAt: new Date(startsAt).toISOString(),
    endsAt: new Date(endsAt).toISOString(),
    ...(message.links ? { generatorURL: message.links.signal } : {}),
  }];
}

export class AlertmanagerNotifier implements Notifier {
  readonly type = 'alertmanager';
  constructor(private readonly settings: AlertmanagerSettings) {}

  async deliver(message: NotificationMessage, options: DeliveryOptions): Promise<DeliveryResult> {
    const url = `${this.settings.url.replace(/\/+$/, '')}/api/v2/alerts`;
    return postHttp(url, {
      headers: { ...this.settings.headers, 'content-type': 'application/json', 'user-agent': 'fluo-notifier' },
      body: JSON.stringify(alertmanagerAlerts(message, this.settings.activeFor)),
      signal: options.signal,
    }, 'Alertmanager');
  }

  async close(): Promise<void> {}
}
