/**
 * `@f2b/action-cloudflare` end to end: the real `f2b` binary, loading the plugin by absolute path,
 * tails an nginx error log and bans at a fake Cloudflare (started in this process on loopback), with
 * the API token read from a file. Bans become access rules, `f2b unban` deletes one, a restart keeps
 * the edge bans without making them twice, a rule made by hand is never touched, and the token is
 * in no output.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FakeCloudflare } from '@f2b/action-cloudflare/testing';
import { F2B, ROOT, startF2b, tempDir, type RunningF2b, until } from './helpers.js';

const TOKEN = 'e2e-cf-token-7c1d9a0b3e5f';
const ZONE = '9a7806061c88ada191ed06f989cc3dac';
const SCOPE = `zones/${ZONE}`;
const PLUGIN = join(ROOT, 'packages/action-cloudflare/dist/index.js');
const run = promisify(execFile);

/** An nginx error-log line for a failed basic-auth password, stamped now (UTC). */
function authFailure(ip: string): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
  return `${stamp} [error] 1201#1201: *582 user "admin": password mismatch, client: ${ip}, server: shop.example, request: "GET /admin/ HTTP/1.1", host: "shop.example"\n`;
}

describe('f2b with the cloudflare action (fake Cloudflare)', () => {
  const tmp = tempDir('f2b-cf-e2e-');
  const log = join(tmp.dir, 'error.log');
  const cfgFile = join(tmp.dir, 'f2b.config.json');
  const fake = new FakeCloudflare({ tokens: [TOKEN] });
  const ours = () =>
    fake.accessRules
      .rules(SCOPE)
      .filter((r) => r.notes.startsWith('f2b:'))
      .map((r) => r.configuration.value)
      .sort();
  const outputs: string[] = [];
  let f2b: RunningF2b;

  beforeAll(async () => {
    const apiBase = await fake.start();
    fake.accessRules.add(SCOPE, { mode: 'whitelist', target: 'ip', value: '192.0.2.200', notes: 'office VPN' });
    writeFileSync(join(tmp.dir, 'cf-token'), `${TOKEN}\n`, { mode: 0o600 });
    writeFileSync(log, '');
    writeFileSync(
      cfgFile,
      JSON.stringify({
        state: { path: join(tmp.dir, 'f2b.db') },
        socket: join(tmp.dir, 'f2b.sock'),
        plugins: [PLUGIN],
        jails: {
          'nginx-http-auth': {
            source: { type: 'file', paths: [log], pollInterval: 50 },
            filter: 'nginx-http-auth',
            maxretry: 2,
            findtime: '10m',
            bantime: '1h',
            timezone: 'UTC',
            actions: [{ type: 'cloudflare', zoneId: ZONE, tokenFile: join(tmp.dir, 'cf-token'), apiBase, ruleMode: 'block' }],
          },
        },
      }),
    );
    f2b = startF2b(['start', '--foreground', '--config', cfgFile]);
    await f2b.waitFor(/Started 1 jail/, 'stderr', 20_000);
  }, 30_000);

  afterAll(async () => {
    await f2b?.stop();
    await fake.stop();
    tmp.cleanup();
  });

  it('bans IPv4 and IPv6 attackers at the edge', async () => {
    appendFileSync(log, authFailure('198.51.100.23') + authFailure('198.51.100.23'));
    appendFileSync(log, authFailure('2001:db8:77::5') + authFailure('2001:db8:77::5'));
    await until('two rules', () => ours().length === 2);
    expect(ours()).toEqual(['198.51.100.23', '2001:db8:77::5']);
    const rule = fake.accessRules.rules(SCOPE).find((r) => r.configuration.value === '2001:db8:77::5');
    expect(rule).toMatchObject({ mode: 'block', configuration: { target: 'ip6' } });
    // The note names the jail and the end of the ban (bantime 1h), so a restarted daemon can list it.
    const until_ = /^f2b: nginx-http-auth until (\S+)$/.exec(rule!.notes);
    expect(until_, rule!.notes).not.toBeNull();
    const end = Date.parse(until_![1]!);
    expect(Math.abs(end - (Date.now() + 3_600_000))).toBeLessThan(60_000);
  });

  it('f2b unban deletes the rule', async () => {
    const r = await run(process.execPath, [F2B, 'unban', '198.51.100.23', '--config', cfgFile], { cwd: ROOT });
    outputs.push(r.stdout, r.stderr);
    await until('the rule to go', () => ours().length === 1);
    expect(ours()).toEqual(['2001:db8:77::5']);
  });

  it('keeps the edge ban over a restart without making it twice, and never touches the hand-made rule', async () => {
    expect(await f2b.stop('SIGTERM')).toBe(0);
    outputs.push(f2b.stdout(), f2b.stderr());
    const posts = fake.count('POST');
    f2b = startF2b(['start', '--foreground', '--config', cfgFile]);
    await f2b.waitFor(/Started 1 jail/, 'stderr', 20_000);
    expect(f2b.stderr()).toMatch(/Restored 1 active ban/);
    expect(ours()).toEqual(['2001:db8:77::5']);
    expect(fake.count('POST')).toBe(posts);
    expect(fake.accessRules.rules(SCOPE).find((r) => r.configuration.value === '192.0.2.200')).toMatchObject({ mode: 'whitelist', notes: 'office VPN' });
    expect(fake.count('DELETE')).toBe(1);
  }, 30_000);

  it('never prints the token', () => {
    outputs.push(f2b.stdout(), f2b.stderr());
    expect(outputs.join('\n')).not.toContain(TOKEN);
  });
});
