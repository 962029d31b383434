/**
 * The span model: what OTLP decoding produces, what trace assembly groups and
 * what rule predicates read.
 *
 * Contract:
 * - Ids are lowercase hex (`traceId` 32 characters, `spanId` 16). `parentSpanId`
 *   is `null` for a root span (OTLP sends an empty byte string).
 * - Times: `startTime`/`endTime` are milliseconds since the epoch as fractional
 *   numbers (what rules compare); `startNanosWithinMilli`/`endNanosWithinMilli`
 *   keep the nanoseconds within that millisecond (0–999,999) that the double
 *   may round, so `startTimeUnixNano`/`endTimeUnixNano` give the exact
 *   nanosecond value as a decimal string (nanoseconds exceed 2^53), for display
 *   and export.
 * - `duration`, `isRoot` and the nanosecond texts are derived: getters of the
 *   one class every span is made of (`createSpan`), computed when read. A
 *   buffered span would otherwise hold a boxed number and two 19-character
 *   strings for them, about 110 B of the ~760 B it took (docs/performance.md).
 *   So copy a span with `copySpan`, never with object spread (which drops
 *   getters), and do not expect them from `Object.keys` or `JSON.stringify`.
 * - `attributes` holds the span's own attributes and falls back to the
 *   resource's: it is an object whose prototype is `resource`, and `resource`
 *   has a null prototype, so a key that is absent in both reads as `undefined`
 *   (never `Object.prototype` members). Use `Object.keys(span.attributes)` for
 *   the span's own keys only.
 * - AnyValue types are kept: string, number (int64 values beyond 2^53 become a
 *   decimal string, see `decodeInt64`), boolean, arrays, key-value lists (as a
 *   null-prototype object) and bytes (as a lowercase hex string; documented in
 *   docs/dsl.md).
 * - `parent` and `children` are links set by trace assembly (`linkSpans`); a
 *   freshly decoded span has `parent: null` and `children: []`.
 * - Empty `events`, `links` and `children` may be one shared frozen array
 *   (`NO_EVENTS`, ...): replace such an array, never push into it.
 * - `source`/`sourceOffset` say where the span's OTLP/protobuf encoding is in
 *   the request it was decoded from (set by the protobuf decoder, null
 *   otherwise), so a kept trace is stored as it was received
 *   (otlp/encodeTracesDataAsReceived.ts). They hold the request's bytes:
 *   whoever keeps spans longer than the request's own lifetime (remembered
 *   traces, correlation windows) sets `source` to null. Rules cannot read
 *   them (dsl/checkPredicate.ts).
 */

export type AttributeValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | AttributeValue[]
  | AttributeMap;

/** A null-prototype map of attribute key to value. */
export interface AttributeMap {
  [key: string]: AttributeValue;
}

export type SpanStatus = 'UNSET' | 'OK' | 'ERROR';
export type SpanKind = 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';

export interface SpanEvent {
  name: string;
  /** ms since epoch, fractional */
  time: number;
  timeUnixNano: string;
  attributes: AttributeMap;
}

export interface SpanLink {
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: AttributeMap;
}

export interface InstrumentationScope {
  name: string;
  version: string;
}

/**
 * Where the spans of one ScopeSpans message of one request are: the
 * request's bytes and the [start, end) contents of the ScopeSpans and its
 * ResourceSpans message. Shared by the spans of that ScopeSpans; `resource`
 * is shared by the ScopeSpans of one ResourceSpans.
 */
export interface SpanSource {
  /** The request's bytes: never modified once decoded. */
  readonly bytes: Uint8Array;
  readonly start: number;
  readonly end: number;
  readonly resource: { readonly start: number; readonly end: number };
}

export interface Span {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  traceState: string;
  name: string;
  kind: SpanKind;
  status: SpanStatus;
  statusMessage: string;
  startTime: number;
  endTime: number;
  /** The nanoseconds within `startTime`'s millisecond, 0–999,999 (see the module comment). */
  startNanosWithinMilli: number;
  endNanosWithinMilli: number;
  /** Derived: `endTime - startTime`. */
  readonly duration: number;
  /** Derived: the exact start time in nanoseconds, as a canonical decimal string. */
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  attributes: AttributeMap;
  resource: AttributeMap;
  service: string | undefined;
  scope: InstrumentationScope;
  events: SpanEvent[];
  links: SpanLink[];
  /** Derived: `parentSpanId === null`. */
  readonly isRoot: boolean;
  /** Set by trace assembly: the parent span when it is in the same trace. */
  parent: Span | null;
  /** Set by trace assembly: spans whose parentSpanId is this span, in start-time order. */
  children: Span[];
  /** See the module comment: the bytes the span was decoded from, or null. */
  source: SpanSource | null;
  /** With `source`: the offset in `source.bytes` of the span's length prefix (the span's bytes follow it). */
  sourceOffset: number;
}

/**
 * Shared, frozen empty arrays for spans without events, links or children
 * (most spans): an empty array per span and field cost about 100 B per
 * buffered span. Frozen, so code that would push into a shared one fails
 * loudly instead of adding to every span; `linkSpans` gives each span with
 * children its own `children` array.
 */
