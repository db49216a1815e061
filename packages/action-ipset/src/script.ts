/**
 * The pure part of the ipset action: what goes into `ipset restore` scripts and iptables argument
 * lists, and how `ipset save` output reads back. No input reaches a script unparsed: addresses are
 * re-printed by f2b's IP code, names were checked by options.ts, comments hold only digits.
 */
import { tryParseCidr } from '@f2b/kit';
import type { ListedBan } from '@f2b/core';
import type { IpsetConfig, V } from './options.js';

/** The longest timeout ipset accepts (seconds, about 24.8 days: 2^31 ms). Longer bans get none. */
export const MAX_TIMEOUT_S = 2_147_483;

/** What a ban becomes in a set: the family and the text ipset gets (an address, or a network for hash:net). */
export interface Element {
  v: V;
  text: string;
}

/** Parses a ban id into the element of its set, or says why it cannot be one. */
export function elementOf(id: string, setType: IpsetConfig['setType']): Element | { error: string } {
  const net = tryParseCidr(id);
  if (net === null) return { error: 'is not an IP address or network' };
  const full = net.prefix === (net.version === 4 ? 32 : 128);
  if (full) return { v: net.version, text: net.text.slice(0, net.text.lastIndexOf('/')) };
  if (setType !== 'hash:net') return { error: 'is a network, which a hash:ip set cannot hold' };
  return { v: net.version, text: net.text };
}

/**
 * The kernel timeout of a ban ending at `end` (epoch ms; null = permanent): its remaining seconds,
 * rounded up; 0 (no timeout: f2b's own unban ends it) when permanent or longer than ipset accepts;
 * null when it has already ended.
 */
export function timeoutFor(end: number | null, now: number): number | null {
  if (end === null) return 0;
  const left = Math.ceil((end - now) / 1000);
  if (left <= 0) return null;
  return left > MAX_TIMEOUT_S ? 0 : left;
}

/** The comment that keeps a ban's end with its element, for recovery (`listBanned`). */
export function endComment(end: number | null): string {
  return end === null ? 'f2b end=never' : `f2b end=${Math.round(end)}`;
}

export function createLine(cfg: IpsetConfig, v: V): string {
  return `create ${cfg.sets[v]} ${cfg.setType} family ${v === 4 ? 'inet' : 'inet6'} maxelem ${cfg.maxelem} timeout 0 comment`;
}

export function addLine(set: string, text: string, timeout: number, end: number | null): string {
  return `add ${set} ${text} timeout ${timeout} comment "${endComment(end)}"`;
}

export function delLine(set: string, text: string): string {
  return `del ${set} ${text}`;
}

/** The argument lists of the jail's iptables rules for family `v` (one per protocol; one without ports). */
export function ruleSpecs(cfg: IpsetConfig, v: V): string[][] {
  const target = cfg.blocktype === 'drop' ? ['-j', 'DROP'] : ['-j', 'REJECT', '--reject-with', v === 4 ? 'icmp-port-unreachable' : 'icmp6-port-unreachable'];
  const base = ['-m', 'set', '--match-set', cfg.sets[v], 'src'];
  const comment = ['-m', 'comment', '--comment', `f2b ${cfg.name}`];
  const protos = cfg.protocols ?? [null];
  return protos.map((p) => [
    ...(p === null ? [] : ['-p', p]),
    ...base,
    ...(p !== null && cfg.dports !== null ? ['-m', 'multiport', '--dports', cfg.dports] : []),
    ...comment,
    ...target,
  ]);
}

/** One member of `ipset save`. */
export interface SavedMember {
  text: string;
  timeout?: number;
  comment?: string;
}

/** The header and members of one set in `ipset save SET` output. */
export interface SavedSet {
  header: string;
  members: SavedMember[];
}

/** Reads `ipset save` output: `create NAME TYPE …` then `add NAME ELEMENT [timeout N] [comment "…"]`. */
export function parseSave(text: string, set: string): SavedSet | null {
  let header: string | null = null;
  const members: SavedMember[] = [];
  for (const line of text.split('\n')) {
    const words = line.trim().split(' ');
    if (words[1] !== set) continue;
    if (words[0] === 'create') header = words.slice(2).join(' ');
    else if (words[0] === 'add' && words[2] !== undefined) {
      const m: SavedMember = { text: words[2] };
      const t = words.indexOf('timeout');
      if (t > 0 && /^[0-9]+$/.test(words[t + 1] ?? '')) m.timeout = Number(words[t + 1]);
      const c = line.indexOf(' comment "');
      if (c > 0) m.comment = line.slice(c + 10, line.lastIndexOf('"'));
      members.push(m);
    }
  }
  return header === null ? null : { header, members };
}

/** What a set's header must say for the jail's bans to work in it, or null when it does. */
export function headerProblem(cfg: IpsetConfig, v: V, header: string): string | null {
  const words = header.split(' ');
  const family = words[words.indexOf('family') + 1];
  const ok = words[0] === cfg.setType && family === (v === 4 ? 'inet' : 'inet6') && words.includes('timeout') && words.includes('comment');
  return ok ? null : `${words[0]} family ${family}${words.includes('timeout') ? '' : ' without timeout'}${words.includes('comment') ? '' : ' without comment'}`;
}

/**
 * The bans a set holds: the end from f2b's comment (exact), else from the remaining timeout; an
 * element without either (added by hand, or a timeout-0 element f2b did not write) is reported
 * without end, so the jail's bantime applies.
 */
export function listedBans(saved: SavedSet, now: number): ListedBan[] {
  const out: ListedBan[] = [];
  for (const m of saved.members) {
    const net = tryParseCidr(m.text);
    if (net === null) continue;
    const id = net.prefix === (net.version === 4 ? 32 : 128) ? net.text.slice(0, net.text.lastIndexOf('/')) : net.text;
    const c = m.comment?.startsWith('f2b end=') ? m.comment.slice(8) : undefined;
    if (c === 'never') out.push({ id, end: null });
    else if (c !== undefined && /^[0-9]{1,16}$/.test(c)) out.push({ id, end: Number(c) });
    else if (m.timeout !== undefined && m.timeout > 0) out.push({ id, end: now + m.timeout * 1000 });
    else out.push({ id });
  }
  return out;
}
