/**
 * `f2b systemd-unit`: the shipped unit with this installation's node and f2b by absolute path,
 * arguments quoted the way systemd reads them, verified by `systemd-analyze verify` when this machine
 * has it, and a warning whenever root would run a file another user could replace.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execArgument, unitFor, writableByOthers } from '../packages/cli/src/commands/systemd-unit.js';
import { F2B, ROOT, f2b, tempDir } from './helpers.js';

const SHIPPED = readFileSync(join(ROOT, 'packages/cli/packaging/f2b.service'), 'utf8');
const execStart = (unit: string) => unit.split('\n').filter((l) => l.startsWith('ExecStart='));
const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
if (analyze.status !== 0) console.warn(`systemd-unit.e2e: skipping systemd-analyze verify: ${analyze.error?.message ?? 'systemd-analyze not available'}`);

const temps: { cleanup(): void }[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) t.cleanup();
});

describe('f2b systemd-unit', () => {
  it('prints the shipped unit with node and f2b by absolute path, and --config made absolute', () => {
    const t = tempDir('f2b-unit-');
    temps.push(t);
    writeFileSync(join(t.dir, 'f2b.config.yaml'), 'jails: {}\n');
    const r = f2b(['systemd-unit', '-c', 'f2b.config.yaml'], { cwd: t.dir });
    expect(r.code).toBe(0);
    const node = realpathSync(process.execPath);
    const bin = realpathSync(F2B);
    const config = join(realpathSync(t.dir), 'f2b.config.yaml');
    expect(execStart(r.stdout)).toEqual([`ExecStart=${[node, bin, 'start', '--foreground', '--config', config].map(execArgument).join(' ')}`]);
    // Everything else is the shipped unit, unchanged.
    const others = (text: string) => text.split('\n').filter((l) => !l.startsWith('ExecStart=') && !l.startsWith('#'));
    expect(others(r.stdout)).toEqual(others(SHIPPED));
  });

  it('refuses a --config that does not exist, naming it', () => {
    const r = f2b(['systemd-unit', '-c', '/nonexistent/f2b.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('F2B_ERR_FILE');
    expect(r.stderr).toContain('/nonexistent/f2b.yaml');
    expect(r.stdout).toBe('');
  });

  it.skipIf(analyze.status !== 0)('gives a unit systemd-analyze verify accepts', () => {
    const t = tempDir('f2b-unit-');
    temps.push(t);
    const r = f2b(['systemd-unit']);
    const file = join(t.dir, 'f2b.service');
    writeFileSync(file, r.stdout);
    const v = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    expect(`${v.stdout}\n${v.stderr}`.split('\n').filter((l) => l.includes('f2b.service'))).toEqual([]);
    expect(v.status).toBe(0);
  });

  it('quotes arguments as systemd reads them: spaces, quotes, specifiers and variables', () => {
    expect(execArgument('/usr/bin/node')).toBe('/usr/bin/node');
    expect(execArgument('/opt/my node/bin/node')).toBe('"/opt/my node/bin/node"');
    expect(execArgument('/opt/100%/f2b')).toBe('"/opt/100%%/f2b"');
    expect(execArgument('/opt/$HOME/f2b')).toBe('"/opt/$$HOME/f2b"');
    expect(execArgument('/opt/a"b\\c')).toBe('"/opt/a\\"b\\\\c"');
    expect(() => execArgument('/opt/x\nExecStartPre=/bin/sh')).toThrow(/control character/);
    expect(execStart(unitFor(SHIPPED, ['/a b/node', '/f2b.js', 'start']))).toEqual(['ExecStart="/a b/node" /f2b.js start']);
  });

  it('warns when root would run a file another user could replace, and not for root-only paths', () => {
    const t = tempDir('f2b-unit-');
    temps.push(t);
    const open = join(t.dir, 'shared');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const file = join(open, 'node');
    writeFileSync(file, '');
    const warnings = writableByOthers([file]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(process.getuid?.() === 0 ? new RegExp(`^${open} is writable by every user`) : /is owned by uid \d+/);
    // /usr/bin/env on Debian: root's, in root's directories.
    const env = realpathSync('/usr/bin/env');
    if (writableByOthers(['/usr']).length === 0) expect(writableByOthers([env])).toEqual([]);
  });
});
