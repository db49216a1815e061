/**
 * findNamedProvider (test-filter's way to a filter without discovering every package) answers as
 * findProvider does over a whole discovery, or not at all: node_modules trees laid out in a temp dir,
 * with packages that claim the same ids under other names, a copy nearer than another, a package of
 * the conventional name that is no plugin.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverPlugins, findNamedProvider, findProvider, type ProviderKind } from '../src/resolve.js';

const base = mkdtempSync(join(tmpdir(), 'f2b-named-provider-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

function pkg(nm: string, name: string, manifest: Record<string, unknown>): void {
  mkdirSync(join(nm, name), { recursive: true });
  writeFileSync(join(nm, name, 'package.json'), JSON.stringify({ name, version: '1.0.0', ...manifest }));
}
const filterPkg = (filters: string[]) => ({ keywords: ['f2b-plugin'], f2b: { kind: 'filter', filters } });

const near = join(base, 'near/node_modules');
const far = join(base, 'far/node_modules');
// The conventional packages, one of them in both trees (the nearer one wins).
pkg(near, '@f2b/filter-sshd', filterPkg(['sshd']));
pkg(far, '@f2b/filter-sshd', filterPkg(['sshd', 'sshd-far']));
pkg(far, '@f2b/filter-nginx', filterPkg(['nginx-http-auth', 'nginx-limit-req']));
// Others claiming the same ids.
pkg(near, 'f2b-filter-rival', filterPkg(['sshd', 'nginx-http-auth', 'rival']));
pkg(far, 'aaa-rival', filterPkg(['sshd']));
// A conventional name that is no plugin, and one that does not declare its id.
pkg(near, '@f2b/filter-plain', { description: 'no f2b here' });
pkg(near, '@f2b/filter-quiet', filterPkg(['other']));
// An action, so a kind mismatch is tried too.
pkg(near, '@f2b/action-sshd', { keywords: ['f2b-plugin'], f2b: { kind: 'action', actions: ['sshd'] } });
for (let i = 0; i < 20; i++) pkg(near, `unrelated-${i}`, { description: `package ${i}` });

const dirs = [near, far];
const installed = discoverPlugins(dirs);

describe('findNamedProvider', () => {
  const cases: [string, ProviderKind][] = [
    ['sshd', 'filter'],
    ['sshd-far', 'filter'],
    ['nginx-http-auth', 'filter'],
    ['nginx-limit-req', 'filter'],
    ['rival', 'filter'],
    ['plain', 'filter'],
    ['quiet', 'filter'],
    ['missing', 'filter'],
    ['sshd', 'action'],
    ['@f2b/filter-sshd', 'filter'],
    ['./local', 'filter'],
  ];
  it.each(cases)('%s (%s): the package a whole discovery picks, or no answer', (ref, kind) => {
    const named = findNamedProvider(ref, kind, dirs);
    if (named !== null) expect(named.name).toBe(findProvider(ref, kind, installed));
  });

  it('answers for the ids conventional packages declare, with the nearest copy', () => {
    expect(findNamedProvider('sshd', 'filter', dirs)).toMatchObject({ name: '@f2b/filter-sshd', dir: join(near, '@f2b/filter-sshd') });
    expect(findNamedProvider('nginx-http-auth', 'filter', dirs)).toMatchObject({ name: '@f2b/filter-nginx', dir: join(far, '@f2b/filter-nginx') });
    expect(findNamedProvider('sshd', 'action', dirs)).toMatchObject({ name: '@f2b/action-sshd' });
    expect(findNamedProvider('rival', 'filter', dirs)).toMatchObject({ name: 'f2b-filter-rival' }); // f2b-<kind>-<id> is one too
  });

  it('leaves to discovery what no conventional package declares (its nearest copy decides)', () => {
    expect(findNamedProvider('sshd-far', 'filter', dirs)).toBeNull(); // the nearer copy does not declare it
    expect(findNamedProvider('plain', 'filter', dirs)).toBeNull();
    expect(findNamedProvider('quiet', 'filter', dirs)).toBeNull();
    expect(findNamedProvider('missing', 'filter', dirs)).toBeNull();
  });

  it('whole discovery prefers the conventional package over others claiming its id', () => {
    expect(findProvider('sshd', 'filter', installed)).toBe('@f2b/filter-sshd');
    expect(findProvider('nginx-http-auth', 'filter', installed)).toBe('@f2b/filter-nginx');
    expect(findProvider('rival', 'filter', installed)).toBe('f2b-filter-rival');
  });
});
