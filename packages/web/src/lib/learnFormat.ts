/** Display helpers for learning numbers: precision, recall and intervals as percentages. */
import type { PrecisionCounts } from '../api/types';

export function percent(v: number | null | undefined, digits = 0): string {
  return v === null || v === undefined ? '–' : `${(v * 100).toFixed(digits)} %`;
}

/** "83 % (95 % interval 55–95 %, 10 of 12)" or "not triaged yet". */
export function precisionText(p: PrecisionCounts): string {
  if (p.precision === null || p.interval === null) return 'not triaged yet';
  const n = p.truePositives + p.falsePositives;
  return `${percent(p.precision)} (95 % interval ${(p.interval[0] * 100).toFixed(0)}–${percent(p.interval[1])}, ${p.truePositives} of ${n} real)`;
}
