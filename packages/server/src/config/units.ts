/**
 * Units in configuration values: durations ('200ms', '10s', '5m', '24h',
 * '7d' or a number of milliseconds) and sizes ('16MiB', '512KiB', '1GB' or a
 * number of bytes). Both return null for anything else, so that the caller can
 * name the field in its error.
 */
const DURATION_UNITS: Record<string, number> = {
  ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000,
};

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1000, mb: 1000 ** 2, gb: 1000 ** 3,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3,
  k: 1024, m: 1024 ** 2, g: 1024 ** 3,
};

const NUMBER_WITH_UNIT = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/;

function parseWithUnits(input: unknown, units: Record<string, number>, bareUnit: number): number | null {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input * bareUnit : null;
  if (typeof input !== 'string') return null;
  const m = NUMBER_WITH_UNIT.exec(input.replaceAll('_', ''));
  if (!m) return null;
  const unit = m[2] === '' ? bareUnit : units[m[2].toLowerCase()];
  if (unit === undefined) return null;
  const value = Number(m[1]) * unit;
  return Number.isFinite(value) ? value : null;
}

/** Milliseconds; a bare number is milliseconds. */
export function parseDurationMs(input: unknown): number | null {
  const ms = parseWithUnits(input, DURATION_UNITS, 1);
  return ms === null ? null : Math.round(ms);
}

/** Bytes; a bare number is bytes. */
export function parseSizeBytes(input: unknown): number | null {
  const bytes = parseWithUnits(input, SIZE_UNITS, 1);
  return bytes === null ? null : Math.floor(bytes);
}

export function formatDurationMs(ms: number): string {
  if (ms % 86_400_000 === 0 && ms > 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0 && ms > 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

export function formatSizeBytes(bytes: number): string {
  if (bytes % 1024 ** 3 === 0 && bytes > 0) return `${bytes / 1024 ** 3}GiB`;
  if (bytes % 1024 ** 2 === 0 && bytes > 0) return `${bytes / 1024 ** 2}MiB`;
  if (bytes % 1024 === 0 && bytes > 0) return `${bytes / 1024}KiB`;
  return `${bytes}B`;
}

export const DURATION_HELP = "a duration such as '200ms', '10s', '5m', '24h', '7d' or a number of milliseconds";
export const SIZE_HELP = "a size such as '16MiB', '512KiB', '1GB' or a number of bytes";
