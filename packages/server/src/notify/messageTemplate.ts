/**
 * Message text from templates: Mustache (logic-less, so a template from the
 * API cannot run code), rendered over the fields of a notification. Titles
 * are plain text; in texts each channel escapes values for its format
 * (`escape`): nothing for plain text and JSON (the JSON encoder escapes),
 * `&`, `<`, `>` for Slack mrkdwn. `{{{field}}}` inserts a value unescaped.
 *
 * Fields: kind, ruleId, ruleName, ruleVersion, severity, message, signalId,
 * traceId, service (the first), services (comma-separated), tags
 * (comma-separated), detectedAt (ISO 8601), signalUrl, traceUrl, witnesses
 * (list of {spanId, name, service, status, durationMs}), count, window
 * (e.g. "5 minutes"), resolved (boolean), text (test notifications).
 */
import Mustache from 'mustache';
import type { NotificationMessage, SignalSnapshot } from './notifier.js';
import type { NotificationKind } from '../store/store.js';

export interface MessageTemplates {
  title: string;
  text: string;
}

export const DEFAULT_TEMPLATES: Record<NotificationKind, MessageTemplates> = {
  trigger: { title: '[{{severity}}] {{ruleName}}', text: '{{message}}' },
  resolve: { title: '[resolved] {{ruleName}}', text: 'Resolved: {{message}}' },
  summary: { title: '[{{severity}}] {{count}} more signals for rule {{ruleName}}', text: '{{count}} more signals for rule {{ruleName}} ({{ruleId}}) in {{window}} were not sent one by one.' },
  test: { title: 'FLUO test notification', text: '{{text}}' },
};

export type Escape = (value: string) => string;
export const plainText: Escape = (value) => value;

/** Throws Error naming the problem when a template does not parse. */
export function checkTemplate(template: string): void {
  Mustache.parse(template);
}

export function formatWindow(ms: number): string {
  const units: Array<[number, string]> = [[86_400_000, 'day'], [3_600_000, 'hour'], [60_000, 'minute'], [1000, 'second']];
  for (const [size, name] of units) {
    if (ms >= size && ms % size === 0) return `${ms / size} ${name}${ms / size === 1 ? '' : 's'}`;
  }
  return `${Math.round(ms / 1000)} seconds`;
}

export function templateView(message: Omit<NotificationMessage, 'title' | 'text'>, text = ''): Record<string, unknown> {
  const s: SignalSnapshot | null = message.signal;
  return {
    kind: message.kind,
    resolved: message.kind === 'resolve',
    ruleId: s?.ruleId ?? '', ruleName: s?.ruleName ?? '', ruleVersion: s?.ruleVersion ?? '', severity: s?.severity ?? 'info',
    message: s?.message ?? '', signalId: s?.id ?? '', traceId: s?.traceId ?? '',
    service: s?.services[0] ?? '', services: s?.services.join(', ') ?? '', tags: s?.tags.join(', ') ?? '',
    detectedAt: s ? new Date(s.detectedAt).toISOString() : '',
    signalUrl: message.links?.signal ?? '', traceUrl: message.links?.trace ?? '',
    witnesses: s?.witnesses ?? [],
    count: message.summary?.count ?? 0,
    window: message.summary ? formatWindow(message.summary.windowEnd - message.summary.windowStart) : '',
    text,
  };
}

export function renderTemplate(template: string, view: Record<string, unknown>, escape: Escape): string {
  return Mustache.render(template, view, {}, { escape });
}
