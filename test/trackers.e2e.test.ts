/**
 * Trackers beyond findtime/maxretry through the real `f2b` daemon, on real log files:
 * - a jail with `@f2b/tracker-bucket` (found by its type) counts distinct sshd user names in a leaky
 *   bucket, and an `Accepted` login (sshd's success rule) forgives what was counted;
 * - a jail with range escalation bans a /24 once three of its addresses were banned, `f2b banned`
 *   shows the range ban covering another address with the bans that caused it, failures inside the
 *   range are not counted, and `f2b unban <cidr>` lifts it.
 * Dry run (the log action prints the bans); every wait is for a line the daemon prints.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { F2B, ROOT, sshdLine, startF2b, tempDir, type RunningF2b } from './helpers.js';

const re = (s: string) => new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [F2B, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('trackers and range bans in the daemon', () => {
  const tmp = tempDir('f2b-trackers-');
  const bucketLog = join(tmp.dir, 'bucket-auth.log');
  const rangeLog = join(tmp.dir, 'range-auth.log');
  const sock = join(tmp.dir, 'f2b.sock');
  const cfg = join(tmp.dir, 'f2b.config.json');
  const S = ['--socket', sock];
  let daemon: RunningF2b;
  let pid = 5000;
  const failed = (log: string, ip: string, user: string) =>
    appendFileSync(log, sshdLine(`Failed password for ${user} from ${ip} port ${40000 + pid} ssh2`, { pid: pid++ }));
  const accepted = (log: string, ip: string, user: string) =>
    appendFileSync(log, sshdLine(`Accepted password for ${user} from ${ip} port ${40000 + pid} ssh2`, { pid: pid++ }));

  beforeAll(async () => {
    writeFileSync(bucketLog, '');
    writeFileSync(rangeLog, '');
    writeFileSync(
      cfg,
      JSON.stringify({
        state: { path: join(tmp.dir, 'f2b.db') },
        socket: sock,
        jails: {
          'sshd-bucket': {
            source: { type: 'file', paths: [bucketLog], pollInterval: 50 },
            filter: 'sshd',
            bantime: '1h',
            tracker: { type: 'bucket', capacity: 2, leakspeed: '1h', distinct: 'user', cancelOn: ['accepted'] },
          },
          'sshd-range': {
            source: { type: 'file', paths: [rangeLog], pollInterval: 50 },
            filter: 'sshd',
            maxretry: 2,
            bantime: '1h',
            range: { ipv4: 24, ipv6: 64, distinct: 3, within: '1h', bantime: '1d' },
          },
        },
      }),
    );
    daemon = startF2b(['start', '--foreground', '--dry-run', '--config', cfg]);
    await daemon.waitFor(/Control socket listening/, 'stderr', 20_000);
  }, 30_000);

  afterAll(async () => {
    await daemon?.stop('SIGKILL');
    tmp.cleanup();
  });

  it('the bucket counts distinct users, a success forgives, the overflow bans', async () => {
    const A = '203.0.113.5';
    for (const user of ['root', 'root', 'root', 'admin']) failed(bucketLog, A, user); // 2 units: root once, admin
    accepted(bucketLog, A, 'admin'); // forgiven: 0
    for (const user of ['guest', 'test']) failed(bucketLog, A, user); // 2 units: full, not over
    // A second address overflows at its third user: once it is banned, every line above was read.
    for (const user of ['a', 'b', 'c']) failed(bucketLog, '203.0.113.6', user);
    await daemon.waitFor(re('[sshd-bucket] Ban 203.0.113.6 '));
    expect(daemon.stdout()).not.toMatch(re(`Ban ${A} `));
    const status = JSON.parse((await run(['status', 'sshd-bucket', '--json', ...S])).stdout) as { failing: { id: string; attempts: number }[] };
    expect(status.failing).toEqual([{ id: A, attempts: 2 }]);
    failed(bucketLog, A, 'oracle');
    await daemon.waitFor(re(`[sshd-bucket] Ban ${A} `));
    const banned = JSON.parse((await run(['banned', A, '--json', ...S])).stdout) as {
      bans: { jail: string; rule: string; failures: number; active: boolean }[];
    };
    expect(banned.bans[0]).toMatchObject({ jail: 'sshd-bucket', rule: 'failed', failures: 3, active: true });
  });

  it('three banned addresses of a /24 ban the range; f2b banned shows it with its causes; unban lifts it', async () => {
    for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
      failed(rangeLog, ip, 'root');
      failed(rangeLog, ip, 'root');
    }
    await daemon.waitFor(re('[sshd-range] Ban 198.51.100.0/24 '));
    const human = await run(['banned', '198.51.100.99', ...S]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('198.51.100.99 is banned in 1 jail: sshd-range.');
    expect(human.stdout).toMatch(/range: +198\.51\.100\.0\/24/);
    expect(human.stdout).toMatch(/rule: +range \(3 addresses banned; ban #1, 1d\)/);
    expect(human.stdout).toMatch(/caused by:\n +198\.51\.100\.1 banned \S+ \(failed\)\n +198\.51\.100\.2 banned/);
    const list = JSON.parse((await run(['banned', '--json', ...S])).stdout) as { jail: string; id: string; rule: string }[];
    // Sorted here: the range ban and the ban that caused it may start in the same millisecond.
    expect(
      list
        .filter((b) => b.jail === 'sshd-range')
        .map((b) => `${b.id} ${b.rule}`)
        .sort(),
    ).toEqual(['198.51.100.0/24 range', '198.51.100.1 failed', '198.51.100.2 failed', '198.51.100.3 failed']);
    // Inside the banned range nothing is counted: no ban of .50, however often it fails.
    for (let i = 0; i < 4; i++) failed(rangeLog, '198.51.100.50', 'root');
    failed(rangeLog, '203.0.113.70', 'root');
    failed(rangeLog, '203.0.113.70', 'root');
    await daemon.waitFor(re('[sshd-range] Ban 203.0.113.70 '));
    expect(daemon.stdout()).not.toMatch(/Ban 198\.51\.100\.50 /);

    const unban = await run(['unban', '198.51.100.0/24', ...S]);
    expect(unban.stdout).toContain('Unbanned 198.51.100.0/24 in sshd-range.');
    await daemon.waitFor(re('[sshd-range] Unban 198.51.100.0/24 (manual)'));
    failed(rangeLog, '198.51.100.50', 'root');
    failed(rangeLog, '198.51.100.50', 'root');
    await daemon.waitFor(re('[sshd-range] Ban 198.51.100.50 '));
  });
});
