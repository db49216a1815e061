/**
 * The pure part of the route action: ban ids as route destinations, the lines of `ip -batch`, the
 * failed lines `ip -force -batch` reports, and `ip -j route show` read back. Destinations are
 * re-printed by f2b's IP code and the table and protocol were checked by options.ts, so nothing
 * from a log reaches a batch line unparsed.
 */
import { tryParseCidr } from '@f2b/kit';
import type { RouteConfig } from './options.js';

export type V = 4 | 6;
/** A route destination: its family and canonical text (an address, or `network/prefix`). */
export interface Dst {
  v: V;
  text: string;
}

export function dstOf(id: string): Dst | null {
  const net = tryParseCidr(id);
  if (net === null) return null;
  const full = net.prefix === (net.version === 4 ? 32 : 128);
  return { v: net.version, text: full ? net.text.slice(0, net.text.lastIndexOf('/')) : net.text };
}

export function replaceLine(cfg: RouteConfig, dst: string): string {
  return `route replace ${cfg.blocktype} ${dst} table ${cfg.table} proto ${cfg.proto} metric ${cfg.metric}`;
}

/** Deletes f2b's route whatever its type (the protocol makes it f2b's). */
export function delLine(cfg: RouteConfig, dst: string): string {
  return `route del ${dst} table ${cfg.table} proto ${cfg.proto} metric ${cfg.metric}`;
}

/** `ip -force -batch` failures: the 1-based line and the message printed just before it. */
export function failedLines(stderr: string): { line: number; message: string }[] {
  const out: { line: number; message: string }[] = [];
  const lines = stderr.split('\n');
  let message: string[] = [];
  for (const l of lines) {
    const m = /^Command failed -:([0-9]+)$/.exec(l.trim());
    if (m) {
      out.push({ line: Number(m[1]), message: message.join(' ').trim() });
      message = [];
    } else if (l.trim() !== '') {
      message.push(l.trim());
    }
  }
  return out;
}

/** A failed delete of a route that is not there: nothing to do (at-least-once delivery repeats unbans). */
export const isAbsent = (message: string) => /No such process|No such file or directory|not found/i.test(message);

/** The destinations in `ip -j route show` output with this `metric` (the caller filtered by table and proto). */
export function parseRoutes(json: string, metric: number): Dst[] {
  const trimmed = json.trim();
  if (trimmed === '') return [];
  const list = JSON.parse(trimmed) as { dst?: unknown; metric?: unknown }[];
  const out: Dst[] = [];
  for (const r of Array.isArray(list) ? list : []) {
    if (typeof r.dst !== 'string' || (r.metric ?? 0) !== metric) continue;
    const d = dstOf(r.dst);
    if (d !== null) out.push(d);
  }
  return out;
}
