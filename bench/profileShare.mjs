/**
 * Reads the .cpuprofile files that bench/profileServer.mjs leaves in a folder
 * and prints, per thread profile, the busy time (samples that are not idle,
 * program or GC) and the share of it spent under the store's write path:
 * every sample with a frame in its stack whose function is one of the store's
 * write-side functions (inclusive time, counted once per sample).
 *
 * Usage: node bench/profileShare.mjs DIR
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

// The store's write path on the ingest thread, before and after kept traces became OTLP bytes.
const STORE_WRITE = new Set(['serializeSpan', 'keptTrace', 'newTrace', 'encodeTracesData', 'mergeNewTraces', 'batchMessage', 'runBatch', 'prepareWrite']);
const STORE_FILES = /\/store\/(sqliteStore|keptTrace|serializedSpan)\.js$|\/otlp\/encodeTracesData\.js$|better-sqlite3/;
const IDLE = new Set(['(idle)', '(program)', '(garbage collector)']);

const dir = process.argv[2];
for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
  const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  let busy = 0;
  let store = 0;
  let gc = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const name = byId.get(id).callFrame.functionName;
    if (name === '(garbage collector)') gc += dt;
    if (IDLE.has(name)) return;
    busy += dt;
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at).callFrame;
      if (STORE_WRITE.has(frame.functionName) || (frame.functionName === 'write' && STORE_FILES.test(frame.url))) {
        store += dt;
        break;
      }
    }
  });
  process.stdout.write(`${JSON.stringify({ file, busyMs: Math.round(busy / 1000), gcMs: Math.round(gc / 1000), storeWriteMs: Math.round(store / 1000), storeShareOfBusy: +(store / busy).toFixed(3) })}\n`);
}
