/**
 * Bans and unbans as the events a webhook sends: the address validated and printed again by f2b's
 * parser, times as ISO 8601, and a key per event (what was already delivered is not sent again).
 */
import { formatDuration, tryParseCidr } from '@f2b/kit';
import type { Ban, Unban } from '@f2b/core';
import { webhookErrors } from './errors.js';

export interface BanEvent {
  event: 'ban';
  jail: string;
  ip: string;
  family: 'inet4' | 'inet6';
  start: string;
  /** null: for good. */
  end: string | null;
  /** Seconds; -1: for good. */
  bantime: number;
  failures: number;
  count: number;
  rule: string | null;
}

export interface UnbanEvent {
  event: 'unban';
  jail: string;
  ip: string;
  family: 'inet4' | 'inet6';
  time: string;
  reason: string;
}

export type WebhookEvent = BanEvent | UnbanEvent;

function address(id: string): { ip: string; family: 'inet4' | 'inet6' } {
  const c = typeof id === 'string' && id.length <= 64 ? tryParseCidr(id) : null;
  if (c === null) throw webhookErrors.F2B_ERR_WEBHOOK_VALUE(String(id));
  const full = c.prefix === c.bytes.length * 8;
  return { ip: full ? c.text.slice(0, c.text.lastIndexOf('/')) : c.text, family: c.version === 4 ? 'inet4' : 'inet6' };
}

export function banEvent(b: Ban): BanEvent {
  return {
    event: 'ban',
    jail: b.jail,
    ...address(b.id),
    start: new Date(b.start).toISOString(),
    end: b.end === null ? null : new Date(b.end).toISOString(),
    bantime: b.end === null ? -1 : Math.max(0, Math.round((b.end - b.start) / 1000)),
    failures: b.failures,
    count: b.count,
    rule: b.rule ?? null,
  };
}

export function unbanEvent(u: Unban): UnbanEvent {
  return { event: 'unban', jail: u.jail, ...address(u.id), time: new Date(u.time).toISOString(), reason: u.reason };
}

export const banKey = (b: Ban) => `ban\0${b.jail}\0${b.id}\0${b.start}\0${b.end}`;
export const unbanKey = (u: Unban) => `unban\0${u.jail}\0${u.id}\0${u.time}`;

/** One line for people: `[sshd] Ban 203.0.113.5 for 1h (5 failures, rule failed-password)`. */
export function eventLine(e: WebhookEvent): string {
  if (e.event === 'unban') return `[${e.jail}] Unban ${e.ip} (${e.reason})`;
  const span = e.bantime < 0 ? 'for good' : `for ${formatDuration(e.bantime)}`;
  return `[${e.jail}] Ban ${e.ip} ${span} (${e.failures} failure${e.failures === 1 ? '' : 's'}${e.rule ? `, rule ${e.rule}` : ''}${e.count > 1 ? `, ban #${e.count}` : ''})`;
}
