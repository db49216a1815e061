/**
 * One lab as a vitest suite: start the daemon, run the episodes, then for every filter of every captured
 * log check the annotated capture line by line and the failure counts per address. With
 * F2B_LAB_WRITE=1 (`npm run lab -- <service>`) the annotated captures are written into the package's
 * fixtures (`test/fixtures/lab/<filter>.log`), where the package tests check them from then on.
 */
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { FilterDefinition } from '@f2b/core';
import { REPO, WRITE_CAPTURES, annotate, verdict, writeText, type CapturedLog, type Episode } from './ground-truth.js';

export interface RunningLab {
  episodes: Episode[];
  logs(): CapturedLog[];
  stop(): Promise<void>;
}

export interface ServiceLabSpec {
  service: string;
  /** The package directory (`packages/filter-apache`) the captures belong to. */
  pkg: string;
  /** `Apache/2.4.71 (Debian)`: written into the capture's header. */
  version(): string;
  unavailable(): string | null;
  start(): Promise<RunningLab>;
  filters: readonly FilterDefinition[];
  /** Mode per filter id, where not the default. */
  modes?: Record<string, string>;
  /** Wait after the episodes for the daemon to write its last lines (ms). */
  settleMs?: number;
}

interface Vitest {
  describe: (name: string, fn: () => void) => void;
  it: (name: string, fn: () => Promise<void> | void, timeout?: number) => void;
  expect: (v: unknown) => { toEqual(v: unknown): void; toBeGreaterThan(n: number): void };
  beforeAll: (fn: () => Promise<void>, timeout?: number) => void;
  afterAll: (fn: () => Promise<void>, timeout?: number) => void;
}

export function serviceLab(t: Vitest, spec: ServiceLabSpec): void {
  const why = spec.unavailable();
  t.describe(`${spec.service} lab (real daemon under scripted attack)`, () => {
    if (why) {
      t.it(`skipped: ${why}`, () => {
        console.log(`${spec.service} lab skipped: ${why}`);
      });
      return;
    }
    let lab: RunningLab | undefined;
    let logs: CapturedLog[] = [];
    const tmp = mkdtempSync(join(tmpdir(), `f2b-${spec.service}-capture-`));
    t.beforeAll(async () => {
      lab = await spec.start();
      // Episodes come from their own addresses, so they may run at once: attribution is by address.
      await Promise.all(lab.episodes.map((e) => e.run()));
      await new Promise((r) => setTimeout(r, spec.settleMs ?? 500));
      logs = lab.logs();
    }, 120_000);
    t.afterAll(async () => {
      await lab?.stop();
      rmSync(tmp, { recursive: true, force: true });
    }, 30_000);

    for (const def of spec.filters) {
      t.it(`${def.id}: every captured line right, every attacker counted as scripted, the innocent below maxretry`, () => {
        const mine = logs.filter((l) => l.filters.includes(def.id));
        t.expect(mine.length).toBeGreaterThan(0);
        for (const log of mine) {
          t.expect(log.lines.length).toBeGreaterThan(0);
          const header = [
            `Captured from ${spec.version()} under scripted attack by the f2b lab (npm run lab -- ${spec.service}), ${new Date().toISOString().slice(0, 10)}${log.name ? `: ${log.name}` : ''}.`,
            'Annotations come from the episode script (test/labs/), never from the filter.',
          ];
          let text = annotate(def.id, log, lab!.episodes, header);
          const mode = spec.modes?.[def.id];
          if (mode) text = text.replace(/^((?:#.*\n)*)/, `$1# filterOptions: [{"mode": "${mode}"}]\n`);
          const name = mine.length > 1 && log.name ? `${def.id}-${log.name.replace(/\.log$/, '')}.log` : `${def.id}.log`;
          const file = join(tmp, name);
          writeText(file, text);
          const v = verdict(def, file, log, lab!.episodes, mode);
          t.expect({ log: log.name, wrongLines: v.wrongLines, wrongCounts: v.wrongCounts }).toEqual({ log: log.name, wrongLines: [], wrongCounts: [] });
          if (WRITE_CAPTURES) writeText(join(REPO, spec.pkg, 'test', 'fixtures', 'lab', name), readFileSync(file, 'utf8'));
        }
      });
    }
  });
}
