/**
 * Drives the shop like its users would: user flows started at a steady rate
 * against the gateway, a seeded mix of browsing, logins, account views,
 * checkouts and saved cards, with incidents injected at `incidentRate`
 * (kinds taken in turns, shuffled by the seed, so that every kind shows up
 * within the first few incidents). A flow is one request, or for a
 * correlated incident and some clean flows several requests in turn (a new
 * trace each): a login retried by the app, a user paying again.
 *
 * Keys (users, cards, sessions) are chosen so that clean traffic is realistic
 * but does not match a correlated rule by accident: every flow gets a new
 * session and uses a user no incident or recent failure has reserved; a
 * wrong password or a declined card reserves its user for longer than the
 * correlated rules' windows, so a user never fails twice (or fails and then
 * logs in) within them in clean traffic; a user's cards are that user's.
 * The keys of an incident are reserved for it alone.
 *
 * It counts requests and incidents by kind, and with `recordTraceIds`
 * records the trace of every request (from the gateway's `traceresponse`
 * header): per incident, all its traces and its key; clean ones apart. That
 * is the ground truth the demo's test compares FLUO's signals with. Without
 * it nothing grows with the run's length (the key reservations are pruned
 * as they expire).
 */
import { INCIDENT_KINDS, type IncidentKind } from './incidents.js';
import type { Random } from './random.js';
import { INCIDENT_HEADER } from './shopService.js';
import { NEAR_MISS_CARD_DECLINED, NEAR_MISS_ONE_RETRY, NEAR_MISS_WRONG_PASSWORD } from './shop.js';

/** Longer than every correlated example rule's window (10 minutes) plus its lateness. */
const INCIDENT_KEY_HOLD_MS = 11 * 60_000;
/** After a clean wrong password: longer than login-retry-across-traces' 5 s window plus lateness. */
const FAILED_LOGIN_HOLD_MS = 30_000;
/** After a clean declined card: longer than card-testing-across-accounts' 10 minute window plus lateness. */
const DECLINED_CARD_HOLD_MS = 11 * 60_000;
const USER_POOL = 50_000;

export interface TrafficCounts {
  /** Incidents injected, by kind (a correlated incident counts once, whatever its requests). */
  incidents: Record<IncidentKind, number>;
  /** Requests without an incident. */
  clean: number;
  failedRequests: number;
}

/** One injected incident: the traces of all its requests and, for incidents a correlated rule sees, the key. */
export interface IncidentOccurrence {
  traceIds: string[];
  /** The value correlated rules group it by (user, card fingerprint or session). */
  key?: string;
}

export interface TrafficRecord {
  seed: number;
  /** Each injected incident, by kind. */
  incidents: Record<IncidentKind, IncidentOccurrence[]>;
  /** Trace ids of requests without an incident (near misses included). */
  clean: string[];
  /** Requests that got no answer from the gateway. */
  failedRequests: number;
}

export interface TrafficGeneratorOptions {
  gatewayUrl: string;
  random: Random;
  seed: number;
  /** Requests per second. */
  rate: number;
  /** Share of requests with an incident, 0–1. */
  incidentRate: number;
  /** Most requests in flight; the generator waits rather than piling up. */
  maxInFlight?: number;
  /** Keep every trace id (for --record); otherwise only counts. */
  recordTraceIds?: boolean;
}

/**
 * Keys in use, each until a time: bounded by the keys reserved within the
 * longest hold (expired ones are pruned as new ones are reserved).
 */
class KeyReservations {
  private readonly until = new Map<string, number>();

  isFree(key: string, now: number): boolean {
    return (this.until.get(key) ?? 0) <= now;
  }

  reserve(key: string, now: number, holdMs: number): void {
    if (this.until.size > 0 && this.until.size % 256 === 0) {
      for (const [k, t] of this.until) if (t <= now) this.until.delete(k);
    }
    this.until.set(key, Math.max(this.until.get(key) ?? 0, now + holdMs));
  }
}

/** A planned request: everything random is drawn before the flow starts, so the seed alone decides the mix. */
interface PlannedRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: Record<string, unknown>;
  /** The x-demo-incident header: an incident or a near miss for the shop to play. */
  header?: string;
  /** Pause before this request, ms (a user or an app retrying). */
  delayMs?: number;
}

