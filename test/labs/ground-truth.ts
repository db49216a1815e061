/**
 * Real daemons under scripted attack: the part every service lab shares.
 *
 * A lab runs episodes against a real server in a network-namespace lab (see ../netns-lab.ts). Each
 * episode comes from its own source address and says, per filter, how many failures it causes. The
 * captured log is then annotated from that script alone — every line from an episode's address (that
 * carries one of the episode's marks) is a failure for the filters the episode expects, and no line is
 * one for the others — and checked twice:
 * line by line (checkAnnotatedLog, as for any sample log) and per address (every attacker counted
 * exactly as the script says, the innocent never up to maxretry). The annotation never comes from the
 * filter under test, so a wrong filter fails the lab.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EntryParser, FilterRunner, normalizeIp, type FilterDefinition } from '@f2b/core';
import { checkAnnotatedLog } from '@f2b/core/testing';
import { run, type NetLab, type RunResult } from '../netns-lab.js';

export interface Episode {
  name: string;
  /** Namespace and source address the episode's clients use. */
  ns: 'att' | 'inn';
  from: string;
  /**
   * Failures expected per filter id (filters not named: none), or per `filter@log` where the daemons
   * write to several logs (`vsftpd@auth.log`: the PAM lines).
   */
  expect: Record<string, number>;
  /** The logs the `expect` counts are written to (default: every log its filters read). */
  logs?: string[];
  /**
   * The messages (literal text: Apache's `AH01617`, vsftpd's `FAIL LOGIN`) the episode makes the daemon
   * write that a filter counts, where the episode's requests also cause lines the filter does not
   * count (Apache's `AH00567` summary after the reason). Without marks every line from the address counts.
   */
  marks?: Record<string, string[]>;
  run(): Promise<void>;
}

/** The failures `episode` should cause for `filter` in the log named `log`. */
export function expected(episode: Episode, filter: string, log?: string): number {
  if (log !== undefined) {
    const specific = episode.expect[`${filter}@${log}`];
    if (specific !== undefined) return specific;
    if (episode.logs && !episode.logs.includes(log)) return 0;
  }
  return episode.expect[filter] ?? 0;
}

export interface CapturedLog {
  /** A name for the log (`error.log`), used by `filter@log` expectations and the fixture's file name. */
  name?: string;
  /** Which filters read this log (`apache-auth` reads the error log, `apache-badbots` the access log). */
  filters: string[];
  lines: string[];
  /** The client address of a line as the daemon wrote it (the lab's reading, not the filter's), or undefined. */
  sourceOf(line: string): string | undefined;
}

/** The annotated sample log of `filter` for one captured log. */
export function annotate(filter: string, log: CapturedLog, episodes: Episode[], header: string[]): string {
  const byAddress = new Map(episodes.map((e) => [normalizeIp(e.from) ?? e.from, e]));
  const out = header.map((h) => `# ${h}`);
  for (const line of log.lines) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const src = log.sourceOf(line);
    const episode = src === undefined ? undefined : byAddress.get(normalizeIp(src) ?? src);
    const marks = episode?.marks?.[filter];
    const counts = episode !== undefined && expected(episode, filter, log.name) > 0 && (marks === undefined || marks.some((m) => line.includes(m)));
    out.push(`# failJSON: ${JSON.stringify(counts ? { match: true, host: normalizeIp(episode!.from) } : { match: false })}`);
    out.push(line);
  }
  return `${out.join('\n')}\n`;
}

export interface LabVerdict {
  /** Annotated lines the filter got wrong. */
  wrongLines: string[];
  /** Addresses whose failure count differs from the script: `address filter: got N, expected M`. */
  wrongCounts: string[];
}

/** Check one filter on its annotated capture (a file) and count its failures per address. */
export function verdict(def: FilterDefinition, file: string, log: CapturedLog, episodes: Episode[], mode?: string): LabVerdict {
  const { lines } = log;
  const now = Date.now();
  const report = checkAnnotatedLog(def, file, { now, timezone: 'UTC', mode });
  const wrongLines = report.results.filter((r) => !r.ok).map((r) => `${r.lineNo}: ${r.problems.join('; ')}: ${r.text}`);
  const runner = new FilterRunner(def, { mode });
  const parser = new EntryParser({ timezone: 'UTC', now: () => now });
  const counted = new Map<string, number>();
  for (const line of lines) {
    for (const f of runner.process(parser.parse(Buffer.from(line, 'utf8'), 'lab'), now)) counted.set(f.id, (counted.get(f.id) ?? 0) + f.attempts);
  }
  const wrongCounts: string[] = [];
  const known = new Set<string>();
  for (const e of episodes) {
    const addr = normalizeIp(e.from) ?? e.from;
    known.add(addr);
    const got = counted.get(addr) ?? 0;
    const want = expected(e, def.id, log.name);
    if (got !== want) wrongCounts.push(`${addr} (${e.name}) ${def.id}${log.name ? ` in ${log.name}` : ''}: got ${got}, expected ${want}`);
  }
  for (const [addr, n] of counted) if (!known.has(addr)) wrongCounts.push(`${addr} (no episode) ${def.id}: got ${n}, expected 0`);
  return { wrongLines, wrongCounts };
}

/** Write `text` to `file`, creating its directory. */
export function writeText(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** Give the attacker namespace more addresses (one per episode). */
export async function addAddresses(net: NetLab, ns: string, addrs: string[]): Promise<void> {
  for (const a of addrs) {
    const r = await run('ip', ['-n', ns, 'addr', 'add', a.includes(':') ? `${a}/64` : `${a}/24`, 'dev', 'eth0', ...(a.includes(':') ? ['nodad'] : [])]);
    if (r.code !== 0) throw new Error(`ip addr add ${a} failed: ${r.stderr}`);
  }
}

const RAW = `
const net = require('net');
const [host, port, from, b64] = process.argv.slice(1);
const s = net.connect({ host, port: Number(port), localAddress: from }, () => s.write(Buffer.from(b64, 'base64')));
let n = 0;
s.on('data', (d) => { n += d.length; });
s.setTimeout(3000, () => s.destroy());
s.on('close', () => { process.stdout.write(String(n)); process.exit(0); });
s.on('error', () => process.exit(1));
`;

/** Send raw bytes over TCP from `from` in `ns` and wait until the server closes (or 3 s pass). */
export function rawSend(net: NetLab, ns: string, from: string, host: string, port: number, payload: Buffer): Promise<RunResult> {
  return net.runIn(ns, process.execPath, ['-e', RAW, host, String(port), from, payload.toString('base64')], { timeoutMs: 10_000 });
}

/** Whether the service's lab can write its captures into the package (`npm run lab -- <service>`). */
export const WRITE_CAPTURES = process.env.F2B_LAB_WRITE === '1';

/** The repository root (labs write captures under packages/…). */
export const REPO = join(dirname(new URL(import.meta.url).pathname), '..', '..');

/** Wait until `check` holds, polling every 50 ms, up to `ms`. */
export async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}
