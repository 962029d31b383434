/**
 * The span log: a write-ahead log of accepted OTLP requests, so that a span
 * acknowledged to its sender survives `kill -9`, and the bound on the bytes
 * of accepted spans that are not finished yet.
 *
 * Contract. The receivers acknowledge a request (HTTP 200 / gRPC OK) only
 * after `append` resolved, i.e. after the request's record was written and
 * fsync'ed. A record stays on disk until every trace with spans in it has
 * been completed by the detector and its signals and kept trace have been
 * committed by the store. On start, `SpanLog.open` reads the records still on
 * disk; the pipeline feeds them to the detector again, which rebuilds the
 * buffered traces; signal ids are deterministic (rule + trace) and the store
 * ignores ids it has, so a signal stored before the crash is not stored twice.
 *
 * Record format (little-endian), one after the other in a segment file:
 *
 *     u32 magic 0x314c5746 ("FWL1")
 *     u32 payload length n
 *     u32 CRC-32 of the payload (zlib's polynomial)
 *     n bytes payload: u8 format (0 protobuf, 1 JSON) · f64 receivedAt (ms) · request body
 *
 * The body is stored as received (after decompression), so recovery decodes
 * it with the same decoder and gets the same spans.
 *
 * Segments. Records go to the active segment `NNNNNNNNNNNNNNNNNNNN.log`; past
 * `segmentBytes` a new segment starts. A sealed segment is deleted as a whole
 * once it is released: every (trace, segment) registration made when its
 * records were ingested has been released by `traceDone` + `written`.
 *
 * Group commit. `append` writes the record at once (one write call, in
 * order) and waits for the next fsync. Fsyncs run one at a time; every append
 * that arrives while one runs, or within `fsyncIntervalMs`, shares the next
 * one. Many concurrent requests therefore share one fsync.
 *
 * Bound. `admit(bytes)` refuses (FluoError WAL_FULL, retryable) when the live
 * segments plus the request would exceed `maxBytes`. This also bounds the
 * encoded bytes of spans held in memory by the detector and the write queue.
 *
 * Failures. A failed write (ENOSPC, EIO) truncates the segment back to its
 * last complete record (or, if that fails too, seals it and starts a new
 * one) and rejects that append with WAL_FAILED (retryable). A failed fsync
 * rejects every append waiting on it and seals the segment: after a failed
 * fsync the kernel may have dropped those pages, so nothing more is trusted
 * to that file. `failure` says what failed last until an append succeeds
 * again, which is how /readyz and the logs tell an operator why.
 *
 * Recovery reads every segment in order and each segment up to its first
 * torn or corrupt record (bad magic, length past the end, CRC mismatch);
 * the rest of that segment is counted in `discardedBytes` and logged. A torn
 * record at the end of the last segment is the normal trace of a crash: its
 * request was never acknowledged.
 *
 * With `durable: false` (`--wal=off`) nothing is written: appends resolve at
 * once and only the byte accounting and the bound remain. Spans acknowledged
 * then are lost on a crash.
 */