interface PlannedFlow {
  incident?: IncidentKind;
  key?: string;
  requests: PlannedRequest[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class TrafficGenerator {
  private readonly record: TrafficRecord;
  private readonly tally: TrafficCounts;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly reservations = new KeyReservations();
  private incidentTurn: IncidentKind[] = [];
  private flows = 0;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly options: TrafficGeneratorOptions) {
    this.record = { seed: options.seed, incidents: Object.fromEntries(INCIDENT_KINDS.map((k) => [k, []])) as unknown as Record<IncidentKind, IncidentOccurrence[]>, clean: [], failedRequests: 0 };
    this.tally = { incidents: Object.fromEntries(INCIDENT_KINDS.map((k) => [k, 0])) as Record<IncidentKind, number>, clean: 0, failedRequests: 0 };
  }

  /** A copy of the trace ids recorded so far (empty lists without `recordTraceIds`). */
  snapshot(): TrafficRecord {
    return structuredClone({ ...this.record, failedRequests: this.tally.failedRequests });
  }

  counts(): TrafficCounts {
    return structuredClone(this.tally);
  }

  start(): void {
    if (this.loop) return;
    this.loop = this.run();
  }

  /** Stops starting flows and waits for the flows in progress to finish. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    await Promise.all([...this.inFlight]);
  }

  private async run(): Promise<void> {
    const interval = 1000 / this.options.rate;
    let next = Date.now();
    while (!this.stopped) {
      if (this.inFlight.size < (this.options.maxInFlight ?? 500)) {
        const p = this.perform(this.plan()).finally(() => this.inFlight.delete(p));
        this.inFlight.add(p);
      }
      next += interval;
      const wait = Math.max(0, next - Date.now());
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => { this.wake = null; resolve(); }, wait);
        this.wake = () => { clearTimeout(timer); resolve(); };
      });
    }
  }

  private nextIncident(): IncidentKind | undefined {
    const { random, incidentRate } = this.options;
    if (!random.chance(incidentRate)) return undefined;
    if (this.incidentTurn.length === 0) this.incidentTurn = random.shuffled(INCIDENT_KINDS);
    return this.incidentTurn.shift();
  }

  /** A user no incident or recent failure holds, reserved for `holdMs` when given. */
  private user(now: number, holdMs = 0): string {
    const { random } = this.options;
    let user = '';
    for (let attempt = 0; attempt < 64; attempt++) {
      user = `user${random.int(1, USER_POOL)}@example.com`;
      if (this.reservations.isFree(user, now)) break;
      user = '';
    }
    // Every pick taken (only at rates far beyond the pool): a new account.
    if (user === '') user = `new-user-${this.flows}@example.com`;
    if (holdMs > 0) this.reservations.reserve(user, now, holdMs);
    return user;
  }

  private session(): string {
    return `sess-${this.flows}-${this.options.random.int(0, 0xffffff).toString(16).padStart(6, '0')}`;
  }

  /** A card the user has saved (0: the usual one, 1: the backup): its fingerprint is theirs alone. */
  private static card(user: string, slot: number): string {
    // Two 32-bit FNV-1a hashes with different offsets: 64 bits, so users' cards do not collide.
    const fnv = (basis: number): string => {
      let h = basis;
      for (const c of `${user}#${slot}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
      return h.toString(16).padStart(8, '0');
    };
    return `fp_${fnv(0x811c9dc5)}${fnv(0x050c5d1f)}`;
  }

  private checkout(user: string, session: string, card: string, header?: string, delayMs?: number): PlannedRequest {
    const { random } = this.options;
    return { method: 'POST', path: '/api/v2/checkout', body: { sku: `sku-${random.int(100, 999)}`, amount: random.int(500, 25000) / 100, user, session, card }, header, delayMs };
  }

  private login(user: string, password: string, header?: string, delayMs?: number): PlannedRequest {
    return { method: 'POST', path: '/api/v2/login', body: { user, password }, header, delayMs };
  }

  private plan(): PlannedFlow {
    const { random } = this.options;
    const now = Date.now();
    this.flows++;
    const incident = this.nextIncident();
    switch (incident) {
      case 'retry-storm':
        return { incident, requests: [{ method: 'GET', path: '/api/v2/products', header: incident }] };
      case 'pii-without-audit':
        return { incident, requests: [{ method: 'GET', path: '/api/v2/account', header: incident }] };
      case 'auth-retry': {
        const user = this.user(now, INCIDENT_KEY_HOLD_MS);
        return { incident, key: user, requests: [this.login(user, 'secret', incident)] };
      }
      case 'slow-payment-query':
      case 'payment-without-fraud-check': {
        const user = this.user(now);
        return { incident, requests: [this.checkout(user, this.session(), TrafficGenerator.card(user, 0), incident)] };
      }
      case 'login-retry-new-trace': {
        // The app gets a 401 (expired token), refreshes it and logs in again: a new request, a new trace.
        const user = this.user(now, INCIDENT_KEY_HOLD_MS);
        return { incident, key: user, requests: [this.login(user, 'secret', incident), this.login(user, 'secret', undefined, random.int(200, 900))] };
      }
      case 'payment-errors-per-user': {
        // Five failed attempts at paying (the user's payment methods are unreachable), then one that goes through.
        const user = this.user(now, INCIDENT_KEY_HOLD_MS);
        const session = this.session();
        const card = TrafficGenerator.card(user, 0);
        const requests = Array.from({ length: 5 }, (_, i) => this.checkout(user, session, card, incident, i === 0 ? 0 : random.int(150, 500)));
        requests.push(this.checkout(user, session, card, undefined, random.int(300, 800)));
        return { incident, key: user, requests };
      }
      case 'card-testing': {
        // One stolen card, added to three accounts in a row; the issuer declines it each time.
        const card = `fp_stolen${random.int(0, 0xffffff).toString(16).padStart(6, '0')}${this.flows}`;
        this.reservations.reserve(card, now, INCIDENT_KEY_HOLD_MS);
        const requests = [0, 1, 2].map((i) => ({ method: 'POST' as const, path: '/api/v2/wallet/cards', body: { user: this.user(now, INCIDENT_KEY_HOLD_MS), card }, header: incident, delayMs: i === 0 ? 0 : random.int(200, 700) }));
        return { incident, key: card, requests };
      }
      case 'checkout-abandoned': {
        // The card is declined and the user leaves: the session never confirms an order.
        const user = this.user(now, INCIDENT_KEY_HOLD_MS);
        const session = this.session();
        return { incident, key: session, requests: [this.checkout(user, session, TrafficGenerator.card(user, 0), incident)] };
      }
      case undefined:
        break;
    }
    switch (random.pick(['browse', 'browse', 'browse', 'login', 'login', 'account', 'checkout', 'checkout', 'add-card'] as const)) {
      case 'browse':
        return { requests: [{ method: 'GET', path: '/api/v2/products', header: random.chance(0.05) ? NEAR_MISS_ONE_RETRY : undefined }] };
      case 'account':
        return { requests: [{ method: 'GET', path: '/api/v2/account' }] };
      case 'login': {
        // A wrong password now and then, and no second try soon: one failure alone is no incident.
        const wrong = random.chance(0.08);
        const user = this.user(now, wrong ? FAILED_LOGIN_HOLD_MS : 0);
        return { requests: [this.login(user, wrong ? 'wrong' : 'secret', wrong ? NEAR_MISS_WRONG_PASSWORD : undefined)] };
      }
      case 'add-card': {
        const user = this.user(now);
        return { requests: [{ method: 'POST', path: '/api/v2/wallet/cards', body: { user, card: TrafficGenerator.card(user, 1) } }] };
      }
      case 'checkout': {
        // Now and then the usual card is declined and the user pays with the backup card, in the same session.
        const declined = random.chance(0.06);
        const user = this.user(now, declined ? DECLINED_CARD_HOLD_MS : 0);
        const session = this.session();
        if (!declined) return { requests: [this.checkout(user, session, TrafficGenerator.card(user, 0))] };
        return { requests: [this.checkout(user, session, TrafficGenerator.card(user, 0), NEAR_MISS_CARD_DECLINED), this.checkout(user, session, TrafficGenerator.card(user, 1), undefined, random.int(500, 2000))] };
      }
    }
  }

  /** Sends the flow's requests in turn; records its traces as one incident, or each as clean. */
  private async perform(flow: PlannedFlow): Promise<void> {
    const traceIds: string[] = [];
    for (const request of flow.requests) {
      if (request.delayMs) await sleep(request.delayMs);
      const traceId = await this.send(request);
      if (traceId === undefined) continue;
      if (flow.incident) traceIds.push(traceId);
      else {
        this.tally.clean++;
        if (this.options.recordTraceIds) this.record.clean.push(traceId);
      }
    }
    if (!flow.incident) return;
    this.tally.incidents[flow.incident]++;
    if (this.options.recordTraceIds) this.record.incidents[flow.incident].push(flow.key === undefined ? { traceIds } : { traceIds, key: flow.key });
  }

  /** One request to the gateway; the trace that served it, or undefined (counted) when it got no answer. */
  private async send(request: PlannedRequest): Promise<string | undefined> {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'fluo-demo-traffic/0.2' };
    if (request.header) headers[INCIDENT_HEADER] = request.header;
    try {
      const response = await fetch(`${this.options.gatewayUrl}${request.path}`, { method: request.method, headers, body: request.body === undefined ? undefined : JSON.stringify(request.body) });
      await response.arrayBuffer();
      const traceId = /^00-([0-9a-f]{32})-/.exec(response.headers.get('traceresponse') ?? '')?.[1];
      if (!traceId) this.tally.failedRequests++;
      return traceId;
    } catch {
      this.tally.failedRequests++;
      return undefined;
    }
  }
}