export const NO_EVENTS = Object.freeze([]) as unknown as SpanEvent[];
export const NO_LINKS = Object.freeze([]) as unknown as SpanLink[];
export const NO_CHILDREN = Object.freeze([]) as unknown as Span[];

export const SPAN_KINDS: readonly SpanKind[] = ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
export const SPAN_STATUSES: readonly SpanStatus[] = ['UNSET', 'OK', 'ERROR'];

/** OTLP `Span.SpanKind` number to the model's kind. UNSPECIFIED reads as INTERNAL, as the OpenTelemetry specification says. */
export function spanKindFromOtlp(kind: number): SpanKind {
  switch (kind) {
    case 2: return 'SERVER';
    case 3: return 'CLIENT';
    case 4: return 'PRODUCER';
    case 5: return 'CONSUMER';
    default: return 'INTERNAL';
  }
}

export function spanKindToOtlp(kind: SpanKind): number {
  return SPAN_KINDS.indexOf(kind) + 1;
}

/** OTLP `Status.StatusCode` number to the model's status. */
export function spanStatusFromOtlp(code: number): SpanStatus {
  return code === 1 ? 'OK' : code === 2 ? 'ERROR' : 'UNSET';
}

export function spanStatusToOtlp(status: SpanStatus): number {
  return SPAN_STATUSES.indexOf(status);
}

/** Nanoseconds (exact decimal string) to fractional milliseconds. */
export function nanosToMillis(nanos: string): number {
  // Split to keep precision: the integral milliseconds fit a double exactly
  // until the year 287396, the remainder carries the sub-millisecond part.
  if (nanos.length <= 6) return Number(nanos) / 1e6;
  return Number(nanos.slice(0, -6)) + Number(nanos.slice(-6)) / 1e6;
}

/** The nanoseconds within the millisecond of a nanosecond decimal string (its last six digits). */
export function nanosWithinMilli(nanos: string): number {
  return Number(nanos.length <= 6 ? nanos : nanos.slice(-6));
}

/**
 * The canonical decimal text of `millis` (as nanosToMillis gives it) and the
 * nanoseconds within its millisecond. Exact for every unsigned 64-bit
 * nanosecond value: `millis` is within a few ulps of q + r/10^6 (q its integral
 * milliseconds, below 2^45), so subtracting r/10^6 and rounding gives q even
 * when the addition rounded up to q + 1.
 */
export function unixNanoText(millis: number, nanosWithin: number): string {
  const whole = Math.round(millis - nanosWithin / 1e6);
  if (whole === 0) return String(nanosWithin);
  const within = String(nanosWithin);
  return String(whole) + '000000'.slice(within.length) + within;
}

/** Fractional milliseconds to a nanosecond decimal string (used when spans are made in code, e.g. tests and the demo). */
export function millisToNanos(ms: number): string {
  let whole = Math.floor(ms);
  let frac = Math.round((ms - whole) * 1e6);
  if (frac === 1e6) { whole++; frac = 0; } // 1.9999999 ms rounds to 2 ms, not 1 ms and 1,000,000 ns
  if (whole === 0) return String(frac);
  return String(whole) + String(frac).padStart(6, '0');
}

export function createAttributeMap(prototype: AttributeMap | null = null): AttributeMap {
  // Object.create(null) makes a dictionary-mode object in V8; giving it the
  // prototype afterwards keeps it one. Attribute maps differ in their keys
  // from span to span (and their prototypes from request to request), so
  // fast-mode objects would build a new hidden class per key added: measured
  // 4-8x slower to fill, and a large share of decoding time and garbage.
  const map = Object.create(null) as AttributeMap;
  return prototype === null ? map : (Object.setPrototypeOf(map, prototype) as AttributeMap);
}

/**
 * Sets a key on an attribute map as an own data property, so that keys such as
 * `__proto__` from hostile input are plain data and never touch a prototype.
 */
export function setAttribute(map: AttributeMap, key: string, value: AttributeValue): void {
  // Attribute maps chain to null through maps of writable data properties, so
  // plain assignment creates an own data property for every key but
  // `__proto__` (whose setter the chain lacks, but which stays explicit), and
  // is several times faster than defineProperty.
  if (key === '__proto__') Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
  else map[key] = value;
}

/** The span's own attributes (without the resource fallback) as a plain copy. */
export function ownAttributes(span: Span): AttributeMap {
  const out = createAttributeMap();
  for (const key of Object.keys(span.attributes)) setAttribute(out, key, span.attributes[key]);
  return out;
}

export interface SpanInit {
  traceId: string;
  spanId: string;
  parentSpanId?: string | null;
  traceState?: string;
  name: string;
  kind?: SpanKind;
  status?: SpanStatus;
  statusMessage?: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: Record<string, AttributeValue>;
  resource?: Record<string, AttributeValue>;
  scope?: Partial<InstrumentationScope>;
  events?: Array<{ name: string; timeUnixNano: string; attributes?: Record<string, AttributeValue> }>;
  links?: Array<{ traceId: string; spanId: string; traceState?: string; attributes?: Record<string, AttributeValue> }>;
}

