/**
 * Where the DetectionCore runs: on a detection thread of its own
 * (`ThreadDetection`, the default: `--detection-thread on`), or on the
 * ingest thread (`InlineDetection`, `--detection-thread off`).
 *
 * With the thread, the ingest thread keeps the listeners, the span log, the
 * write queue, notifications and the API; the detection thread decodes
 * requests, assembles traces, evaluates rules, encodes completed traces and
 * serializes evidence. A request's bytes are copied to the thread once; kept
 * traces' bytes come back by transfer, not copy.
 *
 * Contract (both hosts):
 * - Calls run in the order they are made, one at a time.
 * - `apply`, when given, runs with the call's result before the returned
 *   promise settles and before the result of any later call is applied: the
 *   pipeline relies on this to push completed traces and signals to the
 *   write queue in the order the core produced them.
 * - `stats()` is the core's state as of the last result applied (inline: now).
 * - A thread that ends unexpectedly fails every call in flight and every
 *   later call with `failure` (the pipeline then refuses spans; the span log
 *   keeps what was accepted for the next start).
 * - `close()` closes the core (its output is applied) and ends the thread.
 *   Idempotent.
 */
import { Worker } from 'node:worker_threads';
import { DetectorClosedError, OtlpDecodeError, type CompiledRule } from '@fluohq/engine';
import { DetectionCore, type CoreOutput, type DetectionCoreOptions, type DetectionStats } from './detectionCore.js';

/** The core's methods a host forwards, with their arguments and results. */
type CoreMethod = 'decode' | 'drop' | 'ingest' | 'ingestStored' | 'tick' | 'restoreCorrelation' | 'openTrace' | 'stats';
type Args<M extends CoreMethod> = Parameters<DetectionCore[M]>;
type Result<M extends CoreMethod> = ReturnType<DetectionCore[M]>;

export interface DetectionHost {
  readonly threaded: boolean;
  /** Why the host cannot run calls any more (its thread ended); null while it can. */
  readonly failure: Error | null;
  stats(): DetectionStats;
  setRules(rules: readonly CompiledRule[]): void;
  call<M extends CoreMethod>(method: M, args: Args<M>, apply?: (result: Result<M>) => void): Promise<Result<M>>;
  close(now: number, apply: (output: CoreOutput) => void): Promise<void>;
}

export class InlineDetection implements DetectionHost {
  readonly threaded = false;
  readonly failure = null;
  private readonly core: DetectionCore;
  private closed = false;

  constructor(options: DetectionCoreOptions) {
    this.core = new DetectionCore(options);
  }

  stats(): DetectionStats {
    return this.core.stats();
  }

  setRules(rules: readonly CompiledRule[]): void {
    this.core.setRules(rules);
  }

  call<M extends CoreMethod>(method: M, args: Args<M>, apply?: (result: Result<M>) => void): Promise<Result<M>> {
    if (method === 'decode') {
      // The core keeps the bytes while the request's traces are buffered (DetectionCore.decode): its own copy,
      // so that a view does not keep a larger buffer alive (a pooled body, a span log segment) and nobody writes to it.
      const [id, format, body] = args as Args<'decode'>;
      args = [id, format, new Uint8Array(body)] as Args<M>;
    }
    try {
      const result = (this.core[method] as (...a: Args<M>) => Result<M>)(...args);
      apply?.(result);
      return Promise.resolve(result);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async close(now: number, apply: (output: CoreOutput) => void): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    apply(this.core.close(now));
  }
}

/** An error as the thread sends it back. */
interface WireError {
  name: string;
  message: string;
  code?: string;
  path?: string;
  line?: number;
  column?: number;
}

interface Pending {
  apply?: (result: unknown) => void;
  resolve: (result: unknown) => void;
  reject: (err: unknown) => void;
}

function errorFromWire(e: WireError): Error {
  if (e.name === 'OtlpDecodeError') {
    return new OtlpDecodeError(e.code as ConstructorParameters<typeof OtlpDecodeError>[0], e.message, { path: e.path, line: e.line, column: e.column });
  }
  const err = new Error(e.message);
  err.name = e.name;
  if (e.code !== undefined) Object.assign(err, { code: e.code });
  return err;
}

export class ThreadDetection implements DetectionHost {
  readonly threaded = true;
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private snapshot: DetectionStats;
  private failureValue: Error | null = null;
  private closing: Promise<void> | null = null;
  private readonly ended: Promise<void>;