import { closeSync, fsync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readdirSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { FluoError, describeError } from '../errors.js';
import type { Logger } from '../logger.js';

export type SpanLogFormat = 'protobuf' | 'json';

export interface SpanLogOptions {
  /** Folder of the segment files (created when missing). */
  dir: string;
  /** false: no files, only accounting (`--wal=off`). */
  durable: boolean;
  /** Bytes of live records at most (the sum of live segment sizes). */
  maxBytes: number;
  /** A new segment starts past this size. Default: maxBytes / 16, between 64 KiB and 64 MiB. */
  segmentBytes?: number;
  /** ms an fsync waits to gather more appends (0: as soon as the previous fsync finished). */
  fsyncIntervalMs: number;
  log: Logger;
}

export interface SpanLogRecord {
  segment: number;
  format: SpanLogFormat;
  receivedAt: number;
  body: Uint8Array;
}

export interface SpanLogStats {
  /** Bytes of live segments. */
  bytes: number;
  maxBytes: number;
  segments: number;
  appends: number;
  appendErrors: number;
  fsyncs: number;
  fsyncErrors: number;
  segmentsDeleted: number;
  recoveredRecords: number;
  discardedBytes: number;
}

export interface SpanLogFailure {
  at: number;
  message: string;
}

const MAGIC = 0x314c5746;
const HEADER = 12;
const PAYLOAD_PREFIX = 9;

interface Segment {
  id: number;
  file: string;
  fd: number | null;
  size: number;
  sealed: boolean;
  /** Bytes written since the last fsync began. */
  dirty: boolean;
  /** Appends made but not yet registered or abandoned. */
  inflight: number;
  /** trace id → registrations not yet released. */
  traces: Map<string, number>;
}

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

export function encodeRecord(format: SpanLogFormat, receivedAt: number, body: Uint8Array): Buffer {
  const record = Buffer.allocUnsafe(HEADER + PAYLOAD_PREFIX + body.length);
  record.writeUInt32LE(MAGIC, 0);
  record.writeUInt32LE(PAYLOAD_PREFIX + body.length, 4);
  record.writeUInt8(format === 'json' ? 1 : 0, HEADER);
  record.writeDoubleLE(receivedAt, HEADER + 1);
  record.set(body, HEADER + PAYLOAD_PREFIX);
  record.writeUInt32LE(crc32(record.subarray(HEADER)), 8);
  return record;
}

/** Records of one segment file up to the first torn or corrupt one; `valid` is where that one starts. */
export function decodeRecords(data: Buffer, segment: number): { records: SpanLogRecord[]; valid: number; problem: string | null } {
  const records: SpanLogRecord[] = [];
  let at = 0;
  while (at < data.length) {
    if (data.length - at < HEADER) return { records, valid: at, problem: `torn record header at byte ${at}` };
    if (data.readUInt32LE(at) !== MAGIC) return { records, valid: at, problem: `bad record magic at byte ${at}` };
    const n = data.readUInt32LE(at + 4);
    if (n < PAYLOAD_PREFIX || at + HEADER + n > data.length) return { records, valid: at, problem: `torn record at byte ${at} (length ${n}, ${data.length - at - HEADER} bytes left)` };
    const payload = data.subarray(at + HEADER, at + HEADER + n);
    if (crc32(payload) !== data.readUInt32LE(at + 8)) return { records, valid: at, problem: `checksum mismatch in record at byte ${at}` };
    const format = payload.readUInt8(0) === 1 ? 'json' : 'protobuf';
    records.push({ segment, format, receivedAt: payload.readDoubleLE(1), body: payload.subarray(PAYLOAD_PREFIX) });
    at += HEADER + n;
  }
  return { records, valid: at, problem: null };
}

function segmentName(id: number): string {
  return `${String(id).padStart(20, '0')}.log`;
}

export class SpanLog {
  private readonly segments = new Map<number, Segment>();
  private active: Segment | null = null;
  private nextId = 1;
  private bytes = 0;
  private waiters: Waiter[] = [];
  private syncing = false;
  private syncTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;
  private failureValue: SpanLogFailure | null = null;
  private lastProbe = 0;
  /** Traces completed, waiting for the store to commit up to `seq`. */
  private done: Array<{ seq: number; traceId: string; registrations: Map<number, number> }> = [];
  /** trace id → segment id → registrations, since the trace's last `traceDone`. */
  private readonly traceSegments = new Map<string, Map<number, number>>();
  private readonly counters = { appends: 0, appendErrors: 0, fsyncs: 0, fsyncErrors: 0, segmentsDeleted: 0, recoveredRecords: 0, discardedBytes: 0 };
  private readonly segmentBytes: number;
  private recovered: SpanLogRecord[] = [];

  private constructor(private readonly options: SpanLogOptions) {
    this.segmentBytes = options.segmentBytes ?? Math.min(64 * 1024 * 1024, Math.max(64 * 1024, Math.floor(options.maxBytes / 16)));
  }

  /** Opens the log and reads what a previous run left (see `takeRecovered`). */
  static open(options: SpanLogOptions): SpanLog {
    const log = new SpanLog(options);
    if (options.durable) log.recover();
    return log;
  }

  get durable(): boolean {
    return this.options.durable;
  }

  /** The last append or fsync failure, until an append succeeds again. */
  get failure(): SpanLogFailure | null {
    return this.failureValue;
  }

  /**
   * While a failure is recorded, tries (at most once a second) to write and
   * fsync a small probe file in the log's folder, and clears the failure when
   * that works. Without it a FLUO taken out of a load balancer by its 503
   * /readyz would get no request to find out that the disk has room again.
   */
  recheck(now: number = Date.now()): void {
    if (this.failureValue === null || !this.options.durable || this.closed || now - this.lastProbe < 1000) return;
    this.lastProbe = now;
    const probe = path.join(this.options.dir, 'probe.tmp');
    try {
      const fd = openSync(probe, 'w');
      try {
        writeSync(fd, Buffer.alloc(4096));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
        unlinkSync(probe);
      }
      this.options.log.info(`span log: writable again after ${Math.round((now - this.failureValue.at) / 1000)} s: taking spans`);
      this.failureValue = null;
    } catch {
      // Still failing; the failure recorded says why.
    }
  }

  /** The records found at open, in log order; handed out once. */
  takeRecovered(): SpanLogRecord[] {
    const r = this.recovered;
    this.recovered = [];
    return r;
  }

  stats(): SpanLogStats {
    return { bytes: this.bytes, maxBytes: this.options.maxBytes, segments: this.segments.size, ...this.counters };
  }

  /** Throws a retryable WAL_FULL when a request of `bytes` does not fit now. */
  admit(bytes: number): void {
    if (this.closed) throw new FluoError('UNAVAILABLE', 'FLUO is shutting down', { retryAfterSeconds: 5 });
    const size = HEADER + PAYLOAD_PREFIX + bytes;
    if (this.bytes > 0 && this.bytes + size > this.options.maxBytes) {
      throw new FluoError('WAL_FULL', `the span log is full (${this.bytes} of ${this.options.maxBytes} bytes of accepted spans not yet evaluated and stored): retry later`, { retryAfterSeconds: 1 });
    }
  }

  /**
   * Appends a request and resolves when it is durable. The caller then
   * registers the request's traces with `register(segment, ...)`, or calls
   * `abandon(segment)` if it will not ingest them.
   */
  append(format: SpanLogFormat, receivedAt: number, body: Uint8Array): { segment: number; durable: Promise<void> } {
    if (this.closed) throw new FluoError('UNAVAILABLE', 'FLUO is shutting down', { retryAfterSeconds: 5 });
    const record = this.options.durable ? encodeRecord(format, receivedAt, body) : null;
    const size = record?.length ?? HEADER + PAYLOAD_PREFIX + body.length;
    let segment: Segment;
    try {
      segment = this.activeSegment(size);
    } catch (err) {
      throw this.failed(`cannot start a span log segment: ${(err as Error).message}`, err);
    }
    if (record !== null) {
      try {
        let written = 0;
        while (written < record.length) written += writeSync(segment.fd!, record, written, record.length - written, segment.size + written);
      } catch (err) {
        this.rollBack(segment);
        throw this.failed(`cannot write the span log (${path.join(this.options.dir, segment.file)}): ${(err as Error).message}`, err);
      }
      segment.dirty = true;
    }
    segment.size += size;
    this.bytes += size;
    segment.inflight++;
    this.counters.appends++;
    if (record === null) return { segment: segment.id, durable: Promise.resolve() };
    const durable = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.scheduleSync();
    return { segment: segment.id, durable };
  }

  /** Records that `traceIds` have spans in `segment` (call right after ingesting them). */
  register(segment: number, traceIds: Iterable<string>): void {
    const s = this.segments.get(segment);
    if (s === undefined) return;
    s.inflight--;
    for (const traceId of traceIds) {
      s.traces.set(traceId, (s.traces.get(traceId) ?? 0) + 1);
      let bySegment = this.traceSegments.get(traceId);
      if (bySegment === undefined) this.traceSegments.set(traceId, (bySegment = new Map()));
      bySegment.set(segment, (bySegment.get(segment) ?? 0) + 1);
    }
  }

  /** An append whose spans will not be ingested (its fsync failed, or the pipeline refused it). */
  abandon(segment: number): void {
    const s = this.segments.get(segment);
    if (s === undefined) return;
    s.inflight--;
    this.sweep();
  }

  /**
   * The trace completed (or its spans were all duplicates) and everything it
   * produced was queued for the store at write-queue position `seq`: its
   * registrations so far are released once `written(seq)`.
   */
  traceDone(traceId: string, seq: number): void {
    const registrations = this.traceSegments.get(traceId);
    if (registrations === undefined) return;
    this.traceSegments.delete(traceId);
    this.done.push({ seq, traceId, registrations });
  }

  /** The store committed everything queued up to `seq`: release traces and delete segments nobody needs. */
  written(seq: number): void {
    let n = 0;
    while (n < this.done.length && this.done[n].seq <= seq) {
      const { traceId, registrations } = this.done[n];
      for (const [segmentId, count] of registrations) {
        const s = this.segments.get(segmentId);
        if (s === undefined) continue;
        const left = (s.traces.get(traceId) ?? 0) - count;
        if (left > 0) s.traces.set(traceId, left);
        else s.traces.delete(traceId);
      }
      n++;
    }
    if (n > 0) {
      this.done.splice(0, n);
      this.sweep();
    }
  }

  /** Deletes released sealed segments; seals the active one when it holds only released records. */
  sweep(): void {
    for (const s of [...this.segments.values()]) {
      if (s.inflight > 0 || s.traces.size > 0 || s.dirty) continue;
      if (!s.sealed) {
        if (s.size === 0) continue;
        s.sealed = true;
        if (this.active === s) this.active = null;
      }
      this.deleteSegment(s);
    }
  }

  /** Waits for pending fsyncs, then closes the files (segments stay on disk). Idempotent: later calls return the first call's promise. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    if (this.syncTimer) { clearTimeout(this.syncTimer); this.syncTimer = null; }
    this.closing = (async () => {
      while (this.syncing || this.waiters.length > 0) {
        if (!this.syncing) this.sync();
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      for (const s of this.segments.values()) this.closeFd(s);
    })();
    return this.closing;
  }

  private recover(): void {
    mkdirSync(this.options.dir, { recursive: true });
    const ids = readdirSync(this.options.dir)
      .filter((f) => /^\d{20}\.log$/.test(f))
      .map((f) => Number(f.slice(0, 20)))
      .sort((a, b) => a - b);
    for (const id of ids) {
      const file = segmentName(id);
      const data = readFileSync(path.join(this.options.dir, file));
      const { records, valid, problem } = decodeRecords(data, id);
      if (problem !== null) {
        this.counters.discardedBytes += data.length - valid;
        this.options.log.warn(`span log: segment ${file}: ${problem}; ${data.length - valid} bytes after it discarded (a request being written when FLUO stopped was never acknowledged)`);
      }
      this.counters.recoveredRecords += records.length;
      this.recovered.push(...records);
      const segment: Segment = { id, file, fd: null, size: data.length, sealed: true, dirty: false, inflight: records.length, traces: new Map() };
      this.segments.set(id, segment);
      this.bytes += data.length;
      this.nextId = id + 1;
    }
    if (this.recovered.length > 0) this.options.log.info(`span log: recovered ${this.recovered.length} requests from ${ids.length} segments; rebuilding their traces`);
  }

  private activeSegment(size: number): Segment {
    if (this.active !== null && this.active.size > 0 && this.active.size + size > this.segmentBytes) {
      this.active.sealed = true;
      if (!this.active.dirty) this.closeFd(this.active);
      this.active = null;
    }
    if (this.active !== null) return this.active;
    const id = this.nextId++;
    const file = segmentName(id);
    let fd: number | null = null;
    if (this.options.durable) {
      fd = openSync(path.join(this.options.dir, file), 'w');
      // The new file's directory entry must survive a crash too.
      const dirFd = openSync(this.options.dir, 'r');
      try { fsyncSync(dirFd); } finally { closeSync(dirFd); }
    }
    const segment: Segment = { id, file, fd, size: 0, sealed: false, dirty: false, inflight: 0, traces: new Map() };
    this.segments.set(id, segment);
    this.active = segment;
    return segment;
  }

  /** After a failed write: cut the segment back to its last complete record, or seal it. */
  private rollBack(segment: Segment): void {
    try {
      ftruncateSync(segment.fd!, segment.size);
    } catch (err) {
      this.options.log.error(`span log: cannot truncate ${segment.file} after a failed write, sealing it: ${(err as Error).message}`);
      segment.sealed = true;
      if (this.active === segment) this.active = null;
    }
  }

  private failed(message: string, cause: unknown): FluoError {
    this.counters.appendErrors++;
    const first = this.failureValue === null;
    this.failureValue = { at: Date.now(), message };
    if (first) this.options.log.error(`span log: ${message}; refusing spans (503) until the log can be written again`);
    return new FluoError('WAL_FAILED', `${message}: retry later`, { retryAfterSeconds: 5, cause });
  }

  private scheduleSync(): void {
    if (this.syncing || this.syncTimer !== null) return;
    if (this.options.fsyncIntervalMs <= 0) { this.sync(); return; }
    this.syncTimer = setTimeout(() => { this.syncTimer = null; this.sync(); }, this.options.fsyncIntervalMs);
  }

  private sync(): void {
    const waiters = this.waiters;
    if (waiters.length === 0 || this.syncing) return;
    this.waiters = [];
    const dirty = [...this.segments.values()].filter((s) => s.dirty && s.fd !== null);
    for (const s of dirty) s.dirty = false;
    this.syncing = true;
    let left = dirty.length;
    let error: unknown = null;
    const finish = (): void => {
      this.syncing = false;
      this.counters.fsyncs++;
      if (error === null) {
        if (this.failureValue !== null) this.options.log.info('span log: writable again: taking spans');
        this.failureValue = null;
        for (const w of waiters) w.resolve();
      } else {
        this.counters.fsyncErrors++;
        const err = this.failed(`fsync of the span log failed: ${(error as Error).message}`, error);
        for (const w of waiters) w.reject(err);
      }
      for (const s of dirty) if (s.sealed && !s.dirty) this.closeFd(s);
      this.sweep();
      if (this.waiters.length > 0) this.scheduleSync();
    };
    if (left === 0) { finish(); return; }
    for (const s of dirty) {
      fsync(s.fd!, (err) => {
        if (err) {
          error ??= err;
          // Pages of a failed fsync may be gone: write nothing more to this file.
          s.sealed = true;
          if (this.active === s) this.active = null;
        }
        if (--left === 0) finish();
      });
    }
  }

  private closeFd(s: Segment): void {
    if (s.fd === null) return;
    try { closeSync(s.fd); } catch (err) { this.options.log.warn(`span log: closing ${s.file}: ${describeError(err)}`); }
    s.fd = null;
  }

  private deleteSegment(s: Segment): void {
    this.closeFd(s);
    if (this.options.durable) {
      try {
        unlinkSync(path.join(this.options.dir, s.file));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          this.options.log.warn(`span log: cannot delete ${s.file}: ${(err as Error).message}`);
          return;
        }
      }
    }
    this.segments.delete(s.id);
    this.bytes -= s.size;
    this.counters.segmentsDeleted++;
  }
}
