/**
 * `fluo check`: evaluates rules over OTLP trace files, every trace complete
 * at end of input, with the same detector the server runs. For CI.
 * Exit 0: no signal; 1: signals; 2: bad input (rules or trace files).
 */
import { parseArgs } from 'node:util';
import { Correlator, Detector, formatRuleFileError, type Detection, type Span } from '@fluohq/engine';
import { loadRuleFiles } from '@fluohq/server/rule-files';
import { readTraceFiles, formatTraceFileError } from '../readTraceFiles.js';

export const CHECK_USAGE = `Usage: fluo check --rules <file|dir> [--format text|json] <trace files or folders...>

Evaluates rules over OTLP trace files (OTLP/JSON, JSON Lines as the Collector's
file exporter writes them, or protobuf .pb/.binpb), treating every trace as
complete at the end of input.

Options:
  -r, --rules <path>     rule file (YAML/JSON) or folder of them (required)
  -f, --format <fmt>     text (default) or json
      --include-disabled evaluate rules with enabled: false too
  -h, --help             show this help

Exit status: 0 no signal, 1 signals found, 2 bad input.
`;

function fail(message: string): number {
  process.stderr.write(`fluo check: ${message}\n`);
  return 2;
}

export async function check(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        rules: { type: 'string', short: 'r' },
        format: { type: 'string', short: 'f', default: 'text' },
        'include-disabled': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    return fail(`${(err as Error).message}\n\n${CHECK_USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(CHECK_USAGE);
    return 0;
  }
  if (values.rules === undefined) return fail(`--rules is required\n\n${CHECK_USAGE}`);
  if (values.format !== 'text' && values.format !== 'json') return fail(`--format must be text or json, not '${values.format}'`);
  if (positionals.length === 0) return fail(`no trace files given\n\n${CHECK_USAGE}`);

  const loaded = await loadRuleFiles(values.rules);
  const rules = loaded.rules.filter((r) => values['include-disabled'] || r.definition.enabled !== false);
  const detector = new Detector({
    // End of input decides every trace: no idle completion or memory forcing while reading.
    idleTimeoutMs: Number.MAX_SAFE_INTEGER,
    maxTraceLifetimeMs: Number.MAX_SAFE_INTEGER,
    maxBufferedSpans: Number.MAX_SAFE_INTEGER,
    maxBufferedTraces: Number.MAX_SAFE_INTEGER,
    maxSpansPerTrace: Number.MAX_SAFE_INTEGER,
  });
  detector.setRules(rules);
  // Correlated rules (traces.by): every span is in the input, so windows are decided at its end.
  const correlator = new Correlator({ maxKeys: Number.MAX_SAFE_INTEGER, maxSpansPerKey: Number.MAX_SAFE_INTEGER });
  correlator.setRules(rules);
  // Protobuf files: only the attributes the rules read by name are decoded up front (DecodeOptions.attributeKeys).
  const attributeKeys = new Set([...detector.arrivalAttributeKeys(), ...correlator.arrivalAttributeKeys()]);
  const traces = await readTraceFiles(positionals, process.cwd(), { attributeKeys });
  const problems = [...loaded.errors.map(formatRuleFileError), ...traces.errors.map(formatTraceFileError)];
  if (problems.length > 0) {
    correlator.close();
    process.stderr.write(problems.map((p) => `${p}\n`).join(''));
    process.stderr.write(`fluo check: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the input; nothing was evaluated\n`);
    return 2;
  }
  const now = Date.now();
  const detections: Detection[] = [
    ...detector.ingest(traces.spans, now).detections, ...detector.close(now),
    ...correlator.ingest(traces.spans, now), ...correlator.flush(now),
  ];
  correlator.close();
  const traceCount = new Set(traces.spans.map((s) => s.traceId)).size;
  detections.sort((a, b) => a.signal.traceId.localeCompare(b.signal.traceId) || a.signal.ruleId.localeCompare(b.signal.ruleId));

  if (values.format === 'json') {
    const signals = detections.map((d) => ({ ...d.signal, witnesses: witnessSummary(d) }));
    process.stdout.write(`${JSON.stringify({ signals, traces: traceCount, spans: traces.spans.length, rules: rules.length }, null, 2)}\n`);
  } else {
    process.stdout.write(renderText(detections, traceCount, traces.spans.length, rules.length));
  }
  return detections.length > 0 ? 1 : 0;
}

function witnessSummary(d: Detection): Array<{ spanId: string; name: string; service: string | undefined; status: string; startTime: number; duration: number }> {
  const byId = new Map<string, Span>(d.spans.map((s) => [s.spanId, s]));
  return d.signal.spanIds.map((id) => {
    const s = byId.get(id)!;
    return { spanId: s.spanId, name: s.name, service: s.service, status: s.status, startTime: s.startTime, duration: s.duration };
  });
}

function renderText(detections: Detection[], traces: number, spans: number, rules: number): string {
  const lines: string[] = [];
  for (const d of detections) {
    const s = d.signal;
    lines.push(s.correlationKey !== undefined
      ? `${s.severity.toUpperCase().padEnd(8)} ${s.ruleId}  key ${s.correlationKey}  traces ${(s.traceIds ?? [s.traceId]).join(', ')}`
      : `${s.severity.toUpperCase().padEnd(8)} ${s.ruleId}  trace ${s.traceId}`);
    lines.push(`         ${s.message}`);
    for (const w of witnessSummary(d)) {
      lines.push(`         - ${w.name} [${w.service ?? 'unknown service'}] span ${w.spanId} ${w.status} ${formatMs(w.duration)}`);
    }
  }
  if (lines.length > 0) lines.push('');
  const n = detections.length;
  lines.push(`${n} signal${n === 1 ? '' : 's'} from ${rules} rule${rules === 1 ? '' : 's'} over ${traces} trace${traces === 1 ? '' : 's'} (${spans} span${spans === 1 ? '' : 's'})`);
  return `${lines.join('\n')}\n`;
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)}s` : `${ms.toFixed(ms < 10 ? 2 : 0)}ms`;
}
