/**
 * Every call the UI makes to the FLUO server, typed, in one place. The shapes
 * are @fluohq/fluo's (see types.ts); the calls are hand-written because the
 * client's `Fluo` class is Node-only (node:events, node:module).
 *
 * Authentication: when a token is saved (localStorage `fluo.token`), every
 * request sends `Authorization: Bearer <token>`. A 401 answer raises
 * ApiError with status 401 and notifies `onUnauthorized` listeners, which
 * show the token form.
 */
import type {
  ApiToken, AuditEntry, Channel, ChannelInput, ChannelTestResult, ChannelType, InvariantReport, NotificationRow, NotificationStatus,
  RateReport, RefinementReport, RulePrecision, RulePrecisionSummary, RuleVersion, ShadowReport, TokenRole,
  BulkStatusResult, Overview, Rule, RuleChange, RuleInput, RuleTestResult, Signal, SignalCounts, SignalDetail, SignalFilter, SignalStatus,
  TraceDetail, TraceFilter, TraceKeys, TracePage, UiConfig,
} from './types';
import { fetchEventSource } from '@microsoft/fetch-event-source';

const TOKEN_KEY = 'fluo.token';

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details?: unknown) {
    super(message);
    this.name = 'ApiError';
  }
}

export function getToken(): string | null {
  try { return localStorage.getItem(TOKEN_KEY); } catch { return null; }
}

