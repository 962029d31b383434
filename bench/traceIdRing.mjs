/**
 * Which backend gets a trace, the way the OpenTelemetry Collector's
 * `loadbalancing` exporter decides it with `routing_key: traceID`: a
 * consistent-hash ring of 36000 positions, each backend placed at 100 of them
 * (CRC-32 of its endpoint name followed by one byte 0..99, modulo 36000;
 * positions already taken are skipped; backends in sorted order), and a trace
 * routed to the first backend at or after CRC-32(trace id bytes) modulo
 * 36000, wrapping around. The multi-instance test and bench/scale-out.mjs
 * split spans with it, so that each FLUO instance sees whole traces exactly
 * as behind a real Collector.
 */
import { crc32 } from 'node:zlib';

const POSITIONS = 36_000;
const POINTS_PER_BACKEND = 100;

export class TraceIdRing {
  /** @param {string[]} endpoints backend names, e.g. 'fluo-0.fluo:4317' */
  constructor(endpoints) {
    if (endpoints.length === 0) throw new Error('the ring needs at least one backend');
    const taken = new Set();
    /** @type {Array<{ position: number, endpoint: string }>} */
    this.items = [];
    for (const endpoint of [...endpoints].sort()) {
      for (let i = 0; i < POINTS_PER_BACKEND; i++) {
        const position = crc32(Buffer.concat([Buffer.from(endpoint), Buffer.from([i])])) % POSITIONS;
        if (taken.has(position)) continue;
        taken.add(position);
        this.items.push({ position, endpoint });
      }
    }
    this.items.sort((a, b) => a.position - b.position);
  }

  /** @param {string} traceIdHex 32 hex digits @returns {string} the backend's endpoint */
  endpointFor(traceIdHex) {
    const position = crc32(Buffer.from(traceIdHex, 'hex')) % POSITIONS;
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.items[mid].position < position) lo = mid + 1;
      else hi = mid;
    }
    return (this.items[lo] ?? this.items[0]).endpoint;
  }
}
