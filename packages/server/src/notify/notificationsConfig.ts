/**
 * The `notifications:` section of the config file: delivery settings,
 * channels (id, type, settings, match, throttle) and routes (match →
 * channel ids). Every problem names its path, e.g.
 * `notifications.channels[1].settings.url`.
 */
import { SEVERITIES } from '@fluohq/engine';
import { SettingsError, SettingsReader, type SettingsProblem } from './channelSettings.js';
import { parseChannelSettings } from './notifiers.js';
import type { ChannelRecord } from '../store/store.js';

export type ChannelMatch = NonNullable<ChannelRecord['match']>;
export type ChannelThrottle = NonNullable<ChannelRecord['throttle']>;

export interface NotificationRoute {
  match: ChannelMatch;
  channels: string[];
}

export interface NotificationsConfig {
  /** Base of links in messages (FLUO's address as users reach it); null: the REST API's own URL. */
  linkBaseUrl: string | null;
  /** Outbox rows not delivered this long after they were written are marked expired. */
  maxAge: number;
  /** Notifications that are done (delivered, failed, expired, suppressed) are deleted this long after their last change. */
  retention: number;
  /** First retry delay; doubles per attempt (with jitter) up to maxRetryDelay. */
  retryInitialDelay: number;
  maxRetryDelay: number;
  /** Deliveries in flight at most. */
  concurrency: number;
  /** How often the worker looks for due rows when nothing wakes it. */
  pollInterval: number;
  /** Channels of the config file (read-only in the API). */
  channels: ChannelRecord[];
  routes: NotificationRoute[];
}

export const DEFAULT_THROTTLE: ChannelThrottle = Object.freeze({ window: 5 * 60_000, cap: 10, groupBy: null });
export const GROUP_BY_KEYS = ['service'] as const;

export const DEFAULT_NOTIFICATIONS: NotificationsConfig = Object.freeze({
  linkBaseUrl: null,
  maxAge: 24 * 3_600_000,
  retention: 7 * 86_400_000,
  retryInitialDelay: 1000,
  maxRetryDelay: 5 * 60_000,
  concurrency: 4,
  pollInterval: 1000,
  channels: [],
  routes: [],
}) as NotificationsConfig;

const CHANNEL_ID = /^[a-z0-9][a-z0-9._-]{0,99}$/;

export function parseMatch(raw: unknown, path: string, problems: SettingsProblem[]): ChannelMatch | null {
  if (raw === undefined || raw === null) return null;
  const r = SettingsReader.of(raw, path);
  const match: ChannelMatch = {};
  const rules = r.stringList('rules');
  const severities = r.stringList('severities');
  const tags = r.stringList('tags');
  if (rules) match.rules = rules;
  if (severities) {
    for (const s of severities) if (!(SEVERITIES as readonly string[]).includes(s)) r.problem('severities', `'${s}' is not a severity: use ${SEVERITIES.join(', ')}`);
    match.severities = severities;
  }
  if (tags) match.tags = tags;
  r.rejectUnknown();
  problems.push(...r.problems);
  return match;
}

export function parseThrottle(raw: unknown, path: string, problems: SettingsProblem[]): ChannelThrottle | null {
  if (raw === undefined) return { ...DEFAULT_THROTTLE };
  if (raw === null || raw === false) return null;
  const r = SettingsReader.of(raw, path);
  const window = r.duration('window', DEFAULT_THROTTLE.window);
  const cap = r.count('cap', DEFAULT_THROTTLE.cap);
  const groupBy = r.string('groupBy') || null;
  if (groupBy !== null && !(GROUP_BY_KEYS as readonly string[]).includes(groupBy)) r.problem('groupBy', `must be one of ${GROUP_BY_KEYS.join(', ')} (signals are always grouped by rule), got '${groupBy}'`);
  r.rejectUnknown();
  problems.push(...r.problems);
  return { window, cap, groupBy };
}