export function setToken(token: string | null): void {
  if (token === null || token === '') localStorage.removeItem(TOKEN_KEY);
  else localStorage.setItem(TOKEN_KEY, token);
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

function headers(json: boolean): Record<string, string> {
  const h: Record<string, string> = { accept: 'application/json' };
  if (json) h['content-type'] = 'application/json';
  const token = getToken();
  if (token) h.authorization = `Bearer ${token}`;
  return h;
}

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { method, headers: headers(body !== undefined), body: body === undefined ? undefined : JSON.stringify(body), signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK', `cannot reach the FLUO server: ${(err as Error).message}`);
  }
  if (res.status === 401) {
    for (const l of unauthorizedListeners) l();
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = undefined;
  try { data = text === '' ? undefined : JSON.parse(text); } catch { /* not JSON: reported below */ }
  if (!res.ok) {
    const e = (data as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
    throw new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? `${method} ${path} failed with HTTP ${res.status}`, e?.details);
  }
  if (data === undefined) throw new ApiError(res.status, 'BAD_RESPONSE', `${method} ${path} answered with something that is not JSON`);
  return data as T;
}

export const fluoApi = {
  uiConfig: () => request<UiConfig>('GET', '/api/v1/ui-config'),
  overview: () => request<Overview>('GET', '/api/v1/overview'),

  listRules: () => request<{ rules: Rule[]; fileErrors: string[] }>('GET', '/api/v1/rules'),
  getRule: (id: string) => request<Rule>('GET', `/api/v1/rules/${encodeURIComponent(id)}`),
  createRule: (rule: RuleInput) => request<Rule>('POST', '/api/v1/rules', rule),
  replaceRule: (id: string, rule: RuleInput & { version?: number }) => request<Rule>('PUT', `/api/v1/rules/${encodeURIComponent(id)}`, rule),
  patchRule: (id: string, patch: RuleChange) => request<Rule>('PATCH', `/api/v1/rules/${encodeURIComponent(id)}`, patch),
  deleteRule: (id: string) => request<void>('DELETE', `/api/v1/rules/${encodeURIComponent(id)}`),
  testRule: (dsl: string, options: { since?: number; limit?: number } = {}) => request<RuleTestResult>('POST', '/api/v1/rules/test', { dsl, ...options }),

  listSignals: (filter: SignalFilter = {}, signal?: AbortSignal) =>
    request<{ signals: Signal[]; nextCursor: string | null }>('GET', `/api/v1/signals${query({ ...filter })}`, undefined, signal),
  getSignal: (id: string) => request<SignalDetail>('GET', `/api/v1/signals/${encodeURIComponent(id)}`),
  setSignalStatus: (id: string, status: SignalStatus, note: string | null) =>
    request<SignalDetail>('PATCH', `/api/v1/signals/${encodeURIComponent(id)}`, { status, note }),
  setSignalsStatus: (ids: string[], status: SignalStatus, note: string | null) =>
    request<BulkStatusResult>('POST', '/api/v1/signals/status', { ids, status, note }),
  signalCounts: (options: { since?: number; until?: number; bucket?: string; status?: SignalStatus; ruleId?: string } = {}) =>
    request<SignalCounts>('GET', `/api/v1/signals/counts${query(options)}`),

  listTraces: (filter: TraceFilter = {}, signal?: AbortSignal) =>
    request<TracePage>('GET', `/api/v1/traces${query({ ...filter })}`, undefined, signal),
  getTrace: (traceId: string) => request<TraceDetail>('GET', `/api/v1/traces/${encodeURIComponent(traceId)}`),
  traceKeys: () => request<TraceKeys>('GET', '/api/v1/traces/keys'),

  listNotifications: (filter: { status?: NotificationStatus; channelId?: string; signalId?: string; limit?: number; cursor?: string } = {}) =>
    request<{ notifications: NotificationRow[]; nextCursor: string | null }>('GET', `/api/v1/notifications${query({ ...filter })}`),
  channelTypes: () => request<{ types: ChannelType[] }>('GET', '/api/v1/notifications/channel-types'),
  listChannels: () => request<{ channels: Channel[] }>('GET', '/api/v1/notifications/channels'),
  createChannel: (channel: ChannelInput) => request<Channel>('POST', '/api/v1/notifications/channels', channel),
  replaceChannel: (id: string, channel: ChannelInput) => request<Channel>('PUT', `/api/v1/notifications/channels/${encodeURIComponent(id)}`, channel),
  deleteChannel: (id: string) => request<void>('DELETE', `/api/v1/notifications/channels/${encodeURIComponent(id)}`),
  testChannel: (id: string, text?: string) => request<ChannelTestResult>('POST', `/api/v1/notifications/channels/${encodeURIComponent(id)}/test`, text === undefined ? {} : { text }),

  ruleVersions: (id: string) => request<{ ruleId: string; versions: RuleVersion[] }>('GET', `/api/v1/rules/${encodeURIComponent(id)}/versions`),
  rulePrecision: (id: string, options: { since?: number; bucket?: string } = {}) =>
    request<RulePrecision>('GET', `/api/v1/rules/${encodeURIComponent(id)}/precision${query(options)}`),
  ruleShadow: (id: string, options: { since?: number; limit?: number } = {}) =>
    request<ShadowReport>('GET', `/api/v1/rules/${encodeURIComponent(id)}/shadow${query(options)}`),
  promoteRule: (id: string, version: number) => request<Rule>('POST', `/api/v1/rules/${encodeURIComponent(id)}/promote`, { version }),
  ruleRefinements: (id: string, options: { since?: number; maxRecallLoss?: number } = {}) =>
    request<RefinementReport>('GET', `/api/v1/rules/${encodeURIComponent(id)}/refinements${query(options)}`),
  applyRefinement: (id: string, dsl: string, version: number) =>
    request<Rule>('POST', `/api/v1/rules/${encodeURIComponent(id)}/refinements/apply`, { dsl, version }),

  mineInvariants: (options: { since?: number; minSupport?: number; minConfidence?: number } = {}) =>
    request<InvariantReport>('GET', `/api/v1/invariants${query(options)}`),
  adoptInvariant: (candidate: { dsl: string; description: string }) => request<Rule>('POST', '/api/v1/invariants/adopt', candidate),
  precisionInsights: (options: { since?: number } = {}) => request<{ rules: RulePrecisionSummary[] }>('GET', `/api/v1/insights/precision${query(options)}`),
  rateInsights: () => request<RateReport>('GET', '/api/v1/insights/rates'),

  listTokens: () => request<{ tokens: ApiToken[] }>('GET', '/api/v1/tokens'),
  createToken: (name: string, role: TokenRole) => request<ApiToken & { token: string }>('POST', '/api/v1/tokens', { name, role }),
  revokeToken: (id: string) => request<ApiToken>('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`),
  listAudit: (options: { cursor?: string; limit?: number; action?: string; target?: string } = {}) =>
    request<{ entries: AuditEntry[]; nextCursor: string | null }>('GET', `/api/v1/audit${query(options)}`),
};

/** The message to show for a failed call: 403 says what role is missing (the server's words), others the server's message. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.status === 403 ? `Not allowed (403): ${err.message}` : err.message;
  return err instanceof Error ? err.message : String(err);
}

/** Server validation problems by field (e.g. `settings.url` → message), from a 400's details. */
export function fieldErrors(err: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(err instanceof ApiError) || !Array.isArray(err.details)) return out;
  for (const d of err.details as Array<{ field?: unknown; message?: unknown }>) {
    if (typeof d?.field === 'string' && typeof d.message === 'string' && !(d.field in out)) out[d.field] = d.message;
  }
  return out;
}

/**
 * Live signals over SSE (GET /api/v1/signals/stream), resuming after a
 * dropped connection from the last event id. Without a token the browser's
 * EventSource is used; EventSource cannot send headers, so with a token the
 * stream is read with fetch (sending the Authorization header).
 * Returns a function that closes the stream.
 */
export function subscribeSignals(onSignal: (signal: Signal) => void, onState?: (state: 'live' | 'reconnecting') => void): () => void {
  const deliver = (data: string) => {
    try { onSignal(JSON.parse(data) as Signal); } catch { /* a malformed event is skipped */ }
  };
  const token = getToken();
  if (!token) {
    const source = new EventSource('/api/v1/signals/stream');
    source.addEventListener('open', () => onState?.('live'));
    source.addEventListener('error', () => onState?.('reconnecting'));
    source.addEventListener('signal', (e) => deliver((e as MessageEvent<string>).data));
    return () => source.close();
  }
  class Unauthorized extends Error {}
  class Closed extends Error {}
  const abort = new AbortController();
  void fetchEventSource('/api/v1/signals/stream', {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    signal: abort.signal,
    openWhenHidden: true,
    async onopen(res) {
      if (res.status === 401) {
        for (const l of unauthorizedListeners) l();
        throw new Unauthorized();
      }
      if (!res.ok) throw new Error(`signal stream answered HTTP ${res.status}`);
      onState?.('live');
    },
    onmessage(ev) { if (ev.event === 'signal') deliver(ev.data); },
    onclose() { throw new Closed(); },
    onerror(err) {
      if (err instanceof Unauthorized) throw err;
      onState?.('reconnecting');
      return 2000;
    },
  }).catch(() => undefined);
  return () => abort.abort();
}
