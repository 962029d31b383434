/**
 * Measurement 7: `fluo check` over large OTLP files, as a user runs it (a
 * child process, wall clock). The same command over a one-trace file gives
 * the fixed cost (start-up, rule compilation), reported separately.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeJsonTraces, encodeProtobufTraces } from '@fluohq/engine';
import { stringify as toYaml } from 'yaml';
import { FLUO_BIN, runNode } from './harness.mjs';

export function prepareCheckFiles(traces, rules) {
  const dir = mkdtempSync(path.join(tmpdir(), 'fluo-check-bench-'));
  const spans = traces.flat();
  const files = {
    rules: path.join(dir, 'rules.yaml'),
    protobuf: path.join(dir, 'traces.pb'),
    json: path.join(dir, 'traces.json'),
    tiny: path.join(dir, 'tiny.json'),
  };
  writeFileSync(files.rules, toYaml({ rules }));
  writeFileSync(files.protobuf, encodeProtobufTraces(spans));
  writeFileSync(files.json, JSON.stringify(encodeJsonTraces(spans)));
  writeFileSync(files.tiny, JSON.stringify(encodeJsonTraces(traces[0])));
  return { dir, files, spans: spans.length, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Wall-clock ms of one `fluo check` run (exit 0 or 1 both mean it ran). */
export async function timeCheck(rulesFile, traceFile) {
  const start = performance.now();
  await runNode([FLUO_BIN, 'check', '--rules', rulesFile, '--format', 'json', traceFile], { allowExit: [0, 1] });
  return performance.now() - start;
}
