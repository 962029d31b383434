/**
 * The notifier registry: one entry per channel type, each a factory with its
 * settings parsing (defaults + validation, every problem naming its field)
 * and the list of secret settings (write-only in the API). A new channel type
 * is one more entry here and one more run of the conformance suite
 * (notifierConformance.testkit.ts).
 *
 * Settings every type shares (parsed here): `timeout` (one attempt, default
 * 10s), `sendResolved` (whether resolves are sent; default per type), and
 * `template: {title, text}` (Mustache, for triggers and resolves).
 */
import { SettingsError, SettingsReader } from './channelSettings.js';
import { AlertmanagerNotifier, parseAlertmanagerSettings } from './alertmanagerNotifier.js';
import { checkTemplate, plainText, type Escape, type MessageTemplates } from './messageTemplate.js';
import type { Notifier } from './notifier.js';
import { OtlpLogNotifier, parseOtlpLogSettings } from './otlpLogNotifier.js';
import { PagerDutyNotifier, parsePagerDutySettings } from './pagerDutyNotifier.js';
import { SlackNotifier, parseSlackSettings, slackEscape } from './slackNotifier.js';
import { WebhookNotifier, parseWebhookSettings } from './webhookNotifier.js';

export interface NotifierFactory<S> {
  description: string;
  /** Settings never returned by the API. */
  secretFields: readonly string[];
  /** Whether resolves are sent unless `sendResolved` says otherwise. */
  sendResolvedByDefault: boolean;
  /** How template values are escaped for this channel's message format. */
  escape: Escape;
  parse(reader: SettingsReader): S;
  create(settings: S, common: CommonSettings): Notifier;
}

export interface CommonSettings {
  timeout: number;
  sendResolved: boolean;
  template: Partial<MessageTemplates>;
}

export const DEFAULT_DELIVERY_TIMEOUT = 10_000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each entry has its own settings type
export const notifiers: Record<string, NotifierFactory<any>> = {
  webhook: {
    description: 'generic webhook: JSON POST, signed with HMAC-SHA256 when a secret is set',
    secretFields: ['secret', 'headers'],
    sendResolvedByDefault: true,
    escape: plainText,
    parse: parseWebhookSettings,
    create: (settings) => new WebhookNotifier(settings),
  },
  slack: {
    description: 'Slack incoming webhook: a Block Kit message',
    secretFields: ['url'],
    sendResolvedByDefault: false,
    escape: slackEscape,
    parse: parseSlackSettings,
    create: (settings) => new SlackNotifier(settings),
  },
  alertmanager: {
    description: 'Prometheus Alertmanager: POST /api/v2/alerts, resolved with endsAt',
    secretFields: ['headers'],
    sendResolvedByDefault: true,
    escape: plainText,
    parse: parseAlertmanagerSettings,
    create: (settings) => new AlertmanagerNotifier(settings),
  },
  pagerduty: {
    description: 'PagerDuty Events API v2: trigger with dedup_key = signal id, resolve on resolve',
    secretFields: ['routingKey'],
    sendResolvedByDefault: true,
    escape: plainText,
    parse: parsePagerDutySettings,
    create: (settings) => new PagerDutyNotifier(settings),
  },
  otlp: {
    description: 'OTLP/HTTP log records (trace id, span id, rule, severity) to a Collector or backend',
    secretFields: ['headers'],
    sendResolvedByDefault: false,
    escape: plainText,
    parse: parseOtlpLogSettings,
    create: (settings, common) => new OtlpLogNotifier(settings, common.timeout),
  },
};

export const COMMON_SETTINGS = ['timeout', 'sendResolved', 'template'] as const;

export interface ParsedChannelSettings {
  factory: NotifierFactory<unknown>;
  /** The type's own settings, validated, defaults applied. */
  settings: unknown;
  common: CommonSettings;
}

/** Validates a channel's settings for its type; throws SettingsError naming every bad field under `prefix`. */
export function parseChannelSettings(type: string, raw: unknown, prefix: string): ParsedChannelSettings {
  const factory = Object.hasOwn(notifiers, type) ? notifiers[type] : undefined;
  if (!factory) throw new SettingsError([{ field: prefix === '' ? 'type' : `${prefix}.type`, message: `unknown channel type '${type}': use one of ${Object.keys(notifiers).join(', ')}` }]);
  const reader = SettingsReader.of(raw, prefix);
  const settings = factory.parse(reader);
  const timeout = reader.duration('timeout', DEFAULT_DELIVERY_TIMEOUT);
  const sendResolved = reader.boolean('sendResolved', factory.sendResolvedByDefault);
  const templateReader = SettingsReader.of(reader.raw('template'), reader.path('template'));
  const template: Partial<MessageTemplates> = {};
  for (const field of ['title', 'text'] as const) {
    if (!templateReader.has(field)) continue;
    const text = templateReader.string(field, { max: 5000 });
    try { checkTemplate(text); template[field] = text; } catch (err) { templateReader.problem(field, `is not a valid Mustache template: ${(err as Error).message}`); }
  }
  templateReader.rejectUnknown();
  reader.rejectUnknown();
  const problems = [...reader.problems, ...templateReader.problems];
  if (problems.length > 0) throw new SettingsError(problems);
  return { factory, settings, common: { timeout, sendResolved, template } };
}
