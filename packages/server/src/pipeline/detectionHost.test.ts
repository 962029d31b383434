/**
 * The two detection hosts against one script: the same calls give the same
 * results on the ingest thread and on the detection thread (so the thread
 * boundary loses nothing: evidence, kept trace bytes, errors with their
 * location, the order of results), and a detection thread that ends fails
 * its calls instead of hanging them.
 */
import { OtlpDecodeError, buildTrace, compileRule, decodeProtobufTraces, encodeProtobufTraces } from '@fluohq/engine';
import { describe, expect, it, vi } from 'vitest';
import type { CoreOutput, DetectionCoreOptions } from './detectionCore.js';
import { InlineDetection, ThreadDetection, type DetectionHost } from './detectionHost.js';

const OPTIONS: DetectionCoreOptions = {
  detector: { idleTimeoutMs: 1000, maxTraceLifetimeMs: 60_000, maxBufferedSpans: 10_000, maxBufferedTraces: 1000, maxSpansPerTrace: 3, ruleBudget: 1_000_000 },
  correlator: { allowedLatenessMs: 1000, maxKeys: 1000, maxSpansPerKey: 100 },
};

const RULES = [
  compileRule({ id: 'pay-error', name: 'Payment error', severity: 'high', dsl: "trace.has(s => s.name === 'charge' && s.status === 'ERROR')" }),
  compileRule({ id: 'no-audit', name: 'PII read without audit', severity: 'critical', dsl: "trace.has(s => s.attributes['pii'] === true).and(trace.missing(s => s.name === 'audit.log'))" }),
];

const NOW = 1_732_430_000_000;

function request(traceName: string, specs: Parameters<typeof buildTrace>[1]): Uint8Array {
  return encodeProtobufTraces(buildTrace(traceName, specs, NOW));
}

const traceIdOf = (traceName: string) => buildTrace(traceName, [{ id: 'a', name: 'a', start: 0 }])[0].traceId;

/** Every call of the script with what it returned (outputs as the pipeline applies them). */
async function runScript(host: DetectionHost): Promise<unknown[]> {
  const seen: unknown[] = [];
  // Heap figures are each thread's own; the rest must be equal.
  const applied = (label: string) => (out: CoreOutput) => {
    expect(out.stats.heap.used).toBeGreaterThan(0);
    expect(out.stats.heap.limit).toBeGreaterThan(out.stats.heap.used);
    seen.push({ label, out: { ...out, stats: { ...out.stats, heap: 'this thread' } } });
  };
  host.setRules(RULES);
  const payment = await host.call('decode', [1, 'protobuf', request('payment', [
    { id: 'root', name: 'checkout', start: 0, duration: 50, service: 'shop', attributes: { constructor: 'plain data', 'http.method': 'POST' } },
    { id: 'charge', name: 'charge', parent: 'root', start: 5, status: 'ERROR', service: 'payments' },
  ])]);
  seen.push({ label: 'decode payment', payment });
  const ingested = await host.call('ingest', [1, NOW + 10], applied('ingest payment'));
  seen.push({ label: 'ingest payment result', rejected: ingested.rejected, open: ingested.openTraceIds });
  // Too many spans for one trace (maxSpansPerTrace 3): partial success.
  await host.call('decode', [2, 'protobuf', request('pii', [
    { id: 'a', name: 'users.read', start: 0, attributes: { pii: true } },
    { id: 'b', name: 'render', start: 1 }, { id: 'c', name: 'render', start: 2 }, { id: 'd', name: 'render', start: 3 },
  ])]);
  const refused = await host.call('ingest', [2, NOW + 20], applied('ingest pii'));
  seen.push({ label: 'ingest pii result', rejected: refused.rejected });
  seen.push({ label: 'open trace', spans: await host.call('openTrace', [traceIdOf('pii')]) });
  seen.push({ label: 'stats after ingest', stats: host.stats().detector });
  // A request decoded and dropped is never ingested.
  await host.call('decode', [3, 'protobuf', request('dropped', [{ id: 'x', name: 'charge', start: 0, status: 'ERROR' }])]);
  await host.call('drop', [3]);
  const none = await host.call('ingest', [3, NOW + 30], applied('ingest dropped'));
  seen.push({ label: 'dropped', rejected: none.rejected });
  await host.call('tick', [NOW + 5000], applied('tick'));
  try {
    await host.call('decode', [4, 'protobuf', Uint8Array.of(0x0a, 0xff, 0xff)]);
    seen.push({ label: 'garbage decoded' });
  } catch (err) {
    seen.push({ label: 'garbage', isDecodeError: err instanceof OtlpDecodeError, error: { ...(err as OtlpDecodeError).toJSON() } });
  }
  await host.close(NOW + 6000, applied('close'));
  await host.close(NOW + 7000, applied('close again'));
  return seen;
}

