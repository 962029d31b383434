import { describe, expect, it } from 'vitest';
import type { Channel } from '../api/types';
import { draftOf, durationText, inputOf } from './channelDraft';

const stored: Channel = {
  id: 'ops', type: 'webhook', name: 'Ops', enabled: true,
  settings: { url: 'https://hooks.example/fluo', headers: { 'X-Team': 'sre' }, timeout: '5s', sendResolved: false, template: { title: '{{rule.name}}' } },
  match: { severities: ['critical'], tags: ['payments'] }, throttle: { window: 600_000, cap: 3, groupBy: 'service' },
  version: 4, createdAt: 1, updatedAt: 2, source: 'api', secretsSet: ['secret'],
};

describe('channel form draft', () => {
  it('round-trips a stored channel: settings, headers as lines, match, throttle; settings the form does not edit are kept; secrets left out keep their stored value', () => {
    const d = draftOf(stored, 'webhook');
    expect(d.settings).toEqual({ url: 'https://hooks.example/fluo', headers: 'X-Team: sre', timeout: '5s' });
    expect(d).toMatchObject({ receive: 'matching', sendResolved: 'false', throttle: true, throttleWindow: '10m', throttleCap: '3', throttleGroupBy: 'service' });
    expect(inputOf(d, stored)).toEqual({
      id: 'ops', type: 'webhook', name: 'Ops', enabled: true, version: 4,
      settings: { url: 'https://hooks.example/fluo', headers: { 'X-Team': 'sre' }, timeout: '5s', sendResolved: false, template: { title: '{{rule.name}}' } },
      match: { severities: ['critical'], tags: ['payments'] },
      throttle: { window: '10m', cap: 3, groupBy: 'service' },
    });
  });

  it('maps what the channel receives to match: {} for every signal, null for config routes only, lists when matching', () => {
    const d = { ...draftOf(null, 'slack'), id: 'chat', settings: { url: ' https://hooks.slack.example/x ', channel: '' } };
    expect(inputOf(d, null)).toEqual({ id: 'chat', type: 'slack', name: undefined, enabled: true, settings: { url: 'https://hooks.slack.example/x' }, match: {}, throttle: { window: '5m', cap: 10 } });
    expect(inputOf({ ...d, receive: 'routes' }, null).match).toBeNull();
    expect(inputOf({ ...d, receive: 'matching', rules: 'a, ,b', severities: ['warning'], tags: '' }, null).match).toEqual({ rules: ['a', 'b'], severities: ['warning'] });
  });

  it('only sends the settings of the chosen type; throttle off is null; a cap that is not a number goes as typed for the server to name', () => {
    const d = { ...draftOf(null, 'pagerduty'), id: 'pd', settings: { routingKey: 'k', url: '', secret: 'from another type' } };
    expect(inputOf(d, null).settings).toEqual({ routingKey: 'k' });
    expect(inputOf({ ...d, throttle: false }, null).throttle).toBeNull();
    expect(inputOf({ ...d, throttleCap: 'ten' }, null).throttle).toEqual({ window: '5m', cap: 'ten' });
    expect(inputOf({ ...d, sendResolved: 'true' }, null).settings).toEqual({ routingKey: 'k', sendResolved: true });
  });

  it('writes windows as the shortest exact duration', () => {
    expect([durationText(300_000), durationText(3_600_000), durationText(90_000), durationText(1500)]).toEqual(['5m', '1h', '90s', '1500ms']);
  });
});
