/**
 * Durations in rules: '500ms', '5s', '5 seconds', '1 minute', '2m', '1h', '1.5s',
 * or a number of milliseconds. Anything else is an error (null here; the
 * compiler turns it into a BAD_DURATION RuleError with the location).
 */
const UNITS: Record<string, number> = {
  ms: 1, msec: 1, msecs: 1, millisecond: 1, milliseconds: 1,
  s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hr: 3_600_000, hrs: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
};

const DURATION = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]+)\s*$/;

/** Milliseconds, or null when the input is not a duration. Negative, NaN and infinite values are not durations. */
export function parseDuration(input: unknown): number | null {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input : null;
  if (typeof input !== 'string') return null;
  const m = DURATION.exec(input);
  if (!m) return null;
  const unit = UNITS[m[2].toLowerCase()];
  if (unit === undefined) return null;
  const ms = Number(m[1]) * unit;
  return Number.isFinite(ms) ? ms : null;
}

export const DURATION_HELP = "a duration such as '500ms', '5s', '5 seconds', '1 minute', '2m', '1h', or a number of milliseconds";

/** Renders milliseconds as the shortest readable duration ('5s', '1.5m', '250ms'). */
export function formatDuration(ms: number): string {
  if (ms >= 3_600_000 && ms % 60_000 === 0) return `${ms / 3_600_000}h`;
  if (ms >= 60_000 && ms % 1000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${ms / 1000}s`;
  return `${ms}ms`;
}