describe('detection hosts', () => {
  it('give the same results on the ingest thread and on the detection thread', async () => {
    const inline = await runScript(new InlineDetection(OPTIONS));
    const threaded = await runScript(new ThreadDetection(OPTIONS));
    expect(threaded).toEqual(inline);

    // And the script itself did what it says (so that equal is not equally empty).
    const labels = inline.map((s) => (s as { label: string }).label);
    expect(labels).toEqual(['decode payment', 'ingest payment', 'ingest payment result', 'ingest pii', 'ingest pii result', 'open trace',
      'stats after ingest', 'ingest dropped', 'dropped', 'tick', 'garbage', 'close']);
    const byLabel = new Map(inline.map((s) => [(s as { label: string }).label, s as Record<string, any>]));
    expect(byLabel.get('decode payment')!.payment).toMatchObject({ spans: 2, traceIds: [traceIdOf('payment')], rejected: [] });
    const payment = byLabel.get('ingest payment')!.out as CoreOutput;
    expect(payment.signals.map((s) => s.signal.ruleId)).toEqual(['pay-error']);
    expect(payment.signals[0].evidence.map((e) => e.name)).toEqual(['checkout', 'charge']);
    expect(payment.signals[0].evidence[0].attributes).toEqual({ constructor: 'plain data', 'http.method': 'POST' });
    expect(byLabel.get('ingest pii result')!.rejected).toHaveLength(1);
    expect(byLabel.get('open trace')!.spans.map((s: { name: string }) => s.name)).toEqual(['users.read', 'render', 'render']);
    expect(byLabel.get('stats after ingest')!.stats).toMatchObject({ bufferedSpans: 5, bufferedTraces: 2, spansRejected: 1 });
    expect(byLabel.get('dropped')!.rejected).toEqual([]);
    // The tick completes both traces (kept as OTLP bytes that decode to their spans), then decides the absence rule.
    const tick = byLabel.get('tick')!.out as CoreOutput;
    expect(tick.completed.map((c) => decodeProtobufTraces(c.kept!.otlp).spans.length)).toEqual([2, 3]);
    expect(tick.signals.map((s) => s.signal.ruleId)).toEqual(['no-audit']);
    expect(tick.stats.detector).toMatchObject({ bufferedSpans: 0, bufferedTraces: 0, tracesCompleted: 2 });
    expect(byLabel.get('garbage')).toMatchObject({ isDecodeError: true, error: { code: expect.any(String), path: expect.any(String) } });
    expect((byLabel.get('close')!.out as CoreOutput).stats.closed).toBe(true);
  });

  it('gives the signals one evaluation of a trace raises one evidence array, on either side of the thread boundary', async () => {
    const rules = [
      compileRule({ id: 'charge', name: 'Charge', severity: 'info', dsl: "trace.has(s => s.name === 'charge')" }),
      compileRule({ id: 'error', name: 'Error', severity: 'high', dsl: "trace.has(s => s.status === 'ERROR')" }),
    ];
    for (const host of [new InlineDetection(OPTIONS), new ThreadDetection(OPTIONS)]) {
      host.setRules(rules);
      let out: CoreOutput | undefined;
      await host.call('decode', [1, 'protobuf', request('shared', [{ id: 'root', name: 'checkout', start: 0 }, { id: 'c', name: 'charge', parent: 'root', start: 1, status: 'ERROR' }])]);
      await host.call('ingest', [1, NOW], (o) => { out = o; });
      expect(out!.signals.map((s) => s.signal.ruleId)).toEqual(['charge', 'error']);
      expect(out!.signals[0].evidence.map((s) => s.name)).toEqual(['checkout', 'charge']);
      // The store writes an array shared by identity once (NewSignal.evidence).
      expect(out!.signals[1].evidence).toBe(out!.signals[0].evidence);
      await host.close(NOW, () => {});
    }
  });

  it('refuses spans after close, with the detector-closed code the receivers map to 503', async () => {
    for (const host of [new InlineDetection(OPTIONS), new ThreadDetection(OPTIONS)]) {
      await host.call('decode', [1, 'protobuf', request('late', [{ id: 'a', name: 'late', start: 0 }])]);
      await host.close(NOW, () => {});
      await expect(host.call('ingest', [1, NOW], () => {})).rejects.toMatchObject({ code: 'DETECTOR_CLOSED' });
    }
  });

  it('fails every call when the detection thread ends, and still closes', async () => {
    const host = new ThreadDetection(OPTIONS);
    host.setRules(RULES);
    await host.call('decode', [1, 'protobuf', request('before', [{ id: 'a', name: 'charge', start: 0, status: 'ERROR' }])]);
    expect(host.failure).toBeNull();
    // A call in flight settles (answered before the end, or failed by it): it never hangs.
    const inFlight = host.call('stats', []).then(() => 'answered', (err: Error) => err.message);
    await host.thread.terminate();
    await vi.waitFor(() => expect(host.failure?.message).toMatch(/detection thread exited/));
    expect(await inFlight).toMatch(/^answered$|detection thread exited/);
    await expect(host.call('ingest', [1, NOW], () => {})).rejects.toThrow(/detection thread exited/);
    await expect(host.close(NOW, () => {})).rejects.toThrow(/detection thread exited/);
  });
});
