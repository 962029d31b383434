/**
 * The channel form's draft: the settings each channel type reads (as in
 * packages/server/src/notify/*Notifier.ts; the server validates them and
 * names the bad field), and the conversions between a channel from the API,
 * the form's text fields and the body sent back.
 */
import type { Channel, ChannelInput, Severity } from '../api/types';

export interface SettingField { key: string; label: string; hint?: string; kind?: 'text' | 'headers' }

/** The settings each channel type reads (notify/*Notifier.ts); the server validates them and names the bad field. */
export const TYPE_FIELDS: Record<string, SettingField[]> = {
  webhook: [
    { key: 'url', label: 'URL', hint: 'where the JSON POST goes' },
    { key: 'secret', label: 'Signing secret', hint: 'optional: signs each body with HMAC-SHA256 (x-fluo-signature)' },
    { key: 'headers', label: 'Extra headers', hint: 'one "Name: value" per line', kind: 'headers' },
  ],
  slack: [
    { key: 'url', label: 'Incoming webhook URL' },
    { key: 'channel', label: 'Channel', hint: 'optional, e.g. #alerts' },
    { key: 'username', label: 'Username', hint: 'optional' },
  ],
  alertmanager: [
    { key: 'url', label: 'Alertmanager URL', hint: 'e.g. http://alertmanager:9093' },
    { key: 'activeFor', label: 'Active for', hint: 'optional duration such as 24h: endsAt of an open signal' },
    { key: 'headers', label: 'Extra headers', hint: 'one "Name: value" per line', kind: 'headers' },
  ],
  pagerduty: [
    { key: 'routingKey', label: 'Routing key', hint: 'the integration key of the PagerDuty service' },
    { key: 'url', label: 'Events API URL', hint: 'optional' },
  ],
  otlp: [
    { key: 'url', label: 'OTLP/HTTP logs URL', hint: 'e.g. http://collector:4318/v1/logs' },
    { key: 'serviceName', label: 'service.name', hint: 'optional, default fluo' },
    { key: 'headers', label: 'Extra headers', hint: 'one "Name: value" per line', kind: 'headers' },
  ],
};
export const COMMON_FIELDS: SettingField[] = [{ key: 'timeout', label: 'Timeout', hint: 'optional: one attempt, e.g. 10s' }];

export interface ChannelDraft {
  id: string; name: string; type: string; enabled: boolean;
  settings: Record<string, string>;
  /** '' leaves the type's default. */
  sendResolved: '' | 'true' | 'false';
  receive: 'all' | 'matching' | 'routes';
  rules: string; severities: Severity[]; tags: string;
  /** Throttle: off sends every signal; window is a duration such as 5m, cap a count, groupBy '' (rule) or 'service'. */
  throttle: boolean; throttleWindow: string; throttleCap: string; throttleGroupBy: '' | 'service';
}

/** A window in ms as the shortest exact duration text (300000 → 5m). */
export function durationText(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

const formKeys = (type: string) => new Set([...(TYPE_FIELDS[type] ?? []), ...COMMON_FIELDS].map((f) => f.key).concat('sendResolved'));

const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

export function draftOf(c: Channel | null, type: string): ChannelDraft {
  if (!c) {
    return { id: '', name: '', type, enabled: true, settings: {}, sendResolved: '', receive: 'all', rules: '', severities: [], tags: '', throttle: true, throttleWindow: '5m', throttleCap: '10', throttleGroupBy: '' };
  }
  const settings: Record<string, string> = {};
  const keys = formKeys(c.type);
  for (const [k, v] of Object.entries(c.settings)) {
    if (!keys.has(k)) continue;
    if (k === 'headers' && v && typeof v === 'object') settings[k] = Object.entries(v as Record<string, string>).map(([n, x]) => `${n}: ${x}`).join('\n');
    else if (typeof v === 'string' || typeof v === 'number') settings[k] = String(v);
  }
  const m = c.match;
  const receive = m === null ? 'routes' : (m.rules || m.severities || m.tags) ? 'matching' : 'all';
  const t = c.throttle;
  return {
    id: c.id, name: c.name, type: c.type, enabled: c.enabled, settings,
    sendResolved: typeof c.settings.sendResolved === 'boolean' ? (String(c.settings.sendResolved) as 'true' | 'false') : '',
    receive, rules: (m?.rules ?? []).join(', '), severities: (m?.severities ?? []) as Severity[], tags: (m?.tags ?? []).join(', '),
    throttle: t !== null, throttleWindow: durationText(t?.window ?? 300_000), throttleCap: String(t?.cap ?? 10), throttleGroupBy: t?.groupBy === 'service' ? 'service' : '',
  };
}

/**
 * The body to send. Settings the form does not edit (e.g. `template`) keep
 * the stored channel's values; text that is not a number where one is
 * expected is sent as typed, so the server's error names the field.
 */
export function inputOf(d: ChannelDraft, editing: Channel | null): ChannelInput {
  const keys = formKeys(d.type);
  const settings: Record<string, unknown> = editing ? Object.fromEntries(Object.entries(editing.settings).filter(([k]) => !keys.has(k))) : {};
  if (d.sendResolved !== '') settings.sendResolved = d.sendResolved === 'true';
  for (const f of [...(TYPE_FIELDS[d.type] ?? []), ...COMMON_FIELDS]) {
    const raw = (d.settings[f.key] ?? '').trim();
    if (raw === '') continue; // left out: a default, or (when editing) the stored secret
    if (f.kind === 'headers') {
      const headers: Record<string, string> = {};
      for (const line of raw.split('\n').map((l) => l.trim()).filter(Boolean)) {
        const at = line.indexOf(':');
        headers[at < 0 ? line : line.slice(0, at).trim()] = at < 0 ? '' : line.slice(at + 1).trim();
      }
      settings[f.key] = headers;
    } else settings[f.key] = raw;
  }
  const match = d.receive === 'routes' ? null : d.receive === 'all' ? {} : {
    ...(list(d.rules).length ? { rules: list(d.rules) } : {}),
    ...(d.severities.length ? { severities: d.severities } : {}),
    ...(list(d.tags).length ? { tags: list(d.tags) } : {}),
  };
  const cap = d.throttleCap.trim();
  const throttle = d.throttle
    ? { window: d.throttleWindow.trim(), cap: /^\d+$/.test(cap) ? Number(cap) : cap, ...(d.throttleGroupBy ? { groupBy: d.throttleGroupBy } : {}) }
    : null;
  return {
    ...(d.id.trim() ? { id: d.id.trim() } : {}), type: d.type, name: d.name.trim() || undefined, enabled: d.enabled, settings, match, throttle,
    ...(editing ? { version: editing.version } : {}),
  };
}

