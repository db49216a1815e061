import { describe, it, expect } from 'vitest';
import { createTestCore } from '@f2b/core/testing';
import sshd from '../src/index.js';

// Lines as sshd writes them "now" (the test clock), so that findtime applies to them.
function line(t: Date, pid: number, msg: string): string {
  const mon = t.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  return `${mon} ${String(t.getUTCDate()).padStart(2, ' ')} ${t.toISOString().slice(11, 19)} gw1 sshd[${pid}]: ${msg}`;
}

describe('sshd filter in a jail', () => {
  it('bans after maxretry attempts, not maxretry lines', async () => {
    const start = '2024-03-10T10:00:00Z';
    const t = await createTestCore({
      plugins: [sshd()],
      jail: { filter: { id: 'sshd', mode: 'normal' }, maxretry: 3, findtime: '10m', bantime: '1h', timezone: 'UTC' },
      start,
    });
    const ip = '203.0.113.5';
    // Each connection: Invalid user + PAM + Failed password for invalid user = ONE attempt (three lines).
    const connection = (n: number) => {
      const now = new Date(t.clock.now());
      t.push(
        line(now, 100 + n, `Invalid user u${n} from ${ip} port ${4000 + n}`),
        line(now, 100 + n, `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}`),
        line(now, 100 + n, `Failed password for invalid user u${n} from ${ip} port ${4000 + n} ssh2`),
        line(now, 100 + n, `Disconnected from invalid user u${n} ${ip} port ${4000 + n} [preauth]`),
      );
    };
    connection(1);
    t.clock.advance(1000);
    connection(2);
    await t.flush();
    expect(t.bans).toEqual([]);
    t.clock.advance(1000);
    connection(3);
    await t.flush();
    expect(t.bans.map((b) => b.id)).toEqual([ip]);
    await t.jail.stop();
  });
});
