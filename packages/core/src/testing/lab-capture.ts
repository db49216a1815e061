/**
 * Checks a log captured from a real daemon against the ground truth of the episode script that made
 * it (how many attempts each source made, which sources were innocent). Used by the real-daemon labs
 * (`npm run lab -- <service>`) and by filter packages to re-check their committed captures.
 */
import { EntryParser } from '../entry.js';
import { FilterRunner } from '../filter/engine.js';
import type { FilterDefinition } from '../filter/types.js';
import { normalizeIp } from '../ip.js';

export interface LabTruth {
  /** Filter id and the software that wrote the log, with its version. */
  filter: string;
  software: string;
  captured: string;
  /** `text` (a log file) or `journal`. */
  logtype: 'text' | 'journal';
  maxretry: number;
  innocent: string[];
  /** Per mode: attempts each source must count; sources not listed must count none. */
  expected: Record<string, Record<string, number>>;
}

/** Attempts per source that `def` in `mode` finds in `log` (time of reading for undated lines). */
export function countAttempts(def: FilterDefinition, mode: string, log: string, logtype: 'text' | 'journal' = 'text'): Record<string, number> {
  const now = Date.now();
  const parser = new EntryParser({ timezone: 'UTC', now: () => now, format: logtype === 'journal' ? 'journal-line' : 'text' });
  const runner = new FilterRunner(def, { mode });
  const counts: Record<string, number> = {};
  for (const line of log.split('\n')) {
    if (line === '') continue;
    for (const f of runner.process(parser.parse(Buffer.from(line, 'utf8'), 'lab'), now)) {
      const id = normalizeIp(f.id) ?? f.id;
      counts[id] = (counts[id] ?? 0) + f.attempts;
    }
  }
  for (const k of Object.keys(counts)) if (counts[k] === 0) delete counts[k];
  return counts;
}

/** Differences between what a filter counted and the truth, as readable lines (empty = right). */
export function compareWithTruth(def: FilterDefinition, log: string, truth: LabTruth): string[] {
  const problems: string[] = [];
  for (const [mode, expected] of Object.entries(truth.expected)) {
    const got = countAttempts(def, mode, log, truth.logtype);
    const wanted = Object.fromEntries(Object.entries(expected).filter(([, n]) => n > 0));
    for (const host of new Set([...Object.keys(got), ...Object.keys(wanted)])) {
      if ((got[host] ?? 0) !== (wanted[host] ?? 0)) problems.push(`${mode}: ${host} counted ${got[host] ?? 0}, the episodes made ${wanted[host] ?? 0}`);
    }
    for (const inn of truth.innocent) {
      if ((got[inn] ?? 0) >= truth.maxretry) problems.push(`${mode}: innocent ${inn} reached maxretry ${truth.maxretry} (${got[inn]})`);
    }
  }
  return problems;
}
