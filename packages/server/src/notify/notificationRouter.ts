/**
 * The channels in force and which signals go where.
 *
 * Channels come from the config file (read-only in the API) and from the API
 * (kept in the store); a stored channel cannot take the id of a config one.
 * Routing is synchronous and in memory, so that the pipeline can attach the
 * outbox rows to a signal before it is written (one transaction):
 * a signal of a rule in shadow mode goes nowhere; otherwise it goes to every
 * enabled channel whose `match` accepts it and to every channel of every
 * config route whose `match` accepts it. A match accepts a signal when each
 * list it has contains the signal's value (rules: rule id; severities;
 * tags: any of the rule's tags); an empty match accepts every signal.
 *
 * Each outbox row's order key is the rule id (delivery in order per rule per
 * channel); its throttle group is the rule id, plus the first service when
 * the channel groups by service.
 */
import type { Signal } from '@fluohq/engine';
import { FluoError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { SerializedSpan } from '../store/serializedSpan.js';
import type { ChannelRecord, NewNotification, NotificationRecord, SignalStatus, Store } from '../store/store.js';
import { SettingsError } from './channelSettings.js';
import { DEFAULT_TEMPLATES, plainText, renderTemplate, templateView } from './messageTemplate.js';
import type { DeliveryResult, NotificationMessage, NotificationPayload, Notifier, SignalSnapshot, WitnessSpan } from './notifier.js';
import { parseChannel, type ChannelMatch, type NotificationsConfig } from './notificationsConfig.js';
import { notifiers, parseChannelSettings, type ParsedChannelSettings } from './notifiers.js';

export type ChannelSource = 'config' | 'api';

export interface ActiveChannel {
  record: ChannelRecord;
  source: ChannelSource;
  parsed: ParsedChannelSettings;
}

/** A channel as the API shows it: secrets left out, `secretsSet` naming those that have a value. */
export interface ChannelView extends Omit<ChannelRecord, 'settings'> {
  source: ChannelSource;
  settings: Record<string, unknown>;
  secretsSet: string[];
}

export interface NotificationRouterOptions {
  config: NotificationsConfig;
  store: Store;
  log: Logger;
  /** The rule's tags (for tag matches). */
  ruleTags: (ruleId: string) => readonly string[];
  /** Base of links to signals and traces, e.g. http://127.0.0.1:3000. */
  linkBase: () => string;
}

const CLOSED_STATUSES: readonly SignalStatus[] = ['resolved', 'false_positive'];

export function matches(match: ChannelMatch, signal: Pick<Signal, 'ruleId' | 'severity'>, tags: readonly string[]): boolean {
  if (match.rules && !match.rules.includes(signal.ruleId)) return false;
  if (match.severities && !match.severities.includes(signal.severity)) return false;
  if (match.tags && !match.tags.some((t) => tags.includes(t))) return false;
  return true;
}

export function signalSnapshot(signal: Signal, evidence: readonly SerializedSpan[], tags: readonly string[]): SignalSnapshot {
  const witnessIds = new Set(signal.spanIds);
  const witnesses: WitnessSpan[] = evidence.filter((s) => witnessIds.has(s.spanId))
    .map((s) => ({ spanId: s.spanId, name: s.name, service: s.service ?? '', status: s.status, durationMs: s.duration }));
  return {
    id: signal.id, ruleId: signal.ruleId, ruleName: signal.ruleName, ruleVersion: signal.ruleVersion, severity: signal.severity,
    traceId: signal.traceId, spanIds: [...signal.spanIds], message: signal.message, detectedAt: signal.detectedAt,
    services: [...signal.services], tags: [...tags], witnesses,
  };
}

export class NotificationRouter {
  private readonly active = new Map<string, ActiveChannel>();
  private readonly instances = new Map<string, { version: number; notifier: Notifier }>();
  private lock: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: NotificationRouterOptions) {
    for (const record of options.config.channels) {
      this.active.set(record.id, { record, source: 'config', parsed: parseChannelSettings(record.type, record.settings, 'settings') });
    }
  }

  /** Loads the stored channels; one that no longer validates is logged and left out. */
  async load(): Promise<void> {
    for (const record of await this.options.store.listChannels()) {
      if (this.active.has(record.id)) {
        this.options.log.warn(`stored channel '${record.id}' is ignored: the config file has a channel with that id`);
        continue;
      }
      try {
        this.active.set(record.id, { record, source: 'api', parsed: parseChannelSettings(record.type, record.settings, 'settings') });
      } catch (err) {
        this.options.log.error(`stored channel '${record.id}' is ignored: ${(err as Error).message}`);
      }
    }
  }

  /**
   * Re-reads the channels made through the API, which other instances sharing
   * the store (PostgreSQL) create, change and delete: new ones are added,
   * changed ones (another version) replaced, deleted ones dropped with their
   * notifier. Serialized with this instance's own API changes.
   */
  refresh(): Promise<void> {
    return this.serialized(async () => {
      if (this.closed) return;
      const stored = new Map((await this.options.store.listChannels()).map((record) => [record.id, record]));
      for (const [id, channel] of [...this.active]) {
        if (channel.source !== 'api' || stored.has(id)) continue;
        this.active.delete(id);
        const instance = this.instances.get(id);
        this.instances.delete(id);
        await instance?.notifier.close();
      }
      for (const record of stored.values()) {
        const current = this.active.get(record.id);
        if (current && (current.source === 'config' || current.record.version === record.version)) continue;
        try {
          this.active.set(record.id, { record, source: 'api', parsed: parseChannelSettings(record.type, record.settings, 'settings') });
        } catch (err) {
          this.options.log.error(`stored channel '${record.id}' is ignored: ${(err as Error).message}`);
        }
      }
    });
  }

  get config(): NotificationsConfig {
    return this.options.config;
  }

  channel(id: string): ActiveChannel | undefined {
    return this.active.get(id);
  }

  list(): ActiveChannel[] {
    return [...this.active.values()].sort((a, b) => a.record.id.localeCompare(b.record.id));
  }

  view(channel: ActiveChannel): ChannelView {
    const secret = new Set(channel.parsed.factory.secretFields);
    const settings: Record<string, unknown> = {};
    const secretsSet: string[] = [];
    for (const [k, v] of Object.entries(channel.record.settings)) {
      if (!secret.has(k)) settings[k] = v;
      else if (v !== '' && v !== null && v !== undefined && !(typeof v === 'object' && Object.keys(v).length === 0)) secretsSet.push(k);
    }
    return { ...channel.record, settings, secretsSet, source: channel.source };
  }

  /** The outbox rows for a new signal (none in shadow mode). */
  route(signal: Signal, evidence: readonly SerializedSpan[]): NewNotification[] {
    if (signal.mode === 'shadow' || this.active.size === 0) return [];
    const tags = this.options.ruleTags(signal.ruleId);
    const targets = new Set<string>();
    for (const c of this.active.values()) {
      if (c.record.enabled && c.record.match && matches(c.record.match, signal, tags)) targets.add(c.record.id);
    }
    for (const route of this.options.config.routes) {
      if (!matches(route.match, signal, tags)) continue;
      for (const id of route.channels) if (this.active.get(id)?.record.enabled) targets.add(id);
    }
    if (targets.size === 0) return [];
    const payload: NotificationPayload = { signal: signalSnapshot(signal, evidence, tags) };
    const createdAt = Date.now();
    return [...targets].sort().map((channelId): NewNotification => {
      const throttle = this.active.get(channelId)!.record.throttle;
      return {
        key: `${signal.id}:${channelId}:trigger`, channelId, kind: 'trigger', signalId: signal.id, ruleId: signal.ruleId, orderKey: signal.ruleId,
        payload, createdAt,
        ...(throttle ? {
          throttle: {
            groupKey: throttle.groupBy === 'service' ? `${signal.ruleId}|${signal.services[0] ?? ''}` : signal.ruleId,
            windowMs: throttle.window, cap: throttle.cap,
          },
        } : {}),
      };
    });
  }

  /**
   * The resolve rows for a status change, given the signal's trigger rows: one per channel that sends resolves and
   * was (or will be) sent the trigger, only when the change closes an open or acknowledged signal.
   */
  resolveRows(triggers: readonly NotificationRecord[], at: number): (from: SignalStatus, to: SignalStatus) => NewNotification[] {
    return (from, to) => {
      if (CLOSED_STATUSES.includes(from) || !CLOSED_STATUSES.includes(to)) return [];
      return triggers.filter((t) => t.kind === 'trigger' && !['suppressed', 'failed', 'expired'].includes(t.status) && this.active.get(t.channelId)?.parsed.common.sendResolved)
        .map((t) => ({
          key: `${t.signalId}:${t.channelId}:resolve`, channelId: t.channelId, kind: 'resolve', signalId: t.signalId, ruleId: t.ruleId,
          orderKey: t.orderKey, payload: t.payload, createdAt: at,
        }));
    };
  }

  /** The message a notifier gets for an outbox row, with the channel's templates applied. */
  message(row: Pick<NotificationRecord, 'kind' | 'key' | 'payload' | 'createdAt' | 'suppressedCount' | 'groupKey'>, channel: ActiveChannel): NotificationMessage {
    const payload = (row.payload ?? {}) as NotificationPayload;
    const signal = payload.signal ?? null;
    const base = this.options.linkBase().replace(/\/+$/, '');
    let summary: NotificationMessage['summary'] = null;
    if (row.kind === 'summary') {
      const windowStart = Number(row.key.slice(row.key.lastIndexOf(':') + 1));
      const window = channel.record.throttle?.window ?? 0;
      summary = { count: row.suppressedCount, windowStart, windowEnd: windowStart + window, groupKey: row.groupKey ?? '' };
    }
    const partial = {
      kind: row.kind, key: row.key, signal, summary, at: row.createdAt,
      links: signal ? { signal: `${base}/api/v1/signals/${encodeURIComponent(signal.id)}`, trace: `${base}/api/v1/traces/${encodeURIComponent(signal.traceId)}` } : null,
    };
    const view = templateView(partial, payload.text ?? '');
    const own = row.kind === 'trigger' || row.kind === 'resolve' ? channel.parsed.common.template : {};
    const defaults = DEFAULT_TEMPLATES[row.kind];
    const escape = channel.parsed.factory.escape;
    // Titles are plain text everywhere (Slack's header block, PagerDuty's summary); texts use the channel's format.
    return { ...partial, title: renderTemplate(own.title ?? defaults.title, view, plainText), text: renderTemplate(own.text ?? defaults.text, view, escape) };
  }

  /** The channel's notifier, made once per channel version. */
  notifier(channel: ActiveChannel): Notifier {
    const current = this.instances.get(channel.record.id);
    if (current && current.version === channel.record.version) return current.notifier;
    if (current) void current.notifier.close();
    const notifier = channel.parsed.factory.create(channel.parsed.settings, channel.parsed.common);
    this.instances.set(channel.record.id, { version: channel.record.version, notifier });
    return notifier;
  }

  /** Sends a test message now (not through the outbox) and tells how it went. */
  async sendTest(id: string, text: string): Promise<DeliveryResult> {
    const channel = this.requireChannel(id);
    const message = this.message({ kind: 'test', key: `test:${id}:${Date.now()}`, payload: { signal: null, text }, createdAt: Date.now(), suppressedCount: 0, groupKey: null }, channel);
    const abort = AbortSignal.timeout(channel.parsed.common.timeout);
    try {
      return await this.notifier(channel).deliver(message, { signal: abort });
    } catch (err) {
      return { outcome: 'retry', reason: (err as Error).message };
    }
  }

  private requireChannel(id: string): ActiveChannel {
    const channel = this.active.get(id);
    if (!channel) throw new FluoError('NOT_FOUND', `no channel with id '${id}'`);
    return channel;
  }

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const next = this.lock.then(task, task);
    this.lock = next.catch(() => {});
    return next;
  }

  /** Validates and stores a channel made through the API. */
  create(body: unknown): Promise<ChannelView> {
    return this.serialized(async () => {
      const now = Date.now();
      const record = validateBody(body, { version: 1, createdAt: now, updatedAt: now });
      if (this.active.has(record.id)) {
        throw new FluoError('CONFLICT', `a channel with id '${record.id}' exists already${this.active.get(record.id)!.source === 'config' ? ' (in the config file)' : ''}`, { details: { id: record.id } });
      }
      const parsed = parseChannelSettings(record.type, record.settings, 'settings');
      await this.options.store.createChannel(record);
      const channel: ActiveChannel = { record, source: 'api', parsed };
      this.active.set(record.id, channel);
      return this.view(channel);
    });
  }

  /**
   * Replaces an API channel. `version` in the body must be the stored one (409 otherwise). Secret settings left out of
   * the body keep their stored values (the API never returns them).
   */
  replace(id: string, body: unknown): Promise<ChannelView> {
    return this.serialized(async () => {
      const current = this.requireChannel(id);
      if (current.source === 'config') throw new FluoError('READ_ONLY', `channel '${id}' comes from the config file: edit the file instead`);
      const obj = body !== null && typeof body === 'object' && !Array.isArray(body) ? { ...(body as Record<string, unknown>) } : body;
      if (obj && typeof obj === 'object') {
        const o = obj as Record<string, unknown>;
        if (o.id === undefined) o.id = id;
        if (o.id !== id) throw new FluoError('VALIDATION', `the body's id '${String(o.id)}' is not the channel's id '${id}'`, { details: [{ field: 'id', message: 'must match the URL' }] });
        if (!Number.isSafeInteger(o.version)) throw new FluoError('VALIDATION', 'version is required: send the version you edited (from GET), so that concurrent edits are detected', { details: [{ field: 'version', message: 'required' }] });
        const type = typeof o.type === 'string' ? o.type : current.record.type;
        const settings = o.settings !== null && typeof o.settings === 'object' && !Array.isArray(o.settings) ? { ...(o.settings as Record<string, unknown>) } : o.settings;
        if (settings && typeof settings === 'object' && type === current.record.type) {
          for (const field of current.parsed.factory.secretFields) {
            if (!Object.hasOwn(settings, field) && Object.hasOwn(current.record.settings, field)) (settings as Record<string, unknown>)[field] = current.record.settings[field];
          }
        }
        o.settings = settings;
      }
      const expected = (obj as { version: number }).version;
      const record = validateBody(obj, { version: expected + 1, createdAt: current.record.createdAt, updatedAt: Date.now() });
      const parsed = parseChannelSettings(record.type, record.settings, 'settings');
      await this.options.store.updateChannel(record, expected);
      const channel: ActiveChannel = { record, source: 'api', parsed };
      this.active.set(id, channel);
      return this.view(channel);
    });
  }

  remove(id: string): Promise<void> {
    return this.serialized(async () => {
      const current = this.requireChannel(id);
      if (current.source === 'config') throw new FluoError('READ_ONLY', `channel '${id}' comes from the config file: edit the file instead`);
      await this.options.store.deleteChannel(id);
      this.active.delete(id);
      const instance = this.instances.get(id);
      this.instances.delete(id);
      await instance?.notifier.close();
    });
  }

  /** Closes every notifier. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const all = [...this.instances.values()];
    this.instances.clear();
    await Promise.all(all.map((i) => i.notifier.close().catch(() => {})));
  }
}

function validateBody(body: unknown, base: { version: number; createdAt: number; updatedAt: number }): ChannelRecord {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new FluoError('VALIDATION', `the request body must be a JSON object describing a channel: {"id", "type" (${Object.keys(notifiers).join(', ')}), "settings", "match", "throttle"}`);
  }
  try {
    return parseChannel(body, '', base);
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    throw new FluoError('VALIDATION', `invalid channel: ${err.message}`, { details: err.problems });
  }
}
