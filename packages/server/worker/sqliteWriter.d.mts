// Types of sqliteWriter.mjs (contract at its top).
import type Database from 'better-sqlite3';

export type StatementCache = (sql: string) => Database.Statement;

export interface NotificationParams {
  key: string;
  channelId: string;
  kind: string;
  signalId: string | null;
  ruleId: string | null;
  orderKey: string;
  /** JSON */
  payload: string;
  createdAt: number;
  nextAttemptAt: number;
  throttle: { groupKey: string; windowMs: number; cap: number } | null;
}

export interface TraceParams {
  traceId: string;
  rootName: string;
  /** JSON array */
  services: string;
  spanCount: number;
  errorCount: number;
  startTime: number;
  endTime: number;
  completedAt: number;
  /** JSON array */
  spanNames: string;
}

export interface BatchMessage {
  /** `evidence`: index into `evidence`, the batch's distinct evidence texts (JSON), each stored once. */
  signals: Array<{ params: Record<string, unknown>; evidence: number; notifications: NotificationParams[] }>;
  evidence: string[];
  traces: Array<{
    params: TraceParams;
    offset: number;
    length: number;
    /** The row merged into: its span count, completion time and stored bytes (at offset, length -1 when it has none). */
    expected: { spanCount: number; completedAt: number; offset: number; length: number } | null;
  }>;
  /** Every trace's OTLP bytes, one after the other. */
  bytes: Uint8Array;
}

export function statementCache(db: Database.Database): StatementCache;
export function insertNotification(stmt: StatementCache, row: NotificationParams): number | null;
export function createBatchWriter(db: Database.Database): (batch: BatchMessage) => Array<{ index: number; seq: number }>;
