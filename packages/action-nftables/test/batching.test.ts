/**
 * Batching and input safety, against a stand-in `nft` (a shell script that records its arguments and
 * stdin): runs anywhere, no root needed. The same behaviour against the real nft is in nftables.test.ts.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActionTester } from '@f2b/core/testing';
import nftablesAction from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'f2b-nft-fake-'));
const log = join(dir, 'calls.log');
const fake = join(dir, 'nft');
writeFileSync(
  fake,
  `#!/bin/sh
case " $* " in
  *" list "*) echo "Error: No such file or directory" >&2; exit 1 ;;
esac
{ echo "### $*"; cat; echo "###end"; } >> '${log}'
`,
);
chmodSync(fake, 0o755);

interface Call {
  args: string;
  script: string;
}
function calls(): Call[] {
  let text: string;
  try {
    text = readFileSync(log, 'utf8');
  } catch {
    return [];
  }
  return [...text.matchAll(/^### (.*)\n([\s\S]*?)###end\n/gm)].map((m) => ({ args: m[1]!, script: m[2]! }));
}
const elementCalls = () => calls().filter((c) => /element/.test(c.script));

function tester(options: Record<string, unknown> = {}) {
  return new ActionTester({
    plugin: nftablesAction(),
    type: 'nftables',
    jail: 'sshd',
    options: { nftPath: fake, checkInterval: 0, monitor: false, interactive: false, ...options },
  });
}

describe('batching (stand-in nft)', () => {
  beforeEach(() => rmSync(log, { force: true }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the structure in one transaction at start', async () => {
    const t = tester();
    await t.start();
    const c = calls();
    expect(c).toHaveLength(1);
    expect(c[0]!.args).toBe('-f -');
    expect(c[0]!.script).toMatch(/^add table inet f2b \{ comment "f2b: created by f2b/);
    expect(t.errors).toEqual([]);
  });

  it('sends 1000 bans as ONE nft process, not one per address', async () => {
    const t = tester();
    await t.start();
    const bans = [];
    for (let i = 0; i < 1000; i++) bans.push(t.ban(i < 500 ? `198.51.100.${i % 256}` : `2001:db8::${i.toString(16)}`));
    await t.instance.ban(bans);
    const c = elementCalls();
    expect(c).toHaveLength(1);
    const lines = c[0]!.script.trim().split('\n');
    expect(lines).toHaveLength(2); // one statement per set
    expect(lines[0]).toMatch(/^add element inet f2b f2b_sshd_v4 \{ 198\.51\.100\.0 timeout 600s, /);
    expect(lines[1]).toMatch(/^add element inet f2b f2b_sshd_v6 \{ 2001:db8::1f4 timeout 600s, /);
    expect(lines[1]!.split(', ')).toHaveLength(500);
    expect(t.errors).toEqual([]);
  });

  it('coalesces bans and unbans that arrive together into one transaction', async () => {
    const t = tester();
    await t.start();
    await t.applyBans('192.0.2.1', '192.0.2.2');
    rmSync(log, { force: true });
    await Promise.all([t.instance.ban([t.ban('192.0.2.3')]), t.instance.ban([t.ban('2001:db8::3')]), t.instance.unban([t.unban('192.0.2.1')])]);
    const c = elementCalls();
    expect(c).toHaveLength(1);
    expect(c[0]!.script.trim().split('\n')).toEqual([
      'add element inet f2b f2b_sshd_v4 { 192.0.2.1 }',
      'delete element inet f2b f2b_sshd_v4 { 192.0.2.1 }',
      'add element inet f2b f2b_sshd_v4 { 192.0.2.3 timeout 600s }',
      'add element inet f2b f2b_sshd_v6 { 2001:db8::3 timeout 600s }',
    ]);
  });

  it('never lets a ban id that is not an address reach nft, and reports it once', async () => {
    const t = tester();
    await t.start();
    const evil = ['192.0.2.9; flush ruleset', '192.0.2.9\nflush ruleset', '192.0.2.9 }', 'example.com'];
    await t.instance.ban([...evil, ...evil].map((id) => t.ban(id)).concat(t.ban('192.0.2.10')));
    const c = elementCalls();
    expect(c).toHaveLength(1);
    expect(c[0]!.script).toBe('add element inet f2b f2b_sshd_v4 { 192.0.2.10 timeout 600s }\n');
    for (const call of calls()) expect(call.script).not.toMatch(/flush ruleset|example|192\.0\.2\.9/);
    expect(t.errors.map((e) => (e as { code: string }).code)).toEqual(evil.map(() => 'F2B_ERR_NFT_ADDRESS'));
  });

  it('writes the remaining ban time as kernel timeout, none for permanent bans', async () => {
    const t = tester();
    await t.start();
    const now = Date.now();
    await t.instance.ban([
      { jail: 'sshd', id: '192.0.2.20', start: now - 550_000, end: now + 50_000, count: 1, failures: 3 },
      { jail: 'sshd', id: '192.0.2.21', start: now, end: null, count: 1, failures: 3 },
      { jail: 'sshd', id: '192.0.2.22', start: now - 600_000, end: now - 1, count: 1, failures: 3 },
    ]);
    expect(elementCalls()[0]!.script).toBe('add element inet f2b f2b_sshd_v4 { 192.0.2.20 timeout 50s, 192.0.2.21, 192.0.2.22 timeout 1s }\n');
  });

  it('re-banning refreshes the timeout with a guarded delete; unbanning twice sends nothing the second time', async () => {
    const t = tester();
    await t.start();
    await t.instance.ban([t.ban('192.0.2.30', { bantime: 60 })]);
    await t.instance.ban([t.ban('192.0.2.30', { bantime: 120 })]);
    await t.applyUnbans('192.0.2.30');
    await t.applyUnbans('192.0.2.30');
    expect(elementCalls().map((c) => c.script)).toEqual([
      'add element inet f2b f2b_sshd_v4 { 192.0.2.30 timeout 60s }\n',
      'add element inet f2b f2b_sshd_v4 { 192.0.2.30 }\ndelete element inet f2b f2b_sshd_v4 { 192.0.2.30 }\nadd element inet f2b f2b_sshd_v4 { 192.0.2.30 timeout 120s }\n',
      'add element inet f2b f2b_sshd_v4 { 192.0.2.30 }\ndelete element inet f2b f2b_sshd_v4 { 192.0.2.30 }\n',
    ]);
  });

  it('runs nft in a named namespace through `ip netns exec` (argument array)', async () => {
    const ipFake = join(dir, 'ip');
    writeFileSync(ipFake, `#!/bin/sh\n[ "$1 $2 $3" = "netns exec srv-test" ] || exit 9\nshift 3\nexec "$@"\n`);
    chmodSync(ipFake, 0o755);
    const t = tester({ netns: 'srv-test', ipPath: ipFake });
    await t.start();
    await t.applyBans('203.0.113.5');
    expect(elementCalls()).toHaveLength(1);
    expect(t.errors).toEqual([]);
  });
});
