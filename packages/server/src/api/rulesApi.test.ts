/**
 * /api/v1/rules over real HTTP: CRUD, validation with positions, the error
 * shape, rules applied without restart, and rules from files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildTrace, hexId } from '@fluohq/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuleFilesError } from '../rules/ruleFileWatcher.js';
import { openStore } from '../store/stores.js';
import { jsonOf, startTestServer, tempDir, waitFor, type TestServer } from '../testing/testServer.testkit.js';

const ERROR_DSL = "trace.has(span => span.status === 'ERROR')";

describe('rules API', () => {
  let s: TestServer;
  beforeAll(async () => { s = await startTestServer(); });
  afterAll(async () => { await s.close(); });

  it('creates a rule with defaults, generating its id from the name', async () => {
    const res = await s.json('/api/v1/rules', { method: 'POST', body: { name: 'Auth Failure — Masked by Retry!', severity: 'warning', dsl: ERROR_DSL } });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe('/api/v1/rules/auth-failure-masked-by-retry');
    expect(res.body).toMatchObject({
      id: 'auth-failure-masked-by-retry', name: 'Auth Failure — Masked by Retry!', description: '', severity: 'warning', dsl: ERROR_DSL,
      enabled: true, mode: 'alert', tags: [], version: 1, source: 'api',
    });
    expect(res.body.createdAt).toBe(res.body.updatedAt);
    const again = await s.json('/api/v1/rules', { method: 'POST', body: { name: 'Auth failure: masked by retry', severity: 'info', dsl: ERROR_DSL } });
    expect(again.body.id).toBe('auth-failure-masked-by-retry-2');
    expect((await s.json('/api/v1/rules/auth-failure-masked-by-retry')).body.severity).toBe('warning');
  });

  it('refuses invalid fields with 400, naming each field', async () => {
    const res = await s.json('/api/v1/rules', { method: 'POST', body: { id: 'bad id!', name: '', severity: 'urgent', dsl: ERROR_DSL, tags: 'x' } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION');
    expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual(['id', 'name', 'severity', 'tags']);
    expect(res.body.error.message).toContain('severity must be one of info, warning, critical');
    const unknown = await s.json('/api/v1/rules', { method: 'POST', body: { name: 'x', severity: 'info', dsl: ERROR_DSL, priority: 1 } });
    expect(unknown.body.error).toMatchObject({ code: 'VALIDATION', details: [{ field: 'priority', message: 'unknown field' }] });
    const notObject = await s.json('/api/v1/rules', { method: 'POST', body: '[1]' });
    expect(notObject.body.error.code).toBe('VALIDATION');
  });

  it('refuses a rule that does not compile with 400 and the compile error\'s position', async () => {
    const res = await s.json('/api/v1/rules', { method: 'POST', body: { name: 'broken', severity: 'info', dsl: 'trace.has(span => span.name === )' } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('RULE_COMPILE');
    expect(res.body.error.details).toEqual({ code: 'SYNTAX', message: 'Syntax error: Unexpected token', line: 1, column: 33 });
    expect(res.body.error.message).toBe('dsl, line 1, column 33: Syntax error: Unexpected token');
    expect((await s.json('/api/v1/rules/broken')).status).toBe(404);
  });

  it('validates DSL without saving', async () => {
    expect((await s.json('/api/v1/rules/validate', { method: 'POST', body: { dsl: ERROR_DSL } })).body).toEqual({ ok: true, errors: [] });
    const bad = await s.json('/api/v1/rules/validate', { method: 'POST', body: { dsl: "trace.has(span => span.name = 'x')" } });
    expect(bad.status).toBe(200);
    expect(bad.body).toEqual({ ok: false, errors: [{ code: 'NOT_ALLOWED', message: expect.stringContaining("Assignment ('=') is not allowed"), line: 1, column: 19 }] });
    expect((await s.json('/api/v1/rules/validate', { method: 'POST', body: {} })).body.error).toMatchObject({ code: 'VALIDATION', details: [{ field: 'dsl' }] });
  });

  it('replaces and patches rules, bumping the version, with optimistic concurrency', async () => {
    await s.json('/api/v1/rules', { method: 'POST', body: { id: 'edit-me', name: 'Edit me', severity: 'info', dsl: ERROR_DSL, tags: ['a'] } });
    const put = await s.json('/api/v1/rules/edit-me', { method: 'PUT', body: { name: 'Edited', severity: 'critical', dsl: ERROR_DSL, version: 1 } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ id: 'edit-me', name: 'Edited', severity: 'critical', tags: [], version: 2 });
    expect(put.body.updatedAt).toBeGreaterThanOrEqual(put.body.createdAt);

    const patch = await s.json('/api/v1/rules/edit-me', { method: 'PATCH', body: { enabled: false, mode: 'shadow' } });
    expect(patch.body).toMatchObject({ name: 'Edited', enabled: false, mode: 'shadow', version: 3 });

    const stale = await s.json('/api/v1/rules/edit-me', { method: 'PATCH', body: { name: 'x', version: 2 } });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toEqual({ code: 'CONFLICT', message: "rule 'edit-me' is at version 3, not 2: it was changed meanwhile", details: { id: 'edit-me', version: 3 } });

    // A GET body can be sent back as is (read-only fields are ignored).
    const current = (await s.json('/api/v1/rules/edit-me')).body;
    expect((await s.json('/api/v1/rules/edit-me', { method: 'PUT', body: { ...current, name: 'Round trip' } })).body).toMatchObject({ name: 'Round trip', version: 4 });

    expect((await s.json('/api/v1/rules/edit-me', { method: 'PUT', body: { id: 'other', name: 'x', severity: 'info', dsl: ERROR_DSL } })).body.error.code).toBe('VALIDATION');
    expect((await s.json('/api/v1/rules/edit-me', { method: 'PATCH', body: { dsl: 'trace.has(' } })).body.error.code).toBe('RULE_COMPILE');
    expect((await s.json('/api/v1/rules/edit-me')).body.version).toBe(4);
    expect((await s.json('/api/v1/rules/nope', { method: 'PATCH', body: { name: 'x' } })).status).toBe(404);
    expect((await s.json('/api/v1/rules', { method: 'POST', body: { id: 'edit-me', name: 'dup', severity: 'info', dsl: ERROR_DSL } })).status).toBe(409);
  });

  it('applies rule changes to traces at once, without restart', async () => {
    const rule = (id: string, name: string) => ({ id, name, severity: 'info', dsl: `trace.has(span => span.name === '${name}')` });
    await s.json('/api/v1/rules', { method: 'POST', body: rule('control', 'hit') });
    await s.json('/api/v1/rules', { method: 'POST', body: rule('toggled', 'hit') });
    const send = (name: string) => s.sendJson(buildTrace(name, [{ id: 'a', name: 'hit', start: 0 }], Date.now()));
    const signalFor = async (ruleId: string, trace: string) =>
      (await s.json(`/api/v1/signals?ruleId=${ruleId}`)).body.signals.find((x: { traceId: string }) => x.traceId === hexId(trace, 32));

    await send('apply-1');
    await waitFor('control signal 1', () => signalFor('control', 'apply-1'));
    expect(await signalFor('toggled', 'apply-1')).toBeDefined();

    await s.json('/api/v1/rules/toggled', { method: 'PATCH', body: { enabled: false } });
    await send('apply-2');
    // Both rules are evaluated on the same batch and stored together: once the control signal is there, the other would be too.
    await waitFor('control signal 2', () => signalFor('control', 'apply-2'));
    expect(await signalFor('toggled', 'apply-2')).toBeUndefined();

    await s.json('/api/v1/rules/toggled', { method: 'PATCH', body: { enabled: true } });
    await send('apply-3');
    await waitFor('toggled signal 3', () => signalFor('toggled', 'apply-3'));
    expect((await signalFor('toggled', 'apply-3')).ruleVersion).toBe(3);

    expect((await s.api('/api/v1/rules/toggled', { method: 'DELETE' })).status).toBe(204);
    expect((await s.json('/api/v1/rules/toggled')).status).toBe(404);
    expect((await s.api('/api/v1/rules/toggled', { method: 'DELETE' })).status).toBe(404);
    await send('apply-4');
    await waitFor('control signal 4', () => signalFor('control', 'apply-4'));
    expect(await signalFor('toggled', 'apply-4')).toBeUndefined();
    expect(await signalFor('toggled', 'apply-3')).toBeDefined(); // signals outlive their rule
  });

  it('answers every error in one shape', async () => {
    const invalidJson = await s.json('/api/v1/rules', { method: 'POST', body: '{"name": "x",\n "severity": }' });
    expect(invalidJson.status).toBe(400);
    expect(invalidJson.body.error.code).toBe('INVALID_JSON');
    expect(invalidJson.body.error.message).toMatch(/^the request body is not valid JSON/);

    const text = await s.api('/api/v1/rules', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(text.status).toBe(415);
    expect((await jsonOf(text)).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');

    const big = await s.json('/api/v1/rules', { method: 'POST', body: JSON.stringify({ name: 'x', severity: 'info', dsl: 'x'.repeat(2 * 1024 * 1024) }) });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('PAYLOAD_TOO_LARGE');

    const missing = await s.json('/api/v1/nothing-here');
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND', message: 'no such endpoint: GET /api/v1/nothing-here (see /api/v1/openapi.json)' } } });
    for (const r of [invalidJson, big, missing]) expect(Object.keys(r.body)).toEqual(['error']);
  });
});

describe('stored rules that no longer compile', () => {
  it('are listed with their compile error and not applied, and can be fixed', async () => {
    const dataDir = tempDir('stale-rule');
    // As an older FLUO (with a laxer DSL) could have left it.
    const store = await openStore('sqlite:', { dataDir });
    await store.createRule({ id: 'stale', name: 'Stale', description: '', severity: 'info', dsl: 'trace.has(s => s.name === )', enabled: true, mode: 'alert', tags: [], version: 3, createdAt: 1, updatedAt: 1, source: 'api' });
    await store.close();
    const s = await startTestServer({}, dataDir);
    try {
      const stale = (await s.json('/api/v1/rules/stale')).body;
      expect(stale.compileError).toMatchObject({ code: 'SYNTAX', line: 1, column: 27 });
      expect((await s.json('/api/v1/rules/test', { method: 'POST', body: { ruleId: 'stale' } })).body.error.code).toBe('RULE_COMPILE');
      const fixed = await s.json('/api/v1/rules/stale', { method: 'PATCH', body: { dsl: "trace.has(s => s.name === 'x')" } });
      expect(fixed.body).toMatchObject({ version: 4 });
      expect(fixed.body.compileError).toBeUndefined();
    } finally {
      await s.close();
    }
  });
});

describe('rules from files', () => {
  const dir = tempDir('rule-files');
  const rulesDir = path.join(dir, 'rules');
  mkdirSync(path.join(rulesDir, 'team'), { recursive: true });
  const fileA = path.join(rulesDir, 'a.yaml');
  const fileB = path.join(rulesDir, 'team', 'b.json');
  let s: TestServer;

  beforeAll(async () => {
    writeFileSync(fileA, `rules:\n  - id: file-errors\n    name: Errors\n    severity: warning\n    dsl: "${ERROR_DSL}"\n`);
    writeFileSync(fileB, JSON.stringify({ rules: [{ id: 'file-slow', name: 'Slow', severity: 'info', dsl: 'trace.has(s => s.duration > 1000)', tags: ['perf'] }] }));
    s = await startTestServer({ rules: rulesDir }, path.join(dir, 'data'));
  });
  afterAll(async () => { await s.close(); });

  it('lists file rules as read-only', async () => {
    const { body } = await s.json('/api/v1/rules');
    expect(body.fileErrors).toEqual([]);
    expect(body.rules).toEqual([
      expect.objectContaining({ id: 'file-errors', source: 'file', file: fileA, version: 1, enabled: true, mode: 'alert' }),
      expect.objectContaining({ id: 'file-slow', source: 'file', file: fileB, tags: ['perf'] }),
    ]);
    for (const init of [{ method: 'PUT', body: { name: 'x', severity: 'info', dsl: ERROR_DSL } }, { method: 'PATCH', body: { enabled: false } }, { method: 'DELETE' }]) {
      const res = await s.json('/api/v1/rules/file-errors', init);
      expect(res.status).toBe(409);
      expect(res.body.error).toMatchObject({ code: 'READ_ONLY', message: `rule 'file-errors' comes from the rule file ${fileA}: edit the file instead` });
    }
    expect((await s.json('/api/v1/rules', { method: 'POST', body: { id: 'file-slow', name: 'x', severity: 'info', dsl: ERROR_DSL } })).status).toBe(409);
  });

  it('detects with file rules', async () => {
    await s.sendJson(buildTrace('file-rule-trace', [{ id: 'a', name: 'x', start: 0, status: 'ERROR' }], Date.now()));
    await waitFor('a file rule signal', async () => (await s.json('/api/v1/signals?ruleId=file-errors')).body.signals[0]);
  });

  it('reloads on change, and keeps the rules in force when an edit is broken', async () => {
    writeFileSync(fileA, `rules:\n  - id: file-errors\n    name: Errors (renamed)\n    severity: critical\n    version: 2\n    dsl: "${ERROR_DSL}"\n  - id: file-new\n    name: New\n    severity: info\n    dsl: "trace.has(s => s.name === 'new')"\n`);
    await waitFor('the reload', async () => (await s.json('/api/v1/rules/file-new')).status === 200);
    expect((await s.json('/api/v1/rules/file-errors')).body).toMatchObject({ name: 'Errors (renamed)', severity: 'critical', version: 2 });

    writeFileSync(fileA, 'rules:\n  - id: file-errors\n    name: Broken\n    severity: info\n    dsl: "trace.has(s => s.name === )"\n');
    const errors = await waitFor('the reload error', async () => {
      const body = (await s.json('/api/v1/rules')).body;
      return body.fileErrors.length > 0 ? body.fileErrors : undefined;
    });
    expect(errors[0]).toMatch(new RegExp(`^${fileA.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5:\\d+: rule 'file-errors': Syntax error`));
    expect((await s.json('/api/v1/rules/file-errors')).body.name).toBe('Errors (renamed)');
    expect((await s.json('/api/v1/rules/file-new')).status).toBe(200);
  });

  it('refuses to start with broken rule files, listing file, line and column', async () => {
    const badDir = tempDir('bad-rules');
    const bad = path.join(badDir, 'bad.yaml');
    writeFileSync(bad, 'rules:\n  - id: a\n    name: A\n    severity: loud\n    dsl: "trace.has(s => true)"\n');
    const err = await startTestServer({ rules: bad }, path.join(badDir, 'data')).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(RuleFilesError);
    expect((err as Error).message).toContain(`${bad}:4:15: rule 'a': severity must be one of info, warning, critical`);
  });
});
