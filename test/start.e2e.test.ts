/**
 * `f2b start` end to end: the real binary tails a real temp log; attack lines appended to it end in a
 * ban decision (dry run, printed by action "log") — and innocent cases do not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sshdLine, startF2b, tempDir, type RunningF2b } from './helpers.js';

const ATTACKER = '192.0.2.10';
const IGNORED = '198.51.100.20';
const SLOW = '192.0.2.30';
const OLD = '192.0.2.40';
const INJECTED = '203.0.113.50';
const INJECTOR = '192.0.2.60';
const CONTROL = '192.0.2.99';
const V6 = '2001:db8::66';

describe('f2b start (dry run) on a temp log', () => {
  const tmp = tempDir();
  const log = join(tmp.dir, 'auth.log');
  let f2b: RunningF2b;
  let pid = 1000;
  const failures = (ip: string, n: number, user = 'root', time?: Date) => {
    for (let i = 0; i < n; i++) {
      appendFileSync(log, sshdLine(`Failed password for ${user} from ${ip} port ${40000 + i} ssh2`, { pid: pid++, time }));
    }
  };

  beforeAll(async () => {
    writeFileSync(log, sshdLine(`Failed password for root from ${ATTACKER} port 1 ssh2`)); // before start: not counted
    writeFileSync(
      join(tmp.dir, 'f2b.config.json'),
      JSON.stringify({
        state: { path: join(tmp.dir, 'f2b.db') },
        socket: join(tmp.dir, 'f2b.sock'),
        jails: {
          sshd: {
            source: { type: 'file', paths: [log], pollInterval: 50 },
            filter: 'sshd',
            maxretry: 3,
            findtime: '10m',
            bantime: '1h',
            ignoreip: [`${IGNORED}/32`],
          },
        },
      }),
    );
    f2b = startF2b(['start', '--foreground', '--dry-run', '--config', join(tmp.dir, 'f2b.config.json')]);
    await f2b.waitFor(/Started 1 jail/, 'stderr', 20_000);
  });

  afterAll(async () => {
    await f2b?.stop();
    tmp.cleanup();
  });

  it('bans an attacker after maxretry failed attempts', async () => {
    failures(ATTACKER, 2);
    failures(ATTACKER, 1);
    const m = await f2b.waitFor(new RegExp(`\\[sshd\\] Ban ${ATTACKER.replace(/\./g, '\\.')} until (\\S+)`));
    const until = Date.parse(m[1]!);
    expect(until - Date.now()).toBeGreaterThan(3500_000); // bantime 1h
    expect(until - Date.now()).toBeLessThanOrEqual(3600_000);
  });

  it('bans an IPv6 attacker (normalised address)', async () => {
    failures('2001:DB8:0:0:0:0:0:66', 3);
    await f2b.waitFor(new RegExp(`\\[sshd\\] Ban ${V6} `));
  });

  it('never bans ignoreip, below maxretry, outside findtime, or an address injected in a user name', async () => {
    failures(IGNORED, 5);
    failures(SLOW, 2);
    failures(OLD, 5, 'root', new Date(Date.now() - 20 * 60_000));
    failures(INJECTOR, 3, `x from ${INJECTED} port 22 ssh2`);
    failures('127.0.0.1', 5);
    // A control attacker appended last: once its ban shows, every line before it has been processed.
    failures(CONTROL, 3);
    await f2b.waitFor(new RegExp(`\\[sshd\\] Ban ${CONTROL.replace(/\./g, '\\.')} `));
    const out = f2b.stdout();
    expect(out).toContain(`Ban ${INJECTOR} `);
    for (const ip of [IGNORED, SLOW, OLD, INJECTED, '127.0.0.1']) expect(out).not.toContain(`Ban ${ip} `);
  });

  it('counts the one attempt of an invalid user once, not twice', async () => {
    const ip = '192.0.2.77';
    // OpenSSH 9.2 (Debian 12) logs both lines for one attempt; two attempts stay below maxretry 3.
    for (let i = 0; i < 2; i++) {
      const p = pid++;
      appendFileSync(log, sshdLine(`Invalid user admin from ${ip} port ${50000 + i}`, { pid: p }));
      appendFileSync(log, sshdLine(`Failed password for invalid user admin from ${ip} port ${50000 + i} ssh2`, { pid: p }));
    }
    failures('192.0.2.98', 3);
    await f2b.waitFor(/Ban 192\.0\.2\.98 /);
    expect(f2b.stdout()).not.toContain(`Ban ${ip} `);
  });

  it('reloads the config on SIGHUP, keeping existing bans', async () => {
    const cfgFile = join(tmp.dir, 'f2b.config.json');
    const cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
    cfg.jails.sshd.maxretry = 2;
    writeFileSync(cfgFile, JSON.stringify(cfg));
    f2b.child.kill('SIGHUP');
    await f2b.waitFor(/Reloaded: 1 jail/, 'stderr');
    failures('192.0.2.88', 2);
    await f2b.waitFor(/Ban 192\.0\.2\.88 /);
    // The attacker banned before the reload is still banned: no new ban line, no unban line.
    expect(f2b.stdout().match(new RegExp(`Ban ${ATTACKER.replace(/\./g, '\\.')} `, 'g'))).toHaveLength(1);
    expect(f2b.stdout()).not.toContain(`Unban ${ATTACKER}`);
  });

  it('stops cleanly on SIGTERM', async () => {
    expect(await f2b.stop('SIGTERM')).toBe(0);
  });
});

describe('f2b start with a bad config', () => {
  it('exits 2 and names the file and the key path', async () => {
    const tmp = tempDir();
    try {
      const cfg = join(tmp.dir, 'f2b.config.json');
      writeFileSync(cfg, JSON.stringify({ jails: { sshd: { source: '/var/log/auth.log', maxretry: 0 } } }));
      const run = startF2b(['start', '--foreground', '--config', cfg]);
      expect(await run.stop('SIGCONT')).toBe(2);
      expect(run.stderr()).toContain('F2B_ERR_CONFIG_INVALID');
      expect(run.stderr()).toContain('jails.sshd.maxretry');
      expect(run.stderr()).toContain(cfg);
    } finally {
      tmp.cleanup();
    }
  });
});
