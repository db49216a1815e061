/**
 * Episode scripts for the mail labs: each episode drives a real client from one source address and
 * declares, per filter mode, how many attempts the daemon's log of it must count. The truth of a run
 * is the sum over its episodes — written down before the filter runs, never derived from it.
 */
import { join } from 'node:path';
import { run } from '../netns-lab.js';

export type ModeCounts = Record<string, number>;

export interface Episode {
  what: string;
  ns: string;
  from: string;
  /** Attempts per mode this episode must count for `from` (modes not named: 0). */
  counts: ModeCounts;
  drive(): Promise<unknown>;
}

const LINE_CLIENT = join(import.meta.dirname, 'line-client.mjs');

/** The scripted line client (line-client.mjs) from `ns`, source address `from`. */
export function talk(ns: string, host: string, port: number, from: string, steps: object[]) {
  return run('ip', ['netns', 'exec', ns, process.execPath, LINE_CLIENT, host, String(port), from, JSON.stringify(steps)], { timeoutMs: 40_000 });
}

/** swaks from `ns`, source address `from` (its exit code is the SMTP outcome, which episodes ignore). */
export function swaks(ns: string, server: string, port: number, from: string, args: string[]) {
  return run(
    'ip',
    ['netns', 'exec', ns, 'swaks', '--server', server, '--port', String(port), '--local-interface', from, '--timeout', '10', '--silent', '1', ...args],
    { timeoutMs: 20_000 },
  );
}

/** The truth of a run: per mode, per source, the sum of its episodes' counts. */
export function truthOf(episodes: Episode[], modes: string[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const mode of modes) {
    out[mode] = {};
    for (const e of episodes) {
      const n = e.counts[mode] ?? 0;
      if (n > 0) out[mode]![e.from] = (out[mode]![e.from] ?? 0) + n;
    }
  }
  return out;
}

/** Counts for a list of modes. */
export const inModes = (modes: string[], n = 1): ModeCounts => Object.fromEntries(modes.map((m) => [m, n]));
