/**
 * Slack incoming webhook: a Block Kit message (header, the rule, severity,
 * service and trace link as fields, the text, the witness spans), with
 * `text` as the fallback for notifications. Values are escaped for mrkdwn
 * (`&`, `<`, `>`), so span names cannot inject links or mentions.
 */
import type { SettingsReader } from './channelSettings.js';
import type { Escape } from './messageTemplate.js';
import { postHttp, type DeliveryOptions, type DeliveryResult, type NotificationMessage, type Notifier } from './notifier.js';

export interface SlackSettings {
  url: string;
  /** Channel override (only for legacy webhooks that allow it). */
  channel: string;
  username: string;
}

export const slackEscape: Escape = (value) => value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

export function parseSlackSettings(r: SettingsReader): SlackSettings {
  return { url: r.url('url', { required: true }), channel: r.string('channel', { max: 200 }), username: r.string('username', { max: 200 }) };
}

const SEVERITY_ICON: Record<string, string> = { critical: ':red_circle:', warning: ':large_orange_circle:', info: ':large_blue_circle:' };
const MAX_WITNESSES = 10;

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function slackBody(message: NotificationMessage, settings: Pick<SlackSettings, 'channel' | 'username'> = { channel: '', username: '' }): Record<string, unknown> {
  const s = message.signal;
  const blocks: unknown[] = [{ type: 'header', text: { type: 'plain_text', text: truncate(message.title, 150), emoji: true } }];
  if (s && message.kind !== 'test') {
    const icon = message.kind === 'resolve' ? ':white_check_mark:' : SEVERITY_ICON[s.severity] ?? '';
    const trace = message.links ? `<${message.links.trace}|${slackEscape(s.traceId)}>` : `\`${slackEscape(s.traceId)}\``;
    blocks.push({
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Rule*\n${message.links ? `<${message.links.signal}|${slackEscape(s.ruleName)}>` : slackEscape(s.ruleName)} (\`${slackEscape(s.ruleId)}\`)` },
        { type: 'mrkdwn', text: `*Severity*\n${icon} ${slackEscape(s.severity)}` },
        { type: 'mrkdwn', text: `*Service*\n${slackEscape(s.services.join(', ') || '-')}` },
        { type: 'mrkdwn', text: `*Trace*\n${trace}` },
      ],
    });
  }
  if (message.text !== '') blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(message.text, 3000) } });
  if (s && s.witnesses.length > 0 && message.kind !== 'summary' && message.kind !== 'test') {
    const lines = s.witnesses.slice(0, MAX_WITNESSES).map((w) =>
      `• \`${slackEscape(w.name)}\` (${slackEscape(w.service)}) ${slackEscape(w.status)} ${Math.round(w.durationMs)} ms`);
    if (s.witnesses.length > MAX_WITNESSES) lines.push(`… and ${s.witnesses.length - MAX_WITNESSES} more`);
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(`*Witness spans*\n${lines.join('\n')}`, 3000) } });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `FLUO · ${new Date(message.at).toISOString()}` }] });
  return {
    text: truncate(`${slackEscape(message.title)}${message.text ? `: ${message.text}` : ''}`, 3000),
    blocks,
    ...(settings.channel ? { channel: settings.channel } : {}),
    ...(settings.username ? { username: settings.username } : {}),
  };
}

export class SlackNotifier implements Notifier {
  readonly type = 'slack';
  constructor(private readonly settings: SlackSettings) {}

  async deliver(message: NotificationMessage, options: DeliveryOptions): Promise<DeliveryResult> {
    return postHttp(this.settings.url, {
      headers: { 'content-type': 'application/json', 'user-agent': 'fluo-notifier' },
      body: JSON.stringify(slackBody(message, this.settings)),
      signal: options.signal,
    }, 'Slack');
  }

  async close(): Promise<void> {}
}
