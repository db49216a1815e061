/**
 * What a mail says: its subject and its plain-text body, for one batch of events or a digest.
 *
 * Header safety: the subject is built only from the jail's name (checked by the config), the
 * address (parsed and re-printed by f2b's IP code), counts and the host name — never from a log
 * line, a rule name or anything a log could choose — and `headerText` removes whatever is not
 * printable before it goes in (nodemailer then encodes it). Log lines go into the body only, with
 * their control characters escaped, so a line cannot end the body or forge a part of the mail.
 */
import { escapeControls, formatDuration, tryParseCidr } from '@f2b/kit';
import type { Ban, Unban } from '@f2b/core';
import type { MailConfig } from './options.js';
import { localNotes } from './whois.js';

export type MailEventRecord = { type: 'ban'; ban: Ban } | { type: 'unban'; unban: Unban };

export interface Composed {
  subject: string;
  text: string;
}

/** A ban id as it may appear in a subject: the canonical address or network, or a neutral word. */
export function headerId(id: string): string {
  const net = tryParseCidr(id);
  if (net === null) return '(not an address)';
  return net.prefix === (net.version === 4 ? 32 : 128) ? net.text.slice(0, net.text.lastIndexOf('/')) : net.text;
}

/** Text for a header: printable characters only, one line, at most `max` characters. */
export function headerText(text: string, max = 200): string {
  const t = [...text]
    .filter((c) => {
      const code = c.codePointAt(0)!;
      return code >= 0x20 && code !== 0x7f && !(code >= 0x80 && code < 0xa0) && code !== 0x2028 && code !== 0x2029;
    })
    .join('')
    .replace(/ {2,}/g, ' ')
    .trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Bans described in full in one mail; beyond, one line each. */
const MAX_DETAILED = 50;

function banBlock(cfg: MailConfig, b: Ban): string[] {
  const until = b.end === null ? 'never (permanent ban)' : `${iso(b.end)} (${formatDuration(Math.max(0, Math.round((b.end - b.start) / 1000)))})`;
  const out = [
    `Address:   ${escapeControls(b.id)}`,
    `Jail:      ${escapeControls(b.jail)}`,
    `Banned at: ${iso(b.start)}`,
    `Until:     ${until}`,
    `Failures:  ${b.failures}; ban #${b.count}${b.rule ? `; rule ${escapeControls(b.rule)}` : ''}`,
  ];
  const lines = (b.lines ?? []).slice(-cfg.maxLines);
  if (cfg.lines && lines.length > 0) {
    out.push(
      '',
      `Log lines that led to the ban (control characters escaped${(b.lines?.length ?? 0) > lines.length ? `; the last ${lines.length} of ${b.lines!.length}` : ''}):`,
    );
    for (const l of lines) out.push(`  | ${escapeControls(l)}`);
  }
  if (cfg.whois === 'local') {
    out.push('', 'Local notes (from this host only; no network lookup):');
    for (const l of localNotes(b.id, b.count)) out.push(`  ${l}`);
  }
  return out;
}

function unbanLine(u: Unban): string {
  return `Unbanned ${escapeControls(u.id)} in ${escapeControls(u.jail)} at ${iso(u.time)} (${u.reason})`;
}

function summaryLine(e: MailEventRecord): string {
  if (e.type === 'unban') return `${iso(e.unban.time)}  unban  ${escapeControls(e.unban.id)}  (${e.unban.reason})`;
  const b = e.ban;
  return `${iso(b.start)}  ban    ${escapeControls(b.id)}  until ${b.end === null ? 'never' : iso(b.end)}  (failures ${b.failures}, ban #${b.count})`;
}

function footer(cfg: MailConfig): string[] {
  return ['', '-- ', `f2b on ${cfg.host}`];
}

/** The mail for events that arrived together (one call of the jail): one ban in full, several as a list with their details. */
export function composeEvents(cfg: MailConfig, jail: string, events: readonly MailEventRecord[]): Composed {
  const bans = events.filter((e): e is Extract<MailEventRecord, { type: 'ban' }> => e.type === 'ban');
  const unbans = events.filter((e): e is Extract<MailEventRecord, { type: 'unban' }> => e.type === 'unban');
  const prefix = cfg.subjectPrefix === '' ? '' : `${cfg.subjectPrefix} `;
  let what: string;
  if (events.length === 1) what = bans.length === 1 ? `banned ${headerId(bans[0]!.ban.id)}` : `unbanned ${headerId(unbans[0]!.unban.id)}`;
  else what = [bans.length > 0 ? `${bans.length} bans` : '', unbans.length > 0 ? `${unbans.length} unbans` : ''].filter(Boolean).join(', ');
  const subject = headerText(`${prefix}${jail}: ${what} on ${cfg.host}`);
  const body: string[] = [];
  if (bans.length > 0) {
    body.push(
      bans.length === 1
        ? `f2b banned ${escapeControls(bans[0]!.ban.id)} in the jail ${escapeControls(jail)}.`
        : `f2b banned ${bans.length} addresses in the jail ${escapeControls(jail)}.`,
      '',
    );
    // A flood (hundreds of bans in one call) stays a readable mail: the first ones in full, the rest one line each.
    bans.slice(0, MAX_DETAILED).forEach((e, i) => {
      if (i > 0) body.push('', '');
      body.push(...banBlock(cfg, e.ban));
    });
    if (bans.length > MAX_DETAILED) {
      body.push('', '', `The other ${bans.length - MAX_DETAILED} bans:`);
      for (const e of bans.slice(MAX_DETAILED)) body.push(summaryLine(e));
    }
  }
  if (unbans.length > 0) {
    if (body.length > 0) body.push('', '');
    for (const e of unbans) body.push(unbanLine(e.unban));
  }
  return { subject, text: [...body, ...footer(cfg)].join('\n') + '\n' };
}

/** The digest of a period: counts in the subject, one line per event, then each ban in full (at most `maxDetailed`). */
export function composeDigest(
  cfg: MailConfig,
  jail: string,
  events: readonly MailEventRecord[],
  since: number,
  until: number,
  dropped = 0,
  maxDetailed = MAX_DETAILED,
): Composed {
  const bans = events.filter((e): e is Extract<MailEventRecord, { type: 'ban' }> => e.type === 'ban');
  const unbans = events.length - bans.length;
  const prefix = cfg.subjectPrefix === '' ? '' : `${cfg.subjectPrefix} `;
  const subject = headerText(
    `${prefix}${jail} digest: ${bans.length + (dropped > 0 ? dropped : 0)} bans${unbans > 0 ? `, ${unbans} unbans` : ''} on ${cfg.host}`,
  );
  const body = [`f2b, jail ${escapeControls(jail)}, from ${iso(since)} to ${iso(until)}:`, ''];
  for (const e of events) body.push(summaryLine(e));
  if (dropped > 0) body.push(`… and ${dropped} more events not listed (the digest keeps at most ${events.length}).`);
  const detailed = bans.slice(0, maxDetailed);
  if (detailed.length > 0) {
    body.push('', '', `Details of ${detailed.length === bans.length ? 'the bans' : `the first ${detailed.length} bans`}:`);
    for (const e of detailed) body.push('', ...banBlock(cfg, e.ban));
  }
  return { subject, text: [...body, ...footer(cfg)].join('\n') + '\n' };
}