  /** `onFailure`: called once, when the thread ends other than by close() (see `failure`). */
  constructor(options: DetectionCoreOptions, private readonly onFailure: (err: Error) => void = () => {}) {
    // Until the thread answers: the state of a core that has taken nothing yet.
    this.snapshot = new DetectionCore(options).stats();
    this.worker = new Worker(new URL('../../worker/detectionWorker.mjs', import.meta.url), {
      workerData: { role: 'fluo-detection', options },
    });
    this.worker.on('message', (m: { id: number; result?: unknown; error?: WireError }) => {
      const entry = this.pending.get(m.id);
      if (entry === undefined) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0 && this.closing === null) this.worker.unref();
      if (m.error !== undefined) {
        entry.reject(errorFromWire(m.error));
        return;
      }
      const stats = (m.result as { stats?: DetectionStats } | null)?.stats;
      if (stats !== undefined) this.snapshot = stats;
      try {
        entry.apply?.(m.result);
      } catch (err) {
        entry.reject(err);
        return;
      }
      entry.resolve(m.result);
    });
    this.worker.on('error', (err) => this.fail(new Error(`the detection thread failed: ${err.message}`, { cause: err })));
    // A reply that cannot be read leaves its caller without an answer: as bad as the thread's end.
    this.worker.on('messageerror', (err) => this.fail(new Error(`a message from the detection thread could not be read: ${err.message}`, { cause: err })));
    this.ended = new Promise((resolve) => {
      this.worker.on('exit', (code) => {
        const err = new Error(`the detection thread exited (code ${code})`);
        if (this.closing === null) this.fail(err);
        else this.rejectPending(err); // ended during close() before answering it: nothing may wait for good
        resolve();
      });
    });
    // Referenced only while calls are in flight: the listeners keep a server alive, not an idle thread.
    this.worker.unref();
  }

  get failure(): Error | null {
    return this.failureValue;
  }

  /** The thread itself (diagnostics and tests). */
  get thread(): Worker {
    return this.worker;
  }

  stats(): DetectionStats {
    return this.snapshot;
  }

  setRules(rules: readonly CompiledRule[]): void {
    // Compiled functions do not cross threads: the thread compiles the same definitions again.
    this.post('setRuleDefinitions', [rules.map((r) => r.definition)]).catch(() => { /* reported through failure */ });
  }

  call<M extends CoreMethod>(method: M, args: Args<M>, apply?: (result: Result<M>) => void): Promise<Result<M>> {
    if (method === 'decode') {
      // Posted as is, a view would take its whole underlying buffer along (a pooled or concatenated body):
      // the request's own bytes are copied once and moved.
      const [id, format, body] = args as Args<'decode'>;
      const own = new Uint8Array(body); // a copy (Buffer#slice would be a view)
      return this.post(method, [id, format, own], apply as ((result: unknown) => void) | undefined, [own.buffer as ArrayBuffer]) as Promise<Result<M>>;
    }
    return this.post(method, args, apply as ((result: unknown) => void) | undefined) as Promise<Result<M>>;
  }

  close(now: number, apply: (output: CoreOutput) => void): Promise<void> {
    if (this.closing) return this.closing;
    const closed = this.post('close', [now], apply as (result: unknown) => void);
    this.closing = (async () => {
      this.worker.ref();
      try {
        await closed;
      } finally {
        this.worker.postMessage({ exit: true });
        await this.ended;
      }
    })();
    return this.closing;
  }

  private post(method: string, args: unknown[], apply?: (result: unknown) => void, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.failureValue !== null) return Promise.reject(this.failureValue);
    // As the core answers after its close (the thread ends with it).
    if (this.closing !== null) return Promise.reject(new DetectorClosedError());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { apply, resolve, reject });
      this.worker.postMessage({ id, method, args }, transfer);
    });
  }

  private fail(err: Error): void {
    if (this.failureValue === null) {
      this.failureValue = err;
      this.onFailure(err);
    }
    this.rejectPending(this.failureValue);
  }

  private rejectPending(err: Error): void {
    for (const entry of this.pending.values()) entry.reject(err);
    this.pending.clear();
  }
}
