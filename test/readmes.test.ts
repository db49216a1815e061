/**
 * The READMEs stay true where a machine can tell: the @f2b/cli README names every command the `f2b`
 * binary has, and every relative link of every README (the root's, docs/, each package's) points at
 * a file of the tree.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT } from './helpers.js';

const F2B = join(ROOT, 'packages', 'cli', 'bin', 'f2b.js');

/** The command names of a `--help` output's "Commands:" section. */
function commands(args: string[]): string[] {
  const r = spawnSync(process.execPath, [F2B, ...args, '--help'], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const section = r.stdout.split(/^Commands:$/m)[1] ?? '';
  return [...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
}

describe('@f2b/cli README', () => {
  const readme = readFileSync(join(ROOT, 'packages', 'cli', 'README.md'), 'utf8');

  it('names every command of f2b, and of f2b config', () => {
    const top = commands([]);
    expect(top.length).toBeGreaterThan(10);
    expect(top.filter((c) => !readme.includes(`f2b ${c}`))).toEqual([]);
    const config = commands(['config']);
    expect(config.length).toBeGreaterThan(0);
    expect(config.filter((c) => !readme.includes(`f2b config ${c}`))).toEqual([]);
  });
});

describe('README links', () => {
  const readmes = [
    join(ROOT, 'README.md'),
    join(ROOT, 'CONTRIBUTING.md'),
    ...readdirSync(join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => join(ROOT, 'docs', f)),
    ...readdirSync(join(ROOT, 'packages')).flatMap((d) => ['README.md', 'packaging/README.md'].map((f) => join(ROOT, 'packages', d, f))),
  ].filter((f) => existsSync(f));

  for (const file of readmes) {
    it(`${file.slice(ROOT.length + 1)}: relative links point at files of the tree`, () => {
      const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
      const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)]
        .map((m) => m[1]!)
        .filter((t) => !/^[a-z]+:/i.test(t) && !t.startsWith('#'))
        .map((t) => t.split('#')[0]!);
      expect(targets.filter((t) => !existsSync(join(dirname(file), t)))).toEqual([]);
    });
  }
});
