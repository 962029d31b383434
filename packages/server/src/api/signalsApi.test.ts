/**
 * /api/v1/signals over real HTTP: filters, cursor pagination, status
 * changes with history, evidence, and the SSE stream with resume.
 */
import { buildTrace, hexId } from '@fluohq/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SseClient, startTestServer, waitFor, type TestServer } from '../testing/testServer.testkit.js';

interface SignalJson { id: string; seq: number; ruleId: string; severity: string; traceId: string; services: string[]; detectedAt: number; status: string }

describe('signals API', () => {
  let s: TestServer;
  const traces: string[] = [];

  async function send(name: string, spanName: string, service: string): Promise<void> {
    traces.push(hexId(name, 32));
    const res = await s.sendJson(buildTrace(name, [
      { id: 'root', name: 'GET /', start: 0, service: 'gateway' },
      { id: 'hit', name: spanName, parent: 'root', start: 5, service, attributes: { 'user.id': 42, 'feature.flags': ['a', 'b'] }, events: [{ name: 'exception', at: 1, attributes: { 'exception.type': 'Timeout' } }] },
    ], Date.now()));
    expect(res.status).toBe(200);
  }

  const all = async (query = ''): Promise<SignalJson[]> => (await s.json(`/api/v1/signals?limit=1000${query}`)).body.signals;

  beforeAll(async () => {
    s = await startTestServer({ sseHeartbeat: 50 });
    await s.json('/api/v1/rules', { method: 'POST', body: { id: 'r-info', name: 'Info rule', severity: 'info', dsl: "trace.has(s => s.name === 'a')" } });
    await s.json('/api/v1/rules', { method: 'POST', body: { id: 'r-crit', name: 'Critical rule', severity: 'critical', dsl: "trace.has(s => s.name === 'b')" } });
    for (let i = 0; i < 12; i++) await send(`sig-${i}`, i % 3 === 0 ? 'b' : 'a', i % 2 === 0 ? 'billing' : 'auth');
    await waitFor('12 signals', async () => (await all()).length === 12);
  });
  afterAll(async () => { await s.close(); });

  it('lists newest first and filters by rule, severity, status, service and time', async () => {
    const everything = await all();
    expect(everything.map((x) => x.seq)).toEqual([...everything.map((x) => x.seq)].sort((a, b) => b - a));
    expect((await all('&ruleId=r-crit')).length).toBe(4);
    expect((await all('&severity=critical')).every((x) => x.ruleId === 'r-crit')).toBe(true);
    expect((await all('&severity=info')).length).toBe(8);
    expect((await all('&service=billing')).length).toBe(6);
    expect((await all('&service=billing&ruleId=r-crit')).map((x) => x.traceId).sort()).toEqual([hexId('sig-0', 32), hexId('sig-6', 32)].sort());
    expect((await all('&status=open')).length).toBe(12);
    const middle = [...everything].sort((a, b) => a.detectedAt - b.detectedAt)[5].detectedAt;
    const since = await all(`&since=${middle}`);
    expect(since.length).toBeGreaterThan(0);
    expect(since.every((x) => x.detectedAt >= middle)).toBe(true);
    const until = await all(`&until=${new Date(middle).toISOString()}`);
    expect(until.every((x) => x.detectedAt < middle)).toBe(true);
    expect(since.length + until.length).toBe(12);
  });

  it('pages with an opaque cursor, stable while new signals arrive', async () => {
    const first = await s.json('/api/v1/signals?limit=5');
    expect(first.body.signals).toHaveLength(5);
    expect(typeof first.body.nextCursor).toBe('string');
    await send('arrives-between-pages', 'a', 'auth');
    await waitFor('the new signal', async () => (await all()).length === 13);
    const seen = [...first.body.signals];
    let cursor = first.body.nextCursor;
    while (cursor) {
      const page = await s.json(`/api/v1/signals?limit=5&cursor=${cursor}`);
      seen.push(...page.body.signals);
      cursor = page.body.nextCursor;
    }
    expect(seen).toHaveLength(12); // the 12 that existed, each once; the new one is on a fresh first page
    expect(new Set(seen.map((x: SignalJson) => x.id)).size).toBe(12);
    expect((await s.json('/api/v1/signals?limit=1')).body.signals[0].traceId).toBe(hexId('arrives-between-pages', 32));
  });

  it('refuses bad query parameters, naming them', async () => {
    expect((await s.json('/api/v1/signals?severity=loud')).body.error).toMatchObject({ code: 'VALIDATION', message: "query parameter 'severity' must be one of info, warning, critical, got 'loud'" });
    expect((await s.json('/api/v1/signals?limit=0')).body.error.details).toEqual([{ field: 'limit', message: "must be a whole number from 1 to 1000, got '0'" }]);
    expect((await s.json('/api/v1/signals?since=yesterday')).body.error.message).toContain("query parameter 'since'");
    expect((await s.json('/api/v1/signals?cursor=bogus')).body.error.message).toContain("query parameter 'cursor' is not a cursor this server handed out");
    expect((await s.json('/api/v1/signals?status=closed')).status).toBe(400);
  });

  it('returns a signal with its evidence: ids, times, own attributes, resource, scope, events', async () => {
    const [signal] = await all('&ruleId=r-crit&service=billing');
    const { status, body } = await s.json(`/api/v1/signals/${signal.id}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: signal.id, seq: signal.seq, ruleId: 'r-crit', ruleName: 'Critical rule', severity: 'critical', status: 'open', history: [] });
    const spans = body.evidence.spans;
    expect(spans.map((x: { name: string }) => x.name)).toEqual(['GET /', 'b']);
    const hit = spans[1];
    expect(hit).toMatchObject({
      traceId: signal.traceId, spanId: hexId('hit', 16), parentSpanId: hexId('root', 16), kind: 'INTERNAL', status: 'UNSET',
      service: 'billing', attributes: { 'user.id': 42, 'feature.flags': ['a', 'b'] }, resource: { 'service.name': 'billing' },
      events: [{ name: 'exception', attributes: { 'exception.type': 'Timeout' } }], links: [],
    });
    expect(hit.startTimeUnixNano).toMatch(/^\d+$/);
    expect(Number(BigInt(hit.startTimeUnixNano) / 1_000_000n)).toBe(Math.floor(hit.startTime));
    expect(body.spanIds).toEqual([hit.spanId]);
    expect((await s.json('/api/v1/signals/does-not-exist')).body.error.code).toBe('NOT_FOUND');
  });

  it('changes status with a note and keeps the history', async () => {
    const [signal] = await all('&ruleId=r-info');
    const ack = await s.json(`/api/v1/signals/${signal.id}`, { method: 'PATCH', body: { status: 'acknowledged', note: 'on it', by: 'alice' } });
    expect(ack.status).toBe(200);
    expect(ack.body.status).toBe('acknowledged');
    const fp = await s.json(`/api/v1/signals/${signal.id}`, { method: 'PATCH', body: { status: 'false_positive' } });
    expect(fp.body.history).toEqual([
      { at: expect.any(Number), by: 'alice', from: 'open', to: 'acknowledged', note: 'on it' },
      { at: expect.any(Number), by: 'anonymous', from: 'acknowledged', to: 'false_positive', note: null },
    ]);
    expect(fp.body.statusUpdatedAt).toBe(fp.body.history[1].at);
    expect((await all('&status=false_positive')).map((x) => x.id)).toEqual([signal.id]);

    const bad = await s.json(`/api/v1/signals/${signal.id}`, { method: 'PATCH', body: { status: 'closed', colour: 'red' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { field: string }) => d.field)).toEqual(['colour', 'status']);
    expect((await s.json('/api/v1/signals/nope', { method: 'PATCH', body: { status: 'resolved' } })).status).toBe(404);
  });

  it('streams new signals, resumes from Last-Event-ID, and sends heartbeats', async () => {
    const live = await SseClient.connect(`${s.server.urls.api}/api/v1/signals/stream`);
    expect(live.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    await send('streamed-1', 'a', 'auth');
    await send('streamed-2', 'b', 'auth');
    const e1 = await live.nextSignal();
    const e2 = await live.nextSignal();
    expect(new Set([e1.signal.traceId, e2.signal.traceId])).toEqual(new Set([hexId('streamed-1', 32), hexId('streamed-2', 32)]));
    expect(Number(e2.id)).toBeGreaterThan(Number(e1.id));

    // A heartbeat comment arrives when nothing happens (interval set to 50 ms for this test).
    const beat = await live.next();
    expect(beat.comments).toContain('heartbeat');
    live.close();

    // Signals stored while disconnected are replayed after the last id seen, then live ones follow.
    await send('while-away', 'a', 'auth');
    await waitFor('the signal stored while away', async () => (await all()).some((x) => x.traceId === hexId('while-away', 32)));
    const resumed = await SseClient.connect(`${s.server.urls.api}/api/v1/signals/stream`, { 'last-event-id': e1.id });
    const r1 = await resumed.nextSignal();
    const r2 = await resumed.nextSignal();
    expect([r1.id, r2.signal.traceId]).toEqual([e2.id, hexId('while-away', 32)]);
    await send('after-resume', 'b', 'auth');
    expect((await resumed.nextSignal()).signal.traceId).toBe(hexId('after-resume', 32));
    resumed.close();

    // From the start, via the query parameter (for clients that cannot set headers).
    const replay = await SseClient.connect(`${s.server.urls.api}/api/v1/signals/stream?lastEventId=0`);
    const firstEver = await replay.nextSignal();
    expect(firstEver.signal.seq).toBe(Math.min(...(await all()).map((x) => x.seq)));
    replay.close();

    const bad = await s.json('/api/v1/signals/stream', { headers: { 'last-event-id': 'abc' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('Last-Event-ID must be the id of an event of this stream');
  });

  it('ends open streams when the server stops', async () => {
    const other = await startTestServer();
    const client = await SseClient.connect(`${other.server.urls.api}/api/v1/signals/stream`);
    await client.next(); // the opening comment
    await other.close();
    await client.ended();
  });
});
