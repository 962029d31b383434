import { describe, expect, it } from 'vitest';
import type { Channel } from '../api/types';
import { draftOf, inputOf } from './channelDraft';

const stored: Channel = {
  id: 'ops', type: 'webhook', name: 'Ops', enabled: true,
  settings: { url: 'https://hooks.example/fluo', headers: { 'X-Team': 'sre' }, timeout: '5s' },
  match: { severities: ['critical'], tags: ['payments'] }, throttle: null,
  version: 4, createdAt: 1, updatedAt: 2, source: 'api', secretsSet: ['secret'],
};

describe('channel form draft', () => {
  it('round-trips a stored channel: settings, headers as lines, match; secrets left out keep their stored value', () => {
    const d = draftOf(stored, 'webhook');
    expect(d.settings).toEqual({ url: 'https://hooks.example/fluo', headers: 'X-Team: sre', timeout: '5s' });
    expect(d.receive).toBe('matching');
    expect(inputOf(d, stored)).toEqual({
      id: 'ops', type: 'webhook', name: 'Ops', enabled: true, version: 4,
      settings: { url: 'https://hooks.example/fluo', headers: { 'X-Team': 'sre' }, timeout: '5s' },
      match: { severities: ['critical'], tags: ['payments'] },
    });
  });

  it('maps what the channel receives to match: {} for every signal, null for config routes only, lists when matching', () => {
    const d = { ...draftOf(null, 'slack'), id: 'chat', settings: { url: ' https://hooks.slack.example/x ', channel: '' } };
    expect(inputOf(d, null)).toEqual({ id: 'chat', type: 'slack', name: undefined, enabled: true, settings: { url: 'https://hooks.slack.example/x' }, match: {} });
    expect(inputOf({ ...d, receive: 'routes' }, null).match).toBeNull();
    expect(inputOf({ ...d, receive: 'matching', rules: 'a, ,b', severities: ['warning'], tags: '' }, null).match).toEqual({ rules: ['a', 'b'], severities: ['warning'] });
  });

  it('only sends the settings of the chosen type', () => {
    const d = { ...draftOf(null, 'pagerduty'), id: 'pd', settings: { routingKey: 'k', url: '', secret: 'from another type' } };
    expect(inputOf(d, null).settings).toEqual({ routingKey: 'k' });
  });
});
