/**
 * The private file large element scripts are written to for nft -i to include: only under a temp
 * directory nobody else can replace entries of, never into a directory someone else made at its path.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ScriptFiles } from '../src/script-files.js';

const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});
function base(mode: number): string {
  const d = mkdtempSync(join(tmpdir(), 'f2b-sf-'));
  chmodSync(d, mode);
  made.push(d);
  return d;
}

describe('ScriptFiles', () => {
  it('writes the script to a 0700 directory of its own, overwritten by the next, removed at the end', () => {
    const files = new ScriptFiles(() => base(0o755));
    const file = files.write('add element inet t s { 192.0.2.1 }\n')!;
    expect(file).toMatch(/\/f2b-nft-[A-Za-z0-9]+\/elements\.nft$/);
    expect(lstatSync(dirname(file)).mode & 0o777).toBe(0o700);
    expect(lstatSync(file).mode & 0o777).toBe(0o600);
    expect(files.write('add element inet t s { 192.0.2.3 }\n')).toBe(file);
    expect(readFileSync(file, 'utf8')).toBe('add element inet t s { 192.0.2.3 }\n');
    files.remove();
    expect(() => lstatSync(dirname(file))).toThrow();
  });

  it('takes a sticky world-writable temp directory (/tmp), not a world-writable one without the sticky bit', () => {
    expect(new ScriptFiles(() => base(0o1777)).ready()).toBe(true);
    const open = new ScriptFiles(() => base(0o777));
    expect(open.ready()).toBe(false);
    expect(open.write('x\n')).toBeUndefined();
  });

  it('a path nft could read otherwise (a quote, a space) is not used', () => {
    const d = base(0o755);
    const odd = join(d, 'a "b');
    mkdirSync(odd);
    expect(new ScriptFiles(() => odd).ready()).toBe(false);
  });

  it('never writes into a directory someone else put at its path: it makes a new one', () => {
    const files = new ScriptFiles(() => base(0o755));
    const first = files.write('one\n')!;
    const dir = dirname(first);
    // A temp cleaner removed it and another directory of the same name appeared (mode 0755, another inode).
    renameSync(dir, `${dir}.old`);
    made.push(`${dir}.old`);
    mkdirSync(dir, { mode: 0o755 });
    made.push(dir);
    const second = files.write('two\n')!;
    expect(dirname(second)).not.toBe(dir);
    expect(readFileSync(second, 'utf8')).toBe('two\n');
    files.remove();
    expect(lstatSync(dir).isDirectory()).toBe(true); // not ours: left alone
  });
});
