/**
 * SIGPROF, like every signal whose default is to end a process, stops the daemon cleanly with a
 * message — except under a sampling profiler (`node --cpu-prof`), whose sampler sends it SIGPROF
 * many times a second: there the daemon must not listen for it, or it stops at the first sample.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { appendFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sshdLine, startF2b, tempDir } from './helpers.js';

const tmp = tempDir('f2b-sigprof-');
afterAll(() => tmp.cleanup());

function setup(name: string) {
  const log = join(tmp.dir, `${name}.log`);
  writeFileSync(log, '');
  const cfg = join(tmp.dir, `${name}.json`);
  writeFileSync(
    cfg,
    JSON.stringify({
      state: { path: join(tmp.dir, `${name}.db`) },
      socket: false,
      jails: { sshd: { source: log, filter: 'sshd', maxretry: 2, ignoreself: false } },
    }),
  );
  return { log, cfg };
}

describe('SIGPROF', () => {
  it('under node --cpu-prof the daemon keeps running, bans, and writes its profile when stopped', async () => {
    const { log, cfg } = setup('profiled');
    const profiles = join(tmp.dir, 'profiles');
    const daemon = startF2b(['start', '--foreground', '--dry-run', '--config', cfg], { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profiles] });
    await daemon.waitFor(/Started 1 jail/, 'stderr', 20_000);
    for (let i = 0; i < 2; i++) appendFileSync(log, sshdLine('Failed password for root from 192.0.2.77 port 40000 ssh2', { pid: 9000 + i }));
    // Seconds of sampling (a sample every millisecond or so) while it reads and bans.
    await daemon.waitFor(/\[sshd\] Ban 192\.0\.2\.77/, 'stderr', 20_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(daemon.child.exitCode).toBeNull();
    expect(await daemon.stop()).toBe(0);
    expect(daemon.stderr()).not.toContain('Received SIGPROF');
    expect(daemon.stderr()).toContain('Received SIGTERM: stopping.');
    expect(readdirSync(profiles).filter((f) => f.endsWith('.cpuprofile'))).toHaveLength(1);
  }, 60_000);

  it('without a profiler, SIGPROF stops the daemon cleanly and says so', async () => {
    const { cfg } = setup('plain');
    const daemon = startF2b(['start', '--foreground', '--dry-run', '--config', cfg]);
    await daemon.waitFor(/Started 1 jail/, 'stderr', 20_000);
    expect(await daemon.stop('SIGPROF')).toBe(0);
    expect(daemon.stderr()).toContain('Received SIGPROF: stopping.');
  }, 60_000);
});
