/**
 * packages/cli/packaging/f2b.service (shipped in @f2b/cli): parsed and checked for the keys the daemon relies on (directories, reload,
 * restart policy, the hardening that still lets nft work), and verified with `systemd-analyze` when
 * this machine has it.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

const UNIT = join(ROOT, 'packages', 'cli', 'packaging', 'f2b.service');

/** A unit file as section → key → values (a key may repeat; continuation lines are joined). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | null = null;
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[([^\]]+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const kv = /^([A-Za-z0-9]+)\s*=\s*(.*)$/.exec(line);
    if (!kv || !current) throw new Error(`line ${i + 1} is not "Key=value" inside a section: ${raw}`);
    const values = current.get(kv[1]!) ?? [];
    values.push(kv[2]!);
    current.set(kv[1]!, values);
  }
  return sections;
}

const unit = parseUnit(readFileSync(UNIT, 'utf8'));
const get = (section: string, key: string): string | undefined => unit.get(section)?.get(key)?.at(-1);
const words = (section: string, key: string): string[] => (unit.get(section)?.get(key) ?? []).flatMap((v) => v.split(/\s+/).filter(Boolean));

const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
const hasAnalyze = analyze.status === 0;
if (!hasAnalyze) console.warn(`packaging.test: skipping systemd-analyze checks: ${analyze.error?.message ?? 'systemd-analyze not available'}`);

describe('@f2b/cli packaging/f2b.service', () => {
  it('has the three sections', () => {
    expect([...unit.keys()]).toEqual(['Unit', 'Service', 'Install']);
    expect(get('Unit', 'Description')).toBeTruthy();
    expect(get('Install', 'WantedBy')).toBe('multi-user.target');
  });

  it("documents itself with f2b's own pages (the packaging README first), not another program's", () => {
    const docs = words('Unit', 'Documentation');
    expect(docs[0]).toBe('https://github.com/f2b-project/f2b/blob/main/packages/cli/packaging/README.md');
    expect(docs.every((d) => d.startsWith('https://github.com/f2b-project/f2b'))).toBe(true);
  });

  it('runs f2b in the foreground, reloads with SIGHUP, restarts on failure but not on a bad config', () => {
    expect(get('Service', 'Type')).toBe('simple');
    expect(get('Service', 'ExecStart')).toMatch(/ f2b start --foreground$|f2b\.js start --foreground$/);
    expect(get('Service', 'ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    expect(get('Service', 'Restart')).toBe('on-failure');
    expect(get('Service', 'RestartPreventExitStatus')).toBe('2');
  });

  it('provides the default socket and state directories, 0700', () => {
    // Root's defaults (core defaultPaths): socket /run/f2b/f2b.sock, database /var/lib/f2b/f2b.db.
    expect(get('Service', 'RuntimeDirectory')).toBe('f2b');
    expect(get('Service', 'RuntimeDirectoryMode')).toBe('0700');
    expect(get('Service', 'StateDirectory')).toBe('f2b');
    expect(get('Service', 'StateDirectoryMode')).toBe('0700');
    expect(words('Service', 'ReadWritePaths').sort()).toEqual(['/run/f2b', '/var/lib/f2b']);
  });

  it('is hardened, keeping what nft and node need', () => {
    expect(words('Service', 'CapabilityBoundingSet').sort()).toEqual(['CAP_DAC_READ_SEARCH', 'CAP_NET_ADMIN', 'CAP_NET_RAW']);
    expect(get('Service', 'NoNewPrivileges')).toBe('yes');
    expect(get('Service', 'ProtectSystem')).toBe('strict');
    expect(get('Service', 'ProtectHome')).toBe('read-only');
    expect(get('Service', 'PrivateTmp')).toBe('yes');
    expect(get('Service', 'ProtectKernelModules')).toBe('yes');
    expect(get('Service', 'SystemCallArchitectures')).toBe('native');
    expect(get('Service', 'LockPersonality')).toBe('yes');
    // nft talks netlink; DNS and remote actions need IP; the control socket is AF_UNIX.
    expect(words('Service', 'RestrictAddressFamilies').sort()).toEqual(['AF_INET', 'AF_INET6', 'AF_NETLINK', 'AF_UNIX']);
    // V8 compiles code at run time: W^X memory would kill node.
    expect(get('Service', 'MemoryDenyWriteExecute')).toBeUndefined();
    // The firewall to change is the host's: no private network namespace.
    expect(get('Service', 'PrivateNetwork')).toBeUndefined();
    expect(get('Service', 'User')).toBeUndefined();
  });

  it.skipIf(!hasAnalyze)('passes systemd-analyze verify without warnings', () => {
    const r = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8' });
    const mine = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.includes('f2b.service'));
    expect(mine).toEqual([]);
    expect(r.status).toBe(0);
  });

  it.skipIf(!hasAnalyze)('has a low exposure score (systemd-analyze security --offline)', (ctx) => {
    const r = spawnSync('systemd-analyze', ['security', '--offline=yes', UNIT], { encoding: 'utf8' });
    const m = /Overall exposure level for f2b\.service: ([\d.]+)/.exec(r.stdout);
    if (!m) {
      console.warn(`packaging.test: skipping the exposure check: this systemd-analyze cannot score offline (${r.stderr.trim().split('\n')[0]})`);
      ctx.skip();
      return;
    }
    expect(Number(m[1])).toBeLessThanOrEqual(4);
  });
});
