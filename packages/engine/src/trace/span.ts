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
 *   one class every span is made of (`createSpan`), computed when read. Most
 *   other fields are getters too, over a compact form (SpanRecord): a
 *   buffered span takes about 280 B of heap where plain fields took 760 B
 *   (docs/performance.md). So copy a span with `copySpan`, never with object
 *   spread (which drops getters), and do not expect its fields from
 *   `Object.keys` or `JSON.stringify`.
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
 *   (otlp/encodeTracesDataAsReceived.ts) and a span can let go of its
 *   attributes and extras and decode them again when read
 *   (holdAttributes/releaseAttributes, below), or read one attribute of them
 *   from the bytes (SpanRecord.attribute). They hold the request's bytes:
 *   whoever keeps spans longer than the request's own lifetime (correlation
 *   windows, learned refinements) copies them with `source` null (and no
 *   links to other spans, which hold theirs): `copySpan(span, { parent: null,
 *   children: [], source: null })`, which decodes a released span's details
 *   first. Rules cannot read them (dsl/checkPredicate.ts).
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
  /**
   * Decode again the attributes (with the resource as prototype) or the
   * extras of the span whose length prefix is at `offset`
   * (Span.sourceOffset), equal to what the first decoding gave: what a
   * released span reads (see releaseAttributes).
   */
  attributesAt(offset: number): AttributeMap;
  extrasAt(offset: number): SpanExtras;
  /**
   * The span's own attribute `key` as attributesAt would give it (the last
   * one when the key repeats), or undefined when the span has none by that
   * key, in which case the caller reads the resource's, as the map's
   * prototype would give it (a decoded value is never undefined; an empty
   * one is null).
   */
  attributeAt(offset: number, key: string): AttributeValue | undefined;
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
  readonly startTime: number;
  readonly endTime: number;
  /** The nanoseconds within `startTime`'s millisecond, 0–999,999 (see the module comment). */
  readonly startNanosWithinMilli: number;
  readonly endNanosWithinMilli: number;
  /** Derived: `endTime - startTime`. */
  readonly duration: number;
  /** Derived: the exact start time in nanoseconds, as a canonical decimal string. */
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  attributes: AttributeMap;
  readonly resource: AttributeMap;
  readonly service: string | undefined;
  readonly scope: InstrumentationScope;
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

/** The whole milliseconds of a nanosecond decimal string (all but its last six digits). */
function wholeMillis(nanos: string): number {
  return nanos.length <= 6 ? 0 : Number(nanos.slice(0, -6));
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
  return nanoText(wholeMillisOf(millis, nanosWithin), nanosWithin);
}

/** The whole milliseconds of a time as `millis` and the nanoseconds within its millisecond (see unixNanoText). */
export function wholeMillisOf(millis: number, nanosWithin: number): number {
  return Math.round(millis - nanosWithin / 1e6);
}

