/**
 * The body each format expects, for one event or a digest of several. Chat formats get text for
 * people (Slack and Mattermost: `text`, with `&`, `<`, `>` escaped as Slack's markup asks; Discord:
 * `content` within its 2,000 characters and no mentions at all; Matrix: an `m.notice` message);
 * `json` gets the events themselves, for machines.
 */
import { createHash } from 'node:crypto';
import type { WebhookConfig } from './options.js';
import { eventLine, type WebhookEvent } from './events.js';

export interface Request {
  method: 'POST' | 'PUT';
  /** Path and query, below the configured URL's origin. */
  path: string;
  body: unknown;
}

const DISCORD_MAX = 2000;

/** Text for people: one line, or a digest with at most `digestLines` events listed. */
export function messageText(c: WebhookConfig, events: readonly WebhookEvent[], digest: boolean): string {
  if (!digest) return `${eventLine(events[0]!)} on ${c.host}`;
  const bans = events.filter((e) => e.event === 'ban').length;
  const head = `f2b on ${c.host}: ${bans} ban(s), ${events.length - bans} unban(s)`;
  const shown = events.slice(0, c.digestLines).map(eventLine);
  const more = events.length - shown.length;
  return [head, ...shown, ...(more > 0 ? [`… and ${more} more`] : [])].join('\n');
}

const slackEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A transaction id for Matrix from the events' keys: a retried message has the same one, and the server keeps it once. */
export function transactionId(keys: readonly string[]): string {
  return `f2b-${createHash('sha256').update(keys.join('\n')).digest('hex').slice(0, 32)}`;
}

export function render(c: WebhookConfig, events: readonly WebhookEvent[], digest: boolean, keys: readonly string[]): Request {
  const path = c.url.pathname + c.url.search;
  switch (c.format) {
    case 'json':
      return { method: 'POST', path, body: digest ? { event: 'digest', host: c.host, events } : { ...events[0], host: c.host } };
    case 'slack':
    case 'mattermost':
      return { method: 'POST', path, body: { text: slackEscape(messageText(c, events, digest)), ...(c.username ? { username: c.username } : {}) } };
    case 'discord': {
      let content = messageText(c, events, digest);
      if (content.length > DISCORD_MAX) content = `${content.slice(0, DISCORD_MAX - 2)} …`;
      return { method: 'POST', path, body: { content, allowed_mentions: { parse: [] }, ...(c.username ? { username: c.username } : {}) } };
    }
    case 'matrix': {
      const base = c.url.pathname.replace(/\/+$/, '');
      return {
        method: 'PUT',
        path: `${base}/_matrix/client/v3/rooms/${encodeURIComponent(c.room!)}/send/m.room.message/${transactionId(keys)}`,
        body: { msgtype: 'm.notice', body: messageText(c, events, digest) },
      };
    }
  }
}
