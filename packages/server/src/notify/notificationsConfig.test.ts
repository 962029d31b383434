import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, resolveConfig } from '../config/config.js';

const dir = mkdtempSync(path.join(tmpdir(), 'fluo-notify-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function fromYaml(name: string, yaml: string) {
  const file = path.join(dir, name);
  writeFileSync(file, yaml);
  return resolveConfig({ file: await loadConfigFile(file), cwd: dir });
}

describe('the notifications section of the config file', () => {
  it('reads channels, routes and delivery settings with defaults', async () => {
    const config = await fromYaml('ok.yaml', `
notifications:
  linkBaseUrl: https://fluo.example.com
  maxAge: 2h
  channels:
    - id: ops-hook
      type: webhook
      settings: { url: "https://hooks.example.com/fluo", secret: s3cret, timeout: 5s }
      match: { severities: [critical] }
    - id: pd
      type: pagerduty
      settings: { routingKey: abc }
      throttle: { window: 10m, cap: 3, groupBy: service }
  routes:
    - match: { tags: [payments], rules: [checkout-error] }
      channels: [pd]
`);
    const n = config.notifications;
    expect(n).toMatchObject({ linkBaseUrl: 'https://fluo.example.com', maxAge: 7_200_000, concurrency: 4, retryInitialDelay: 1000, maxRetryDelay: 300_000 });
    expect(n.channels.map((c) => [c.id, c.type, c.enabled])).toEqual([['ops-hook', 'webhook', true], ['pd', 'pagerduty', true]]);
    expect(n.channels[0]).toMatchObject({ name: 'ops-hook', match: { severities: ['critical'] }, throttle: { window: 300_000, cap: 10, groupBy: null } });
    expect(n.channels[1]).toMatchObject({ match: null, throttle: { window: 600_000, cap: 3, groupBy: 'service' } });
    expect(n.routes).toEqual([{ match: { tags: ['payments'], rules: ['checkout-error'] }, channels: ['pd'] }]);
  });

  it('reports every problem with its field path', async () => {
    const err = await fromYaml('bad.yaml', `
notifications:
  maxAge: forever
  retries: 3
  channels:
    - id: Bad Id
      type: webhook
      settings: { url: "not a url" }
    - id: pd
      type: pagerduty
      settings: {}
      match: { severities: [urgent] }
      throttle: { cap: 0, groupBy: host }
    - id: pd
      type: sms
  routes:
    - match: {}
      channels: [nowhere]
`).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.map((p) => `${p.field}: ${p.message}`);
    const expected = [
      /^notifications\.maxAge: must be a duration/,
      /^notifications\.retries: unknown setting/,
      /^notifications\.channels\[0\]\.id: must be lowercase/,
      /^notifications\.channels\[0\]\.settings\.url: must be an absolute http/,
      /^notifications\.channels\[1\]\.match\.severities: 'urgent' is not a severity/,
      /^notifications\.channels\[1\]\.throttle\.cap: must be a whole number of at least 1/,
      /^notifications\.channels\[1\]\.throttle\.groupBy: must be one of service/,
      /^notifications\.channels\[1\]\.settings\.routingKey: is required/,
      /^notifications\.channels\[2\]\.type: unknown channel type 'sms'/,
      /^notifications\.routes\[0\]\.channels: 'nowhere' is not the id of a channel/,
    ];
    for (const pattern of expected) expect(problems.some((p) => pattern.test(p)), `${pattern} in\n${problems.join('\n')}`).toBe(true);
    expect((err as ConfigError).message).toContain('bad.yaml: notifications.channels[0].settings.url');
  });
});
