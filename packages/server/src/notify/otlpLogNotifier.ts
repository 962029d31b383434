/**
 * OTLP export of signals to the user's own backend (a Collector, Loki, an
 * OpenTelemetry-native store), so a signal shows next to its trace: each
 * notification becomes one OTLP log record, sent by the OpenTelemetry JS
 * SDK's OTLP/HTTP log exporter (JSON encoding), with the signal's trace id
 * and first witness span id as the record's trace context, severity mapped
 * to OTel severity numbers, and the rule in attributes (`fluo.rule.id`,
 * `fluo.rule.name`, `fluo.severity`, `fluo.signal.id`, `fluo.notification.kind`).
 */
import { SeverityNumber } from '@opentelemetry/api-logs';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { SettingsReader } from './channelSettings.js';
import type { DeliveryOptions, DeliveryResult, NotificationMessage, Notifier } from './notifier.js';

export interface OtlpLogSettings {
  /** Full logs endpoint, e.g. http://collector:4318/v1/logs. */
  url: string;
  headers: Record<string, string>;
  serviceName: string;
}

export function parseOtlpLogSettings(r: SettingsReader): OtlpLogSettings {
  return { url: r.url('url', { required: true }), headers: r.stringMap('headers'), serviceName: r.string('serviceName', { fallback: 'fluo', max: 200 }) };
}

const SEVERITY: Record<string, [SeverityNumber, string]> = {
  info: [SeverityNumber.INFO, 'INFO'],
  warning: [SeverityNumber.WARN, 'WARN'],
  critical: [SeverityNumber.ERROR, 'ERROR'],
};

function hrTime(ms: number): [number, number] {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;

export class OtlpLogNotifier implements Notifier {
  readonly type = 'otlp';
  private readonly exporter: OTLPLogExporter;
  private readonly resource;
  private closed: Promise<void> | null = null;

  constructor(private readonly settings: OtlpLogSettings, timeoutMs: number) {
    this.exporter = new OTLPLogExporter({ url: settings.url, headers: settings.headers, timeoutMillis: timeoutMs, concurrencyLimit: 8 });
    this.resource = resourceFromAttributes({ 'service.name': settings.serviceName });
  }

  logRecord(message: NotificationMessage): ReadableLogRecord {
    const s = message.signal;
    const [severityNumber, severityText] = SEVERITY[s?.severity ?? 'info'] ?? SEVERITY.info;
    const attributes: Record<string, string | number | string[]> = {
      'fluo.notification.kind': message.kind,
      'fluo.notification.key': message.key,
      'fluo.title': message.title,
    };
    if (s) {
      Object.assign(attributes, {
        'fluo.signal.id': s.id, 'fluo.rule.id': s.ruleId, 'fluo.rule.name': s.ruleName, 'fluo.rule.version': s.ruleVersion,
        'fluo.severity': s.severity, 'fluo.services': s.services, 'fluo.tags': s.tags, 'fluo.witness.span_ids': s.spanIds,
      });
    }
    if (message.summary) attributes['fluo.summary.count'] = message.summary.count;
    if (message.links) attributes['fluo.signal.url'] = message.links.signal;
    const spanId = s?.spanIds.find((id) => SPAN_ID.test(id));
    const at = hrTime(message.kind === 'trigger' && s ? s.detectedAt : message.at);
    return {
      hrTime: at,
      hrTimeObserved: hrTime(Date.now()),
      ...(s && TRACE_ID.test(s.traceId) && spanId ? { spanContext: { traceId: s.traceId, spanId, traceFlags: 1 } } : {}),
      severityNumber,
      severityText,
      body: message.text === '' ? message.title : `${message.title}: ${message.text}`,
      eventName: `fluo.signal.${message.kind}`,
      resource: this.resource,
      instrumentationScope: { name: 'fluo' },
      attributes,
      droppedAttributesCount: 0,
    };
  }

  deliver(message: NotificationMessage, options: DeliveryOptions): Promise<DeliveryResult> {
    if (this.closed) return Promise.resolve({ outcome: 'retry', reason: 'the OTLP exporter is shut down' });
    const record = this.logRecord(message);
    return new Promise((resolve) => {
      const onAbort = () => resolve({ outcome: 'retry', reason: `the OTLP receiver did not answer in time (${String(options.signal.reason ?? 'aborted')})` });
      if (options.signal.aborted) { onAbort(); return; }
      options.signal.addEventListener('abort', onAbort, { once: true });
      this.exporter.export([record], (result: ExportResult) => {
        options.signal.removeEventListener('abort', onAbort);
        if (result.code === ExportResultCode.SUCCESS) { resolve({ outcome: 'delivered' }); return; }
        const err = result.error as (Error & { code?: number; data?: string }) | undefined;
        const status = typeof err?.code === 'number' ? err.code : undefined;
        const reason = `OTLP export to ${this.settings.url} failed${status !== undefined ? ` (HTTP ${status})` : ''}: ${err?.message ?? 'unknown error'}${err?.data ? ` (${err.data.slice(0, 300)})` : ''}`;
        // The exporter retries retryable answers itself within its timeout; what is left is permanent only for a client error.
        if (status !== undefined && status >= 400 && status < 500 && ![408, 425, 429].includes(status)) resolve({ outcome: 'failed', reason });
        else resolve({ outcome: 'retry', reason });
      });
    });
  }

  close(): Promise<void> {
    this.closed ??= this.exporter.shutdown().catch(() => {});
    return this.closed;
  }
}
