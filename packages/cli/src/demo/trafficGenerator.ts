/**
 * Drives the shop like its users would: requests at a steady rate to the
 * gateway, a seeded mix of browsing, logins, account views and checkouts,
 * with incidents injected at `incidentRate` (kinds taken in turns, shuffled
 * by the seed, so that every kind shows up within the first few incidents).
 *
 * It counts requests by incident kind, and with `recordTraceIds` records the
 * trace of every request (from the gateway's `traceresponse` header) by
 * incident kind, or as clean: the ground truth the demo's test compares
 * FLUO's signals with. Without it nothing grows with the run's length.
 */
import { INCIDENT_KINDS, type IncidentKind } from './incidents.js';
import type { Random } from './random.js';
import { INCIDENT_HEADER } from './shopService.js';
import { NEAR_MISS_ONE_RETRY, NEAR_MISS_WRONG_PASSWORD } from './shop.js';

type Scenario = 'browse' | 'login' | 'account' | 'checkout';

const SCENARIO_OF: Record<IncidentKind, Scenario> = {
  'auth-retry': 'login',
  'pii-without-audit': 'account',
  'slow-payment-query': 'checkout',
  'payment-without-fraud-check': 'checkout',
  'retry-storm': 'browse',
};

export interface TrafficCounts {
  incidents: Record<IncidentKind, number>;
  clean: number;
  failedRequests: number;
}

export interface TrafficRecord {
  seed: number;
  /** Trace ids of requests that carried each incident. */
  incidents: Record<IncidentKind, string[]>;
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

export class TrafficGenerator {
  private readonly record: TrafficRecord;
  private readonly tally: TrafficCounts;
  private readonly inFlight = new Set<Promise<void>>();
  private incidentTurn: IncidentKind[] = [];
  private stopped = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly options: TrafficGeneratorOptions) {
    this.record = { seed: options.seed, incidents: Object.fromEntries(INCIDENT_KINDS.map((k) => [k, []])) as unknown as Record<IncidentKind, string[]>, clean: [], failedRequests: 0 };
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

  /** Stops sending and waits for the requests in flight. Idempotent. */
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
        const p = this.one().finally(() => this.inFlight.delete(p));
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

  private async one(): Promise<void> {
    const { random, gatewayUrl } = this.options;
    const incident = this.nextIncident();
    const scenario: Scenario = incident ? SCENARIO_OF[incident] : random.pick<Scenario>(['browse', 'browse', 'browse', 'login', 'login', 'account', 'checkout', 'checkout']);
    let header: string | undefined = incident;
    let path: string;
    let method = 'GET';
    let body: unknown;
    switch (scenario) {
      case 'browse':
        path = '/api/v2/products';
        if (!incident && random.chance(0.05)) header = NEAR_MISS_ONE_RETRY;
        break;
      case 'login':
        path = '/api/v2/login';
        method = 'POST';
        body = { user: `user${random.int(1, 5000)}@example.com`, password: !incident && random.chance(0.08) ? 'wrong' : 'secret' };
        if (!incident && (body as { password: string }).password === 'wrong') header = NEAR_MISS_WRONG_PASSWORD;
        break;
      case 'account':
        path = '/api/v2/account';
        break;
      case 'checkout':
        path = '/api/v2/checkout';
        method = 'POST';
        body = { sku: `sku-${random.int(100, 999)}`, amount: random.int(500, 25000) / 100 };
        break;
    }
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'fluo-demo-traffic/0.1' };
    if (header) headers[INCIDENT_HEADER] = header;
    try {
      const response = await fetch(`${gatewayUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      await response.arrayBuffer();
      const traceId = /^00-([0-9a-f]{32})-/.exec(response.headers.get('traceresponse') ?? '')?.[1];
      if (!traceId) {
        this.tally.failedRequests++;
        return;
      }
      if (incident) this.tally.incidents[incident]++;
      else this.tally.clean++;
      if (this.options.recordTraceIds) {
        if (incident) this.record.incidents[incident].push(traceId);
        else this.record.clean.push(traceId);
      }
    } catch {
      this.tally.failedRequests++;
    }
  }
}