function nanoText(whole: number, nanosWithin: number): string {
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
 * What the spans of one ScopeSpans of one request share: their resource, its
 * service name, the instrumentation scope, where their bytes are and the base
 * of their times. One field per span instead of four (a buffered span holds
 * one pointer here). Not modified once its first span is made (which sets
 * the base): a span given another source gets another origin.
 */
export interface SpanOrigin {
  readonly resource: AttributeMap;
  readonly service: string | undefined;
  readonly scope: InstrumentationScope;
  readonly source: SpanSource | null;
  /**
   * Set by a decoder that decoded, when its spans arrived, only the
   * attributes with these keys (the ones the rules read by name), leaving
   * the others in the source's bytes: such a span's map is partial
   * (SpanRecord.attribute reads the other keys from the bytes; `attributes`
   * decodes the whole map). Null otherwise.
   */
  readonly arrivalKeys: ReadonlySet<string> | null;
  /**
   * The whole milliseconds its spans' times count from (see SpanRecord's
   * times): set by the first span made with this origin (NaN before), then
   * fixed.
   */
  baseMillis: number;
  /** Set only on an origin of one span whose end is too far from its start for a small integer (see SpanRecord). */
  readonly farEndMillis?: number;
}

/**
 * Primitive attributes read from released spans (SpanRecord.attribute): a
 * direct-mapped table by span and key. It keeps at most its slots' spans
 * (and their requests' bytes) alive, until the next releaseAttributes (the
 * detector's next call), as the spans held with decoded details are.
 */
const ATTRIBUTE_READ_BITS = 10;
const ATTRIBUTE_READ_SLOTS = 1 << ATTRIBUTE_READ_BITS;
const attributeReadSpans: Array<SpanRecord | null> = new Array<SpanRecord | null>(ATTRIBUTE_READ_SLOTS).fill(null);
const attributeReadKeys: string[] = new Array<string>(ATTRIBUTE_READ_SLOTS).fill('');
const attributeReadValues: Array<AttributeValue | undefined> = new Array<AttributeValue | undefined>(ATTRIBUTE_READ_SLOTS).fill(undefined);
let attributeReadsHeld = false;

/** |Offsets| below this, and FAR_END, are small integers in V8 on every platform (31-bit Smis), stored in a field without a heap number. */
const SMALL_OFFSET = 2 ** 30;
/** endOffset of a span whose end is in its own origin's farEndMillis. */
const FAR_END = -SMALL_OFFSET;

function isSmallOffset(n: number): boolean {
  return n > -SMALL_OFFSET && n < SMALL_OFFSET;
}

/**
 * The fields most spans leave empty, in one object that spans without any
 * share (`NO_EXTRAS`): a buffered span holds one pointer instead of four.
 */
export interface SpanExtras {
  readonly traceState: string;
  readonly statusMessage: string;
  readonly events: SpanEvent[];
  readonly links: SpanLink[];
}

export const NO_EXTRAS: SpanExtras = Object.freeze({ traceState: '', statusMessage: '', events: NO_EVENTS, links: NO_LINKS });

/** The extras object for these values: NO_EXTRAS when all are empty. */
export function spanExtras(traceState: string, statusMessage: string, events: SpanEvent[], links: SpanLink[]): SpanExtras {
  if (traceState === '' && statusMessage === '' && events.length === 0 && links.length === 0) return NO_EXTRAS;
  return { traceState, statusMessage, events: events.length === 0 ? NO_EVENTS : events, links: links.length === 0 ? NO_LINKS : links };
}

/**
 * The start's nanoseconds within its millisecond, the span's flags, the kind
 * and the status in one small integer (SpanRecord.packed, below 2^27):
 * nanoseconds times 128, plus the flags (PINNED, PARTIAL), plus the kind's
 * index times 4, plus the status's.
 */
function pack(startNanosWithinMilli: number, flags: number, kind: SpanKind, status: SpanStatus): number {
  const k = SPAN_KINDS.indexOf(kind);
  const st = SPAN_STATUSES.indexOf(status);
  if (k < 0 || st < 0) throw new TypeError(`not a span kind and status: ${String(kind)}, ${String(status)}`);
  return startNanosWithinMilli * 128 + flags + k * 4 + st;
}

/** Set by the setters of details (attributes, extras): a pinned span is never released, so what was set stays. */
const PINNED = 32;
/** The attribute map holds only the attributes whose keys are in the origin's arrivalKeys (see SpanOrigin.arrivalKeys). */
const PARTIAL = 64;
const FLAGS = PINNED | PARTIAL;

/**
 * Every span is one of these, made by `createSpan` or a decoder, with the same
 * fields in the same order (one hidden class in V8, which the generated rule
 * predicates rely on). The derived fields are getters (see the module comment),
 * and so are fields kept in a shared or packed form to keep a buffered span
 * small (docs/performance.md): `resource`, `service`, `scope` and `source`
 * (SpanOrigin), `traceState`, `statusMessage`, `events` and `links`
 * (SpanExtras), `kind` and `status` (one small integer), `attributes` (which
 * may be released and decoded again, see releaseAttributes).
 */
export class SpanRecord implements Span {
  parent: Span | null = null;
  children: Span[] = NO_CHILDREN;
  /**
   * The attribute map, or null while released (then the origin's source
   * decodes it again on reading), or a partial one (see PARTIAL).
   */
  attributeMap: AttributeMap | null;
  /** See SpanExtras; null while released, like attributeMap (NO_EXTRAS is never released: it is shared). */
  extras: SpanExtras | null;
  /** See pack(). */
  packed: number;
  /**
   * The times as whole milliseconds after the origin's baseMillis (small
   * integers: a double field would hold a 16 B heap number each), with the
   * nanoseconds within the millisecond (`packed` for the start). A span
   * whose start is too far from its origin's base gets an origin of its own
   * (based at its start); one whose end is too far from its start keeps the
   * end in that origin (FAR_END).
   */
  private startOffset: number;
  private endOffset: number;
  endNanosWithinMilli: number;
  constructor(
    public traceId: string,
    public spanId: string,
    public parentSpanId: string | null,
    public name: string,
    kind: SpanKind,
    status: SpanStatus,
    startWholeMillis: number,
    startNanosWithinMilli: number,
    endWholeMillis: number,
    endNanosWithinMilli: number,
    attributes: AttributeMap,
    public origin: SpanOrigin,
    extras: SpanExtras,
    public sourceOffset: number,
    /** `attributes` holds only the keys in origin.arrivalKeys (a decoder's arrival mode). */
    partial = false,
  ) {
    this.attributeMap = attributes;
    this.extras = extras;
    this.packed = pack(startNanosWithinMilli, partial ? PARTIAL : 0, kind, status);
    this.endNanosWithinMilli = endNanosWithinMilli;
    if (Number.isNaN(origin.baseMillis)) origin.baseMillis = startWholeMillis;
    let startOffset = startWholeMillis - origin.baseMillis;
    let endOffset = endWholeMillis - origin.baseMillis;
    if (!isSmallOffset(startOffset) || !isSmallOffset(endOffset)) {
      const far = !isSmallOffset(endWholeMillis - startWholeMillis);
      this.origin = { ...origin, baseMillis: startWholeMillis, ...(far ? { farEndMillis: endWholeMillis } : {}) };
      startOffset = 0;
      endOffset = far ? FAR_END : endWholeMillis - startWholeMillis;
    }
    this.startOffset = startOffset;
    this.endOffset = endOffset;
  }

  /** Whole milliseconds of the start (exact: integers below 2^53). */
  get startWholeMillis(): number {
    return this.origin.baseMillis + this.startOffset;
  }

  get endWholeMillis(): number {
    return this.endOffset === FAR_END ? this.origin.farEndMillis! : this.origin.baseMillis + this.endOffset;
  }

  /** The same double as `q + r / 1e6` of the decoders and nanosToMillis, q the whole milliseconds, r the nanoseconds within. */
  get startTime(): number {
    return this.startWholeMillis + this.startNanosWithinMilli / 1e6;
  }

  get endTime(): number {
    return this.endWholeMillis + this.endNanosWithinMilli / 1e6;
  }

  get startNanosWithinMilli(): number {
    return this.packed >>> 7;
  }

  get kind(): SpanKind {
    return SPAN_KINDS[(this.packed >>> 2) & 7];
  }

  set kind(kind: SpanKind) {
    this.packed = pack(this.startNanosWithinMilli, this.packed & FLAGS, kind, this.status);
  }

  get status(): SpanStatus {
    return SPAN_STATUSES[this.packed & 3];
  }

  /** See PINNED. */
  private get pinned(): boolean {
    return (this.packed & PINNED) !== 0;
  }

  private pin(): void {
    this.packed |= PINNED;
  }

  set status(status: SpanStatus) {
    this.packed = pack(this.startNanosWithinMilli, this.packed & FLAGS, this.kind, status);
  }

  get resource(): AttributeMap {
    return this.origin.resource;
  }

  get service(): string | undefined {
    return this.origin.service;
  }

  get scope(): InstrumentationScope {
    return this.origin.scope;
  }

  get source(): SpanSource | null {
    return this.origin.source;
  }

  /** Setting null first decodes a released span's details again: without its source the span could not. */
  set source(source: SpanSource | null) {
    if (source === this.origin.source) return;
    // A partial map is completed from the bytes it was decoded from.
    if ((this.packed & PARTIAL) !== 0) this.decodeAttributes();
    if (source === null) {
      if (this.attributeMap === null) this.decodeAttributes();
      if (this.extras === null) this.decodeExtras();
    }
    this.origin = source === null ? withoutSource(this.origin) : { ...this.origin, source };
  }

  get traceState(): string {
    return (this.extras ?? this.decodeExtras()).traceState;
  }

  set traceState(traceState: string) {
    this.setExtras({ traceState });
  }

  get statusMessage(): string {
    return (this.extras ?? this.decodeExtras()).statusMessage;
  }

  set statusMessage(statusMessage: string) {
    this.setExtras({ statusMessage });
  }

  get events(): SpanEvent[] {
    return (this.extras ?? this.decodeExtras()).events;
  }

  set events(events: SpanEvent[]) {
    this.setExtras({ events });
  }

  get links(): SpanLink[] {
    return (this.extras ?? this.decodeExtras()).links;
  }

  set links(links: SpanLink[]) {
    this.setExtras({ links });
  }

  /** The setters of the extras: the others kept, the span pinned (see pinned). */
  private setExtras(changes: Partial<SpanExtras>): void {
    const e = this.extras ?? this.decodeExtras();
    this.pin();
    this.extras = spanExtras(changes.traceState ?? e.traceState, changes.statusMessage ?? e.statusMessage, changes.events ?? e.events, changes.links ?? e.links);
  }

  get attributes(): AttributeMap {
    const map = this.attributeMap;
    return map !== null && (this.packed & PARTIAL) === 0 ? map : this.decodeAttributes();
  }

  /**
   * `attributes[key]`. A released span reads that one attribute from its
   * source instead of decoding its whole map again: rules at a trace's
   * completion read one or two attributes of many spans. The reads are
   * remembered (attributeReads) until the next releaseAttributes, as a
   * rule reads the same attribute of a span again (a sibling filter reads
   * each sibling's once per span it is evaluated for). A partial map
   * answers for the keys it was decoded for, the bytes for the others.
   */
  attribute(key: string): AttributeValue | undefined {
    const map = this.attributeMap;
    if (map !== null && ((this.packed & PARTIAL) === 0 || this.origin.arrivalKeys!.has(key))) return map[key];
    const slot = Math.imul(this.sourceOffset ^ (key.length << 20) ^ (key.charCodeAt(key.length - 1) << 12), 0x9e3779b1) >>> (32 - ATTRIBUTE_READ_BITS);
    if (attributeReadSpans[slot] === this && attributeReadKeys[slot] === key) return attributeReadValues[slot];
    const own = this.origin.source!.attributeAt(this.sourceOffset, key);
    // An array or key-value list comes from the whole map, decoded and held as the getter does it: two reads of it are
    // one object, as on a span not released (a rule may compare them with ===).
    if (own !== null && typeof own === 'object') return this.decodeAttributes()[key];
    const value = own !== undefined ? own : this.origin.resource[key];
    attributeReadSpans[slot] = this;
    attributeReadKeys[slot] = key;
    attributeReadValues[slot] = value;
    attributeReadsHeld = true;
    return value;
  }

  set attributes(map: AttributeMap) {
    this.packed = (this.packed & ~PARTIAL) | PINNED;
    this.attributeMap = map;
  }

  /** Drops the attribute map and extras when the source can decode them again (releaseAttributes). */
  release(): void {
    if (this.origin.source === null || this.pinned) return;
    this.attributeMap = null;
    this.packed &= ~PARTIAL;
    if (this.extras !== NO_EXTRAS) this.extras = null;
  }

  /** A released span's attributes, decoded again from its source and held until the next releaseAttributes(). */
  private decodeAttributes(): AttributeMap {
    const map = this.origin.source!.attributesAt(this.sourceOffset);
    this.attributeMap = map;
    this.packed &= ~PARTIAL;
    held.push(this);
    return map;
  }

  /** Like decodeAttributes, for the extras. */
  private decodeExtras(): SpanExtras {
    const extras = this.origin.source!.extrasAt(this.sourceOffset);
    this.extras = extras;
    held.push(this);
    return extras;
  }

  get duration(): number {
    return this.endTime - this.startTime;
  }

  get isRoot(): boolean {
    return this.parentSpanId === null;
  }

  get startTimeUnixNano(): string {
    return nanoText(this.startWholeMillis, this.startNanosWithinMilli);
  }

  get endTimeUnixNano(): string {
    return nanoText(this.endWholeMillis, this.endNanosWithinMilli);
  }
}

/**
 * The origin the spans made after `span` with `origin` share: the span's own
 * when it was based again at its start (too far from the origin's base), so
 * that one outlier does not give every later span an origin of its own.
 */
export function originAfter(span: SpanRecord, origin: SpanOrigin): SpanOrigin {
  return span.origin !== origin && span.origin.farEndMillis === undefined ? span.origin : origin;
}

/** The origin without a source, one per origin (spans copied without their request share it). */
const sourceless = new WeakMap<SpanOrigin, SpanOrigin>();

function withoutSource(origin: SpanOrigin): SpanOrigin {
  let copy = sourceless.get(origin);
  if (copy === undefined) sourceless.set(origin, (copy = { ...origin, source: null }));
  return copy;
}

/**
 * Spans whose details (attribute map and extras) the next releaseAttributes()
 * drops: spans handed to holdAttributes, and released spans read since
 * (decoded again).
 */
let held: SpanRecord[] = [];

/**
 * Marks spans whose attribute maps and extras (events, links, trace state,
 * status message) may be dropped at the next releaseAttributes(): those with
 * a `source` (decoded from OTLP/protobuf), which can decode them again when
 * read. Others keep theirs.
 *
 * Why: a span's attribute map, its values and its events were most of a
 * buffered span's heap (about 500 of 645 B on the standard workload,
 * docs/performance.md), while its request's bytes, which hold the same
 * details in less room, are kept anyway (off the heap) to store the trace as
 * received. The detector tests a span against its guarded and cached
 * predicates when it arrives, so most buffered spans are not read again
 * before their trace completes; there, the rules that need them read them
 * decoded a second time.
 *
 * The marks are per thread (module state), shared by every detector in it:
 * releasing another detector's spans early is harmless, as they decode
 * again when read.
 */
export function holdAttributes(spans: readonly Span[]): void {
  for (const span of spans) if (span instanceof SpanRecord && span.source !== null) held.push(span);
}

/**
 * Drops the details of the spans marked since the last call (see
 * holdAttributes); reading one afterwards decodes them again from the span's
 * source. Callers keep a span's source (its request's bytes) alive while the
 * span may be read, and immutable; a span whose source is set to null
 * decodes its details first and keeps them.
 */
export function releaseAttributes(): void {
  if (attributeReadsHeld) {
    attributeReadSpans.fill(null);
    attributeReadValues.fill(undefined);
    attributeReadsHeld = false;
  }
  if (held.length === 0) return;
  const spans = held;
  held = [];
  for (const span of spans) span.release();
}

/** Releases these spans' details now (see releaseAttributes), where their sources can decode them again. */
export function releaseSpans(spans: readonly Span[]): void {
  for (const span of spans) if (span instanceof SpanRecord) span.release();
}

/**
 * A copy of a span (a new object of the same class, fields shared) with some
 * fields replaced: what `{ ...span, ... }` would be if spread kept getters.
 */
export function copySpan(span: Span, changes: Partial<Pick<Span, 'parent' | 'children' | 'source' | 'sourceOffset'>> = {}): Span {
  const copy = new SpanRecord(
    span.traceId, span.spanId, span.parentSpanId, span.name, span.kind, span.status,
    wholeMillisOf(span.startTime, span.startNanosWithinMilli), span.startNanosWithinMilli,
    wholeMillisOf(span.endTime, span.endNanosWithinMilli), span.endNanosWithinMilli, span.attributes,
    originOf(span), spanExtras(span.traceState, span.statusMessage, span.events, span.links), span.sourceOffset,
  );
  copy.parent = span.parent;
  copy.children = span.children;
  return Object.assign(copy, changes);
}

function originOf(span: Span): SpanOrigin {
  return span instanceof SpanRecord ? span.origin : { resource: span.resource, service: span.service, scope: span.scope, source: span.source, arrivalKeys: null, baseMillis: NaN };
}

function newOrigin(resource: AttributeMap, scopeName: string, scopeVersion: string): SpanOrigin {
  const service = resource['service.name'];
  return { resource, service: typeof service === 'string' ? service : undefined, scope: { name: scopeName, version: scopeVersion }, source: null, arrivalKeys: null, baseMillis: NaN };
}

/**
 * Origins of spans made by createSpan, shared by consecutive spans with the
 * same resource object and scope (decoders pass one resource object per
 * ResourceSpans), so that they cost no more than decoded spans. One
 * resource at a time: callers with a resource object per span (read back
 * from a store) would otherwise pay a table per span.
 */
let lastResource: AttributeMap | null = null;
let lastOrigins = new Map<string, SpanOrigin>();

function createdOrigin(resource: AttributeMap, scopeKey: string, scopeName: string, scopeVersion: string): SpanOrigin {
  if (resource !== lastResource) {
    lastResource = resource;
    lastOrigins = new Map();
  }
  let origin = lastOrigins.get(scopeKey);
  if (origin === undefined) {
    origin = newOrigin(resource, scopeName, scopeVersion);
    // Bounded: a resource with more scopes than this starts its table again.
    if (lastOrigins.size >= 256) lastOrigins.clear();
    lastOrigins.set(scopeKey, origin);
  }
  return origin;
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
  const shared = init.resource !== undefined && Object.getPrototypeOf(init.resource) === null;
  const resource = shared ? (init.resource as AttributeMap) : toAttributeMap(init.resource);
  const attributes = toAttributeMap(init.attributes, resource);
  const parentSpanId = init.parentSpanId ? init.parentSpanId : null;
  const scopeName = init.scope?.name ?? '';
  const scopeVersion = init.scope?.version ?? '';
  const scopeKey = `${scopeName}\u0000${scopeVersion}`;
  const origin = shared ? createdOrigin(resource, scopeKey, scopeName, scopeVersion) : newOrigin(resource, scopeName, scopeVersion);
  const span = new SpanRecord(
    init.traceId,
    init.spanId,
    parentSpanId,
    init.name,
    init.kind ?? 'INTERNAL',
    init.status ?? 'UNSET',
    wholeMillis(init.startTimeUnixNano),
    nanosWithinMilli(init.startTimeUnixNano),
    wholeMillis(init.endTimeUnixNano),
    nanosWithinMilli(init.endTimeUnixNano),
    attributes,
    origin,
    spanExtras(
      init.traceState ?? '',
      init.statusMessage ?? '',
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
    ),
    0,
  );
  if (shared) lastOrigins.set(scopeKey, originAfter(span, origin));
  return span;
}
