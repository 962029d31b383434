/**
 * Reading a channel's settings (from the config file or an API body): every
 * problem names the field path (`notifications.channels[2].url`,
 * `settings.routingKey`), and all problems are reported together.
 */
import { parseDurationMs } from '../config/units.js';

export interface SettingsProblem {
  field: string;
  message: string;
}

export class SettingsError extends Error {
  readonly problems: SettingsProblem[];
  constructor(problems: SettingsProblem[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '));
    this.name = 'SettingsError';
    this.problems = problems;
  }
}

/** Reads fields of one object, collecting problems; `prefix` is the object's path. */
export class SettingsReader {
  readonly problems: SettingsProblem[] = [];
  private readonly seen = new Set<string>();

  constructor(private readonly value: Record<string, unknown>, private readonly prefix: string) {}

  static of(raw: unknown, prefix: string): SettingsReader {
    const isObject = raw !== null && typeof raw === 'object' && !Array.isArray(raw);
    const reader = new SettingsReader(isObject ? raw as Record<string, unknown> : {}, prefix);
    if (!isObject && raw !== undefined) reader.problem('', `must be a mapping of settings, got ${JSON.stringify(raw)}`);
    return reader;
  }

  path(field: string): string {
    return field === '' ? this.prefix : this.prefix === '' ? field : `${this.prefix}.${field}`;
  }

  problem(field: string, message: string): void {
    this.problems.push({ field: this.path(field), message });
  }

  has(field: string): boolean {
    return Object.hasOwn(this.value, field) && this.value[field] !== undefined && this.value[field] !== null;
  }

  raw(field: string): unknown {
    this.seen.add(field);
    return Object.hasOwn(this.value, field) ? this.value[field] : undefined;
  }

  string(field: string, options: { required?: boolean; fallback?: string; max?: number } = {}): string {
    const v = this.raw(field);
    if (v === undefined || v === null || v === '') {
      if (options.required) this.problem(field, 'is required');
      return options.fallback ?? '';
    }
    if (typeof v !== 'string') { this.problem(field, `must be a string, got ${JSON.stringify(v)}`); return options.fallback ?? ''; }
    if (v.length > (options.max ?? 10_000)) { this.problem(field, `must be at most ${options.max ?? 10_000} characters`); return options.fallback ?? ''; }
    return v;
  }

  url(field: string, options: { required?: boolean; fallback?: string } = {}): string {
    const v = this.string(field, { required: options.required, fallback: options.fallback, max: 2000 });
    if (v === '' || v === options.fallback) return v;
    try {
      const u = new URL(v);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') this.problem(field, `must be an http:// or https:// URL, got '${v}'`);
    } catch {
      this.problem(field, `must be an absolute http:// or https:// URL, got '${v}'`);
    }
    return v;
  }

  boolean(field: string, fallback: boolean): boolean {
    const v = this.raw(field);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') { this.problem(field, `must be true or false, got ${JSON.stringify(v)}`); return fallback; }
    return v;
  }

  duration(field: string, fallback: number): number {
    const v = this.raw(field);
    if (v === undefined || v === null) return fallback;
    const ms = parseDurationMs(v);
    if (ms === null || ms <= 0) { this.problem(field, `must be a duration such as '10s' or '5m' (or milliseconds), greater than zero, got ${JSON.stringify(v)}`); return fallback; }
    return ms;
  }

  count(field: string, fallback: number, min = 1): number {
    const v = this.raw(field);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) { this.problem(field, `must be a whole number of at least ${min}, got ${JSON.stringify(v)}`); return fallback; }
    return v;
  }

  stringList(field: string): string[] | undefined {
    const v = this.raw(field);
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) { this.problem(field, 'must be a list of non-empty strings'); return undefined; }
    return v as string[];
  }

  stringMap(field: string): Record<string, string> {
    const v = this.raw(field);
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
      this.problem(field, 'must be a mapping of names to string values');
      return {};
    }
    return { ...(v as Record<string, string>) };
  }

  /** Reports fields no reader asked for (typos would otherwise be ignored). */
  rejectUnknown(allowed: readonly string[] = []): void {
    for (const key of Object.keys(this.value)) {
      if (!this.seen.has(key) && !allowed.includes(key)) this.problem(key, `unknown setting '${key}'`);
    }
  }
}
