import { describe, expect, it } from 'vitest';
import { SettingsError } from './channelSettings.js';
import { describeNotifierConformance } from './notifierConformance.testkit.js';
import { notifiers, parseChannelSettings } from './notifiers.js';

const subjects = {
  webhook: { settings: (url: string) => ({ url: `${url}/hook`, secret: 'shh', headers: { 'x-team': 'ops' } }), accepted: { status: 200, body: 'ok' } },
  slack: { settings: (url: string) => ({ url: `${url}/services/T0/B0/xyz` }), accepted: { status: 200, body: 'ok' } },
  alertmanager: { settings: (url: string) => ({ url }), accepted: { status: 200, body: '' } },
  pagerduty: { settings: (url: string) => ({ url: `${url}/v2/enqueue`, routingKey: 'R0UT1NGKEY' }), accepted: { status: 202, body: '{"status":"success","message":"Event processed","dedup_key":"sig-1"}' } },
  otlp: { settings: (url: string) => ({ url: `${url}/v1/logs` }), accepted: { status: 200, body: '{}' } },
} satisfies Record<string, { settings(url: string): Record<string, unknown>; accepted: { status: number; body: string } }>;

describe('the notifier registry', () => {
  it('has a conformance subject for every channel type', () => {
    expect(Object.keys(subjects).sort()).toEqual(Object.keys(notifiers).sort());
  });

  it('names every bad setting by its path, with defaults applied to the rest', () => {
    const err = (() => {
      try { parseChannelSettings('webhook', { url: 'ftp://x', secret: 3, headers: { 'content-type': 'text/plain' }, timeout: 'soon', template: { title: '{{#open}}' }, colour: 'red' }, 'notifications.channels[0].settings'); }
      catch (e) { return e; }
      return null;
    })();
    expect(err).toBeInstanceOf(SettingsError);
    const fields = (err as SettingsError).problems.map((p) => p.field).sort();
    expect(fields).toEqual([
      'notifications.channels[0].settings.colour', 'notifications.channels[0].settings.headers.content-type', 'notifications.channels[0].settings.secret',
      'notifications.channels[0].settings.template.title', 'notifications.channels[0].settings.timeout', 'notifications.channels[0].settings.url',
    ]);
    expect(parseChannelSettings('pagerduty', { routingKey: 'k' }, 's')).toMatchObject({ settings: { url: 'https://events.pagerduty.com/v2/enqueue', routingKey: 'k' }, common: { timeout: 10_000, sendResolved: true } });
    expect(() => parseChannelSettings('pagerduty', {}, 's')).toThrow(/s\.routingKey: is required/);
    expect(() => parseChannelSettings('sms', {}, 'c')).toThrow(/unknown channel type 'sms'/);
  });
});

for (const [type, subject] of Object.entries(subjects)) describeNotifierConformance({ type, ...subject });
