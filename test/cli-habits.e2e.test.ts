/**
 * Messages that help someone coming from fail2ban, through the real `f2b`: "did you mean" with no
 * `npm i` of a package nobody publishes, fail2ban-regex's argument order, file errors with the path,
 * a quiet end on a closed pipe, and `f2b start -c jail.local` pointing at the importer.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { F2B, f2b, tempDir } from './helpers.js';

const tmp = tempDir('f2b-habits-');
afterAll(() => tmp.cleanup());
const log = join(tmp.dir, 'auth.log');
writeFileSync(
  log,
  Array.from({ length: 3000 }, (_, i) => `2026-01-01T00:00:00+00:00 h sshd[${i}]: Failed password for root from 203.0.113.${i % 50} port 22 ssh2\n`).join(''),
);

describe('f2b for fail2ban hands', () => {
  it('suggests the close filter id and names no package to install that nobody publishes', () => {
    const r = f2b(['test-filter', 'shd', log]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Did you mean "sshd"?');
    expect(r.stderr).not.toContain('npm i');
    expect(r.stderr).toContain('npm search keywords:f2b-filter');
  });

  it('points fail2ban action names at the nftables action', () => {
    const cfg = join(tmp.dir, 'f2b.config.yaml');
    writeFileSync(cfg, `state: { type: memory }\nsocket: false\njails:\n  sshd:\n    source: ${log}\n    actions: [iptables-multiport]\n`);
    const r = f2b(['config', 'check', '-c', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('fail2ban\'s "iptables-multiport" is f2b\'s nftables action');
    expect(r.stderr).not.toContain('npm i @f2b/action-iptables-multiport');
  });

  it("reads fail2ban-regex's order (LOG FILTER), and says so", () => {
    const r = f2b(['test-filter', log, 'sshd']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      `f2b: note: reading "${log}" as the log and "sshd" as the filter id (fail2ban-regex's order); f2b's order is: f2b test-filter sshd ${log}`,
    );
    expect(r.stdout).toMatch(/^Lines: 3000 read, 3000 matched, 0 missed$/m);
    expect(r.stdout).toMatch(/^Addresses: 50, 50 with at least maxretry 5 attempts/m);
  });

  it('reports missing files and directories with the path, exit 2, no stack', () => {
    const missing = join(tmp.dir, 'missing.log');
    const r = f2b(['test-filter', 'sshd', missing]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `f2b: F2B_ERR_FILE: ${missing}: The file "${missing}" does not exist.\n  Fix: Check the path (relative paths start from the current directory).\n`,
    );
    const d = f2b(['test-filter', 'sshd', tmp.dir]);
    expect(d.stderr).toContain(`"${tmp.dir}" is a directory, not a file.`);
    const mode = f2b(['test-filter', 'sshd', log, '--mode', 'agressive']);
    expect(mode.stderr).toContain('F2B_ERR_MODE_UNKNOWN: --mode: The filter "sshd" has no mode "agressive".');
  });

  it('ends quietly when the reader of its output goes away (| head)', () => {
    const r = spawnSync('sh', ['-c', '"$0" "$1" test-filter sshd "$2" --json | head -1', process.execPath, F2B, log], { encoding: 'utf8' });
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.stderr).toBe('');
  });

  it('refuses jail.local as a config and names the importer', () => {
    const dir = join(tmp.dir, 'fail2ban');
    mkdirSync(dir);
    writeFileSync(join(dir, 'jail.local'), '[sshd]\nenabled = true\n');
    const r = f2b(['start', '-c', join(dir, 'jail.local'), '--foreground']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`F2B_ERR_CONFIG_FORMAT: ${join(dir, 'jail.local')}: The config file "${join(dir, 'jail.local')}" is fail2ban's configuration`);
    expect(r.stderr).toContain(`f2b import fail2ban ${dir} --write /etc/f2b/f2b.config.yaml`);
  });
});
