/**
 * The rate monitor: every `intervalMs` it compares each enabled rule's
 * signals per trace in the last `windowMs` with the rule's seasonal baseline
 * (engine `assessRate`: hour-of-day slots learnt from up to `historyMs` of
 * history, starting no earlier than the rule's current DSL) and, for a
 * jump or a collapse, stores a meta-signal of the built-in rule
 * `fluo.rate-anomaly` (published on the SSE stream like any signal, so
 * notifications and the UI see it). At most one meta-signal per rule per
 * window period: its id is derived from the rule id and the period.
 *
 * Traces in scope are the kept traces (every completed trace is evaluated by
 * every enabled rule), counted by completion time; signals by detection
 * time. Both come from the store as per-bucket counts (`countActivity`), so
 * a check reads a bounded number of rows whatever the traffic. History is
 * limited by trace retention: keep traces at least as long as `historyMs`
 * for a full seasonal baseline.
 */
import { assessRate, signalId, type RuleMode, type RateAssessment, type RateBaselineOptions, type RateBucket, type Signal } from '@fluohq/engine';
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { SignalHub } from '../pipeline/signalHub.js';
import type { RuleSet } from '../rules/ruleSet.js';
import type { SignalRecord, Store } from '../store/store.js';

export const RATE_ANOMALY_RULE_ID = 'fluo.rate-anomaly';
const HOUR = 3_600_000;

export interface RateMonitorOptions {
  /** The window under test: the last windowMs before the check. */
  windowMs: number;
  /** History the baseline learns from, before the window. */
  historyMs: number;
  /** Time between checks. */
  intervalMs: number;
  baseline?: Partial<RateBaselineOptions>;
}

export interface RuleRateAssessment extends RateAssessment {
  ruleId: string;
  ruleName: string;
  /** The rule's mode; a meta-signal about a shadow rule is a shadow signal too (nobody is paged about a rule still on trial). */
  mode: RuleMode;
}

export interface RateCheck {
  at: number;
  assessments: RuleRateAssessment[];
}

export class RateMonitor {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private closed = false;
  private lastCheck: RateCheck | null = null;

  constructor(
    private readonly deps: { store: Store; ruleSet: RuleSet; hub: SignalHub; log: Logger },
    readonly options: RateMonitorOptions,
  ) {}

  /** The result of the last periodic check, null before the first. */
  get last(): RateCheck | null {
    return this.lastCheck;
  }

  /** Assesses every enabled rule at `now` (reads only). */
  async assess(now: number): Promise<RuleRateAssessment[]> {
    const { store, ruleSet } = this.deps;
    const { windowMs, historyMs } = this.options;
    const windowStart = now - windowMs;
    const historySince = Math.floor((windowStart - historyMs) / HOUR) * HOUR;
    const history = await store.countActivity({ since: historySince, until: windowStart, bucketMs: HOUR });
    const current = await store.countActivity({ since: windowStart, until: now, bucketMs: windowMs });
    const currentTraces = current.traces.reduce((n, b) => n + b.count, 0);
    const currentSignals = new Map<string, number>();
    for (const s of current.signals) currentSignals.set(s.ruleId, (currentSignals.get(s.ruleId) ?? 0) + s.count);
    const historySignals = new Map<string, number>();
    for (const s of history.signals) historySignals.set(`${s.ruleId}\u0000${s.start}`, s.count);
    const out: RuleRateAssessment[] = [];
    for (const rule of ruleSet.active()) {
      if (rule.id === RATE_ANOMALY_RULE_ID) continue;
      // Learn only from the rule's current expression: buckets wholly after it was saved.
      const since = Math.max(historySince, await this.expressionSince(rule.id));
      const buckets: RateBucket[] = history.traces
        .filter((b) => b.start >= since)
        .map((b) => ({ start: b.start, traces: b.count, signals: historySignals.get(`${rule.id}\u0000${b.start}`) ?? 0 }));
      const assessment = assessRate(buckets, { start: windowStart, end: now, traces: currentTraces, signals: currentSignals.get(rule.id) ?? 0 }, { ...this.options.baseline, bucketMs: HOUR });
      out.push({ ruleId: rule.id, ruleName: rule.name, mode: rule.mode, ...assessment });
    }
    return out.sort((a, b) => (a.ruleId < b.ruleId ? -1 : 1));
  }

  /**
   * Since when an API rule has had its current DSL: the save time of the
   * oldest of the latest run of versions with the same DSL (enabling,
   * renaming or promoting does not reset the baseline). 0 for file rules,
   * whose history FLUO does not know.
   */
  private async expressionSince(ruleId: string): Promise<number> {
    const view = this.deps.ruleSet.get(ruleId);
    if (!view || view.source !== 'api') return 0;
    const versions = await this.deps.store.listRuleVersions(ruleId);
    let since = view.updatedAt;
    for (const v of versions) {
      if (v.dsl !== view.dsl) break;
      since = v.savedAt;
    }
    return since;
  }

  /** Assesses and stores a meta-signal per jump or collapse; resolves to the meta-signals newly stored. */
  async check(now: number): Promise<SignalRecord[]> {
    const assessments = await this.assess(now);
    this.lastCheck = { at: now, assessments };
    const period = Math.floor(now / this.options.windowMs);
    const signals = assessments
      .filter((a) => a.status === 'jump' || a.status === 'collapse')
      .map((a): Signal => ({
        id: signalId(RATE_ANOMALY_RULE_ID, `${a.ruleId}\u0000${period}`),
        ruleId: RATE_ANOMALY_RULE_ID,
        ruleName: 'Rule rate anomaly',
        ruleVersion: 1,
        severity: 'warning',
        mode: a.mode,
        traceId: '',
        spanIds: [],
        message: `rule '${a.ruleId}' ${a.message}`,
        detectedAt: now,
        firstSpanTime: a.window.start,
        lastSpanTime: a.window.end,
        services: [],
      }));
    if (signals.length === 0) return [];
    const stored = await this.deps.store.write({ signals: signals.map((signal) => ({ signal, evidence: [] })), traces: [] });
    this.deps.hub.publish(stored);
    for (const s of stored) this.deps.log.warn(s.message);
    return stored;
  }

  start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.check(Date.now())
        .catch((err: unknown) => this.deps.log.error(`rate check failed: ${describeError(err)}`))
        .finally(() => { this.running = null; });
    }, this.options.intervalMs);
  }

  /** Stops the timer and waits for a running check. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.running) await this.running;
  }
}
