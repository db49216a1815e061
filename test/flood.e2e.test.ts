/**
 * A flood of distinct failing sources against the real daemon: it tracks at most `maxTracked`, says
 * how many it forgot, `f2b status` stays short (counts and the first addresses), and
 * `f2b status <jail> --all` pages through every address.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sshdLine, startF2b, tempDir, type RunningF2b, runF2b } from './helpers.js';

const run = (args: string[]) => runF2b(args);

const SOURCES = 3000;
const MAX = 2000;
const ip = (i: number) => `2001:db8:f::${i.toString(16)}`;

describe('a flood of failing sources', () => {
  const tmp = tempDir('f2b-flood-');
  const log = join(tmp.dir, 'auth.log');
  const sock = join(tmp.dir, 'f2b.sock');
  const cfg = join(tmp.dir, 'f2b.config.json');
  let daemon: RunningF2b;

  beforeAll(async () => {
    writeFileSync(
      log,
      Array.from({ length: SOURCES }, (_, i) => sshdLine(`Failed password for root from ${ip(i)} port ${40000 + (i % 20000)} ssh2`, { pid: 10_000 + i })).join(
        '',
      ),
    );
    writeFileSync(
      cfg,
      JSON.stringify({
        state: { path: join(tmp.dir, 'f2b.db') },
        socket: sock,
        jails: {
          sshd: { source: { type: 'file', paths: [log], fromStart: true, pollInterval: 50 }, filter: 'sshd', maxretry: 5, findtime: '1h', maxTracked: MAX },
        },
      }),
    );
    daemon = startF2b(['start', '--foreground', '--dry-run', '--config', cfg]);
    await daemon.waitFor(/Control socket listening/, 'stderr', 20_000);
    await daemon.waitFor(/tracks 2000 sources \(maxTracked\)/, 'stderr', 20_000);
    for (let i = 0; i < 100; i++) {
      const r = await run(['status', 'sshd', '--json', '--socket', sock]);
      if (r.code === 0 && JSON.parse(r.stdout).lines >= SOURCES) break;
      await new Promise((res) => setTimeout(res, 100));
    }
  }, 60_000);

  afterAll(async () => {
    await daemon?.stop('SIGKILL');
    tmp.cleanup();
  });

  it('tracks at most maxTracked sources and counts the ones it forgot', async () => {
    const r = await run(['status', 'sshd', '--json', '--socket', sock]);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ currentlyFailed: MAX, evicted: SOURCES - MAX, maxTracked: MAX, more: { failing: MAX - 100 } });
    expect(s.failing).toHaveLength(100);
    expect(r.stdout.length).toBeLessThan(20_000);
  });

  it('f2b status <jail> shows the first addresses and how to see the rest', async () => {
    const r = await run(['status', 'sshd', '--socket', sock]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`… and ${MAX - 100} more (f2b status sshd --all)`);
    expect(r.stdout).toMatch(/Forgotten \(maxTracked\):? +1000 \(at most 2000 tracked\)/);
  });

  it('f2b status <jail> --all --json lists every tracked address, one JSON object a line', async () => {
    const r = await run(['status', 'sshd', '--all', '--json', '--socket', sock]);
    expect(r.code).toBe(0);
    const items = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { list: string; id: string; attempts?: number });
    const failing = items.filter((x) => x.list === 'failing');
    expect(failing).toHaveLength(MAX);
    expect(new Set(failing.map((x) => x.id)).size).toBe(MAX);
    // The sources that failed last are the ones kept.
    expect(failing.some((x) => x.id === ip(SOURCES - 1))).toBe(true);
    expect(failing.some((x) => x.id === ip(0))).toBe(false);
  });
});