/** Validates one channel (config file entry or API body); `path` prefixes field names. Throws SettingsError. */
export function parseChannel(raw: unknown, path: string, base: { version: number; createdAt: number; updatedAt: number }): ChannelRecord {
  const problems: SettingsProblem[] = [];
  const r = SettingsReader.of(raw, path);
  const id = r.string('id', { required: true, max: 100 });
  if (id !== '' && !CHANNEL_ID.test(id)) r.problem('id', `must be lowercase letters, digits, '.', '_' or '-' (at most 100), starting with a letter or digit, got '${id}'`);
  const type = r.string('type', { required: true, max: 50 });
  const name = r.string('name', { fallback: id, max: 200 });
  const enabled = r.boolean('enabled', true);
  const settingsRaw = r.raw('settings') ?? {};
  const match = parseMatch(r.raw('match'), r.path('match'), problems);
  const throttle = parseThrottle(r.raw('throttle'), r.path('throttle'), problems);
  r.rejectUnknown(['version', 'createdAt', 'updatedAt', 'source', 'secretsSet']);
  problems.unshift(...r.problems);
  if (type !== '') {
    try {
      parseChannelSettings(type, settingsRaw, r.path('settings'));
    } catch (err) {
      if (!(err instanceof SettingsError)) throw err;
      problems.push(...err.problems.map((p) => p.field.endsWith('settings.type') ? { field: r.path('type'), message: p.message } : p));
    }
  }
  if (problems.length > 0) throw new SettingsError(problems);
  return { id, type, name, enabled, settings: { ...(settingsRaw as Record<string, unknown>) }, match, throttle, ...base };
}

/** Parses the section; problems carry paths under `notifications`. */
export function parseNotificationsConfig(raw: unknown): { config: NotificationsConfig; problems: SettingsProblem[] } {
  const problems: SettingsProblem[] = [];
  const r = SettingsReader.of(raw, 'notifications');
  const linkBaseUrl = r.url('linkBaseUrl') || null;
  const config: NotificationsConfig = {
    linkBaseUrl,
    maxAge: r.duration('maxAge', DEFAULT_NOTIFICATIONS.maxAge),
    retention: r.duration('retention', DEFAULT_NOTIFICATIONS.retention),
    retryInitialDelay: r.duration('retryInitialDelay', DEFAULT_NOTIFICATIONS.retryInitialDelay),
    maxRetryDelay: r.duration('maxRetryDelay', DEFAULT_NOTIFICATIONS.maxRetryDelay),
    concurrency: r.count('concurrency', DEFAULT_NOTIFICATIONS.concurrency),
    pollInterval: r.duration('pollInterval', DEFAULT_NOTIFICATIONS.pollInterval),
    channels: [],
    routes: [],
  };
  const channels = r.raw('channels');
  if (channels !== undefined && channels !== null && !Array.isArray(channels)) r.problem('channels', 'must be a list of channels');
  for (const [i, c] of (Array.isArray(channels) ? channels : []).entries()) {
    try {
      const channel = parseChannel(c, `notifications.channels[${i}]`, { version: 0, createdAt: 0, updatedAt: 0 });
      if (config.channels.some((x) => x.id === channel.id)) problems.push({ field: `notifications.channels[${i}].id`, message: `'${channel.id}' is the id of another channel` });
      else config.channels.push(channel);
    } catch (err) {
      if (!(err instanceof SettingsError)) throw err;
      problems.push(...err.problems);
    }
  }
  const routes = r.raw('routes');
  if (routes !== undefined && routes !== null && !Array.isArray(routes)) r.problem('routes', 'must be a list of routes ({match, channels})');
  for (const [i, route] of (Array.isArray(routes) ? routes : []).entries()) {
    const rr = SettingsReader.of(route, `notifications.routes[${i}]`);
    const match = parseMatch(rr.raw('match'), rr.path('match'), problems) ?? {};
    const ids = rr.stringList('channels') ?? [];
    if (ids.length === 0) rr.problem('channels', 'must list at least one channel id');
    for (const id of ids) {
      if (!config.channels.some((c) => c.id === id)) rr.problem('channels', `'${id}' is not the id of a channel in notifications.channels`);
    }
    rr.rejectUnknown();
    problems.push(...rr.problems);
    config.routes.push({ match, channels: ids });
  }
  if (config.maxRetryDelay < config.retryInitialDelay) r.problem('maxRetryDelay', 'must not be shorter than retryInitialDelay');
  r.rejectUnknown();
  problems.unshift(...r.problems);
  return { config, problems };
}