function toAttributeMap(src: Record<string, AttributeValue> | undefined, prototype: AttributeMap | null = null): AttributeMap {
  const map = createAttributeMap(prototype);
  if (src) for (const key of Object.keys(src)) setAttribute(map, key, src[key]);
  return map;
}

/**
 * Every span is one of these, made by `createSpan` or a decoder, with the same
 * fields in the same order (one hidden class in V8, which the generated rule
 * predicates rely on). The derived fields are getters (see the module comment).
 */
export class SpanRecord implements Span {
  parent: Span | null = null;
  children: Span[] = NO_CHILDREN;
  constructor(
    public traceId: string,
    public spanId: string,
    public parentSpanId: string | null,
    public traceState: string,
    public name: string,
    public kind: SpanKind,
    public status: SpanStatus,
    public statusMessage: string,
    public startTime: number,
    public endTime: number,
    public startNanosWithinMilli: number,
    public endNanosWithinMilli: number,
    public attributes: AttributeMap,
    public resource: AttributeMap,
    public service: string | undefined,
    public scope: InstrumentationScope,
    public events: SpanEvent[],
    public links: SpanLink[],
    public source: SpanSource | null,
    public sourceOffset: number,
  ) {}

  get duration(): number {
    return this.endTime - this.startTime;
  }

  get isRoot(): boolean {
    return this.parentSpanId === null;
  }

  get startTimeUnixNano(): string {
    return unixNanoText(this.startTime, this.startNanosWithinMilli);
  }

  get endTimeUnixNano(): string {
    return unixNanoText(this.endTime, this.endNanosWithinMilli);
  }
}

/**
 * A copy of a span (a new object of the same class, fields shared) with some
 * fields replaced: what `{ ...span, ... }` would be if spread kept getters.
 */
export function copySpan(span: Span, changes: Partial<Pick<Span, 'parent' | 'children' | 'source' | 'sourceOffset'>> = {}): Span {
  const copy = new SpanRecord(
    span.traceId, span.spanId, span.parentSpanId, span.traceState, span.name, span.kind, span.status, span.statusMessage,
    span.startTime, span.endTime, span.startNanosWithinMilli, span.endNanosWithinMilli, span.attributes, span.resource, span.service,
    span.scope, span.events, span.links, span.source, span.sourceOffset,
  );
  copy.parent = span.parent;
  copy.children = span.children;
  return Object.assign(copy, changes);
}

const UNSIGNED_DECIMAL = /^\d{1,20}$/;

/** A time kept as milliseconds and nanoseconds within (see SpanRecord) must be an unsigned decimal integer to round-trip. */
function checkNanos(init: SpanInit, field: 'startTimeUnixNano' | 'endTimeUnixNano'): void {
  const text = init[field];
  if (typeof text !== 'string' || !UNSIGNED_DECIMAL.test(text)) {
    throw new TypeError(`span ${String(init.spanId)}: ${field} ${typeof text === 'string' ? `'${text}'` : String(text)} is not an unsigned decimal integer of nanoseconds`);
  }
}

/**
 * Builds a span from plain fields. Decoders use it so that every span, however
 * it arrived, has the same shape (and the same hidden class in V8).
 */
export function createSpan(init: SpanInit): Span {
  checkNanos(init, 'startTimeUnixNano');
  checkNanos(init, 'endTimeUnixNano');
  const resource = init.resource && Object.getPrototypeOf(init.resource) === null
    ? (init.resource as AttributeMap)
    : toAttributeMap(init.resource);
  const attributes = toAttributeMap(init.attributes, resource);
  const parentSpanId = init.parentSpanId ? init.parentSpanId : null;
  const service = resource['service.name'];
  return new SpanRecord(
    init.traceId,
    init.spanId,
    parentSpanId,
    init.traceState ?? '',
    init.name,
    init.kind ?? 'INTERNAL',
    init.status ?? 'UNSET',
    init.statusMessage ?? '',
    nanosToMillis(init.startTimeUnixNano),
    nanosToMillis(init.endTimeUnixNano),
    nanosWithinMilli(init.startTimeUnixNano),
    nanosWithinMilli(init.endTimeUnixNano),
    attributes,
    resource,
    typeof service === 'string' ? service : undefined,
    { name: init.scope?.name ?? '', version: init.scope?.version ?? '' },
    init.events === undefined || init.events.length === 0 ? NO_EVENTS : init.events.map((e) => ({
      name: e.name,
      time: nanosToMillis(e.timeUnixNano),
      timeUnixNano: e.timeUnixNano,
      attributes: toAttributeMap(e.attributes),
    })),
    init.links === undefined || init.links.length === 0 ? NO_LINKS : init.links.map((l) => ({
      traceId: l.traceId,
      spanId: l.spanId,
      traceState: l.traceState ?? '',
      attributes: toAttributeMap(l.attributes),
    })),
    null,
    0,
  );
}
