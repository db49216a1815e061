/**
 * Issue 12 against the real daemon (`f2b start --foreground --dry-run`) and the real client: log text
 * with terminal controls is shown escaped by `f2b banned`/`status` (and exact with --json); lines cut
 * at maxLineLength are never counted (the decoy at the cut is not banned) but counted as overlong and
 * warned about; manual bans of loopback and ignoreip addresses are refused with F2B_ERR_BAN_REFUSED.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sshdLine, startF2b, tempDir, type RunningF2b, runF2b } from './helpers.js';

const ATTACKER = '192.0.2.66';
const USER = 'r\x1b]0;owned\x07o\u009b2J\u009d8;;x\u009c\x7fot';
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

const run = (args: string[]) => runF2b(args);

describe('hostile log text and hand-made bans against a running daemon', () => {
  const tmp = tempDir('f2b-hostile-');
  const log = join(tmp.dir, 'auth.log');
  const sock = join(tmp.dir, 'f2b.sock');
  const cfg = join(tmp.dir, 'f2b.config.json');
  const S = ['--socket', sock];
  let daemon: RunningF2b;

  beforeAll(async () => {
    writeFileSync(log, '');
    writeFileSync(
      cfg,
      JSON.stringify({
        state: { path: join(tmp.dir, 'f2b.db') },
        socket: sock,
        jails: {
          sshd: {
            source: { type: 'file', paths: [log], pollInterval: 50 },
            filter: 'sshd',
            maxretry: 3,
            findtime: '10m',
            bantime: '1h',
            ignoreip: ['192.0.2.0/28'],
          },
        },
      }),
    );
    daemon = startF2b(['start', '--foreground', '--dry-run', '--config', cfg]);
    await daemon.waitFor(/Control socket listening/, 'stderr', 20_000);
    // Three forged lines cut at 65,536 bytes right after a decoy address: none may count.
    const head = sshdLine('Failed password for invalid user ', { pid: 100 }).trimEnd();
    const decoy = ' from 198.51.100.203 port 22 ssh2';
    const forged = head + 'a'.repeat(65_536 - head.length - decoy.length) + decoy + ' from 203.0.113.9 port 22 ssh2\n';
    appendFileSync(log, forged.repeat(3));
    for (let i = 0; i < 3; i++) appendFileSync(log, sshdLine(`Failed password for ${USER} from ${ATTACKER} port ${41000 + i} ssh2`, { pid: 200 + i }));
    await daemon.waitFor(new RegExp(`\\[sshd\\] Ban ${ATTACKER.replace(/\./g, '\\.')} `));
  });

  afterAll(async () => {
    await daemon?.stop('SIGKILL');
    tmp.cleanup();
  });

  it('f2b banned <ip> shows the matched lines escaped; --json gives them exactly', async () => {
    const human = await run(['banned', ATTACKER, ...S]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('r\\x1b]0;owned\\x07o\\x9b2J\\x9d8;;x\\x9c\\x7fot');
    expect(RAW_CONTROL.test(human.stdout)).toBe(false);
    const json = await run(['banned', ATTACKER, '--json', ...S]);
    expect(RAW_CONTROL.test(json.stdout)).toBe(false);
    const lines = JSON.parse(json.stdout).bans[0].lines as string[];
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toContain(USER);
  });

  it('overlong lines: neither the decoy nor the real address counted; counted on the jail and warned about once', async () => {
    const decoy = JSON.parse((await run(['banned', '198.51.100.203', '--json', ...S])).stdout);
    expect(decoy.banned).toBe(false);
    const st = JSON.parse((await run(['status', 'sshd', '--json', ...S])).stdout);
    expect(st.overlongLines).toBe(3);
    expect(st.failing.map((f: { id: string }) => f.id)).not.toContain('203.0.113.9');
    expect(daemon.stderr().match(/dropped lines longer than the source's maxLineLength/g)).toHaveLength(1);
  });

  it('f2b ban of loopback or an ignoreip address is refused (F2B_ERR_BAN_REFUSED, exit 1)', async () => {
    for (const ip of ['127.0.0.1', '::1', '192.0.2.3']) {
      const r = await run(['ban', 'sshd', ip, ...S]);
      expect([ip, r.code]).toEqual([ip, 1]);
      expect(r.stderr).toContain('F2B_ERR_BAN_REFUSED');
      expect(r.stderr).toMatch(/Fix: /);
    }
    const list = JSON.parse((await run(['banned', '--json', ...S])).stdout) as { id: string }[];
    expect(list.map((b) => b.id)).toEqual([ATTACKER]);
    const ok = await run(['ban', 'sshd', '198.51.100.77', ...S]);
    expect(ok.code).toBe(0);
  });

  it("the daemon's own log carries no raw control character", () => {
    expect(RAW_CONTROL.test(daemon.stderr())).toBe(false);
  });
});
