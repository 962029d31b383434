/**
 * An internal error for one bad field inside a span (or the resource or scope
 * it shares). Decoders throw it from deep helpers and catch it where the span
 * is known; the path is assembled on the way out (`at`), so the common case,
 * valid input, builds no path strings at all.
 */
export class FieldError extends Error {
  private readonly segments: string[];

  constructor(segment: string, message: string) {
    super(message);
    this.name = 'FieldError';
    this.segments = segment === '' ? [] : [segment];
  }

  /** Prepends a path segment: a property name (`attributes`) or an index (`[2]`). */
  at(segment: string | number): this {
    this.segments.unshift(typeof segment === 'number' ? `[${segment}]` : segment);
    return this;
  }

  /** The path relative to where it was caught, e.g. `attributes[2].value.arrayValue.values[0]`. */
  get relativePath(): string {
    let out = '';
    for (const s of this.segments) out += s.startsWith('[') || out === '' ? s : `.${s}`;
    return out;
  }
}

/** Joins a base path and a relative one (`a.b` + `c[1]` → `a.b.c[1]`). */
export function joinPath(base: string, relative: string): string {
  if (relative === '') return base;
  if (base === '') return relative;
  return relative.startsWith('[') ? base + relative : `${base}.${relative}`;
}
