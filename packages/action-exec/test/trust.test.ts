/**
 * Root never runs code another user could write: as root, a program is refused when it, or any
 * directory above it, is owned by another user or writable by group or others (a sticky directory
 * like /tmp excepted); symbolic links are followed to the file that would really run.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, chownSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ActionTester } from '@f2b/core/testing';
import execAction, { checkProgram } from '../src/index.js';
import { scratch, type Scratch } from './helpers.js';

const isRoot = typeof process.geteuid === 'function' && process.geteuid() === 0;
if (!isRoot) console.warn('action-exec trust.test: skipped — the ownership checks apply only when f2b runs as root, and this test is not root');

let s: Scratch;
beforeEach(() => {
  s = scratch();
});
afterEach(() => {
  s.cleanup();
});

const create = (prog: string) => new ActionTester({ plugin: execAction(), type: 'exec', options: { ban: [prog, '{ip}'] } });
const refusal = (prog: string) => {
  try {
    create(prog);
    return 'accepted';
  } catch (e) {
    return `${(e as { code: string }).code}: ${(e as Error).message}`;
  }
};

describe.skipIf(!isRoot)('@f2b/action-exec as root: who could have written the program', () => {
  it('runs a root-owned program in root-owned directories (a sticky /tmp above is fine)', async () => {
    const prog = s.script('ok', `echo "$1" > '${s.path('out')}'`);
    const t = create(prog);
    await t.applyBans('192.0.2.90');
    expect(s.read('out')).toBe('192.0.2.90\n');
  });

  it('refuses a program owned by another user, or writable by group or others', () => {
    const other = s.script('other', 'exit 0');
    chownSync(other, 65534, 65534);
    expect(refusal(other)).toMatch(/^F2B_ERR_EXEC_PROGRAM: .*other is owned by uid 65534, and f2b runs as root/);
    const groupWritable = s.script('gw', 'exit 0');
    chmodSync(groupWritable, 0o775);
    expect(refusal(groupWritable)).toMatch(/gw is writable by its group \(mode 0775\)/);
    const worldWritable = s.script('ww', 'exit 0');
    chmodSync(worldWritable, 0o757);
    expect(refusal(worldWritable)).toMatch(/ww is writable by others \(mode 0757\)/);
  });

  it('refuses a program in a directory another user could change, even behind a symbolic link', () => {
    const open = join(s.dir, 'open');
    mkdirSync(open, { mode: 0o777 });
    chmodSync(open, 0o777);
    const prog = s.script('open/tool', 'exit 0');
    expect(refusal(prog)).toMatch(/open is writable by its group and others \(mode 0777\)/);
    const link = join(s.dir, 'tool-link');
    symlinkSync(prog, link);
    expect(refusal(link)).toMatch(/open is writable/);
    const theirs = join(s.dir, 'theirs');
    mkdirSync(theirs, { mode: 0o755 });
    chownSync(theirs, 65534, 65534);
    expect(refusal(s.script('theirs/tool', 'exit 0'))).toMatch(/theirs is owned by uid 65534/);
  });

  it('checks again before every run: a program changed after load is refused then', async () => {
    const prog = s.script('later', 'exit 0');
    const t = create(prog);
    chownSync(prog, 65534, 65534);
    await expect(t.applyBans('192.0.2.91')).rejects.toMatchObject({ code: 'F2B_ERR_EXEC_PROGRAM' });
  });
});

describe('@f2b/action-exec for a user other than root', () => {
  it('does not ask who owns the program (only root is protected from other users)', () => {
    const prog = s.script('mine', 'exit 0');
    if (isRoot) chownSync(prog, 65534, 65534);
    expect(checkProgram(prog, 1000)).toMatchObject({ ok: true });
    expect(checkProgram(s.path('missing'), 1000)).toMatchObject({ ok: false });
  });
});
