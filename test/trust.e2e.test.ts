/**
 * Attack 1 of issue 12: a local user plants a plugin (`node_modules/f2b-filter-*` claiming `sshd`) or
 * a config (`f2b.config.mjs`, cosmiconfig's `.config/config.js`) where root's f2b looks, and root runs
 * f2b there. Nothing they own may be imported or read: every command skips it, says so on stderr, and
 * still works with what root owns. Needs root (to chown files to another uid).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { f2b, sshdLine, startF2b, tempDir } from './helpers.js';

const skip = process.getuid?.() !== 0 ? 'not root (the test gives files to another uid with chown)' : null;
if (skip) console.log(`skipping trust-boundary tests: ${skip}`);

/** A uid nobody on the machine uses (not the owner of this clone either). */
const EVIL = 61234;

describe.skipIf(skip !== null)('root loads code and config only from what root owns (issue 12, attack 1)', () => {
  const tmp = tempDir('f2b-trust-');
  afterAll(() => tmp.cleanup());
  const T = tmp.dir;
  const home = join(T, 'home/u');
  const marker = (name: string) => join(T, `marker-${name}`);
  const planted = (file: string, text: string, mode = 0o644) => {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    chmodSync(file, mode);
  };
  const plugin = (dir: string, name: string, ids: string[], markerName: string) => {
    planted(
      join(dir, name, 'package.json'),
      JSON.stringify({
        name,
        version: '1.0.0',
        type: 'module',
        main: 'index.js',
        keywords: ['f2b', 'f2b-plugin', 'f2b-filter'],
        peerDependencies: { '@f2b/core': '*' },
        f2b: { kind: 'filter', filters: ids },
      }),
    );
    planted(
      join(dir, name, 'index.js'),
      [
        "import { writeFileSync } from 'node:fs';",
        `writeFileSync(${JSON.stringify(marker(markerName))}, 'imported');`,
        'export default () => ({',
        `  meta: { name: ${JSON.stringify(name)}, version: '1.0.0', core: '*', kind: 'filter' },`,
        `  apply(core) { for (const id of ${JSON.stringify(ids)}) core.registerFilter({ id, rules: [{ id: 'x', pattern: '^.* from <HOST>$' }] }); },`,
        '});',
      ].join('\n'),
    );
  };
  const chownTree = (dir: string) => {
    for (const p of ['', ...readdirSync(dir, { recursive: true, encoding: 'utf8' })]) chownSync(join(dir, p), EVIL, EVIL);
  };

  // What root owns: a config two levels above the user's directory, and a plugin for "goodapp".
  planted(
    join(T, 'f2b.config.yaml'),
    [
      'state: { type: memory }',
      `socket: ${join(T, 'f2b.sock')}`,
      'jails:',
      `  sshd: { source: ${join(T, 'auth.log')}, filter: sshd, actions: [log], maxretry: 2 }`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(T, 'auth.log'), '');
  plugin(join(T, 'etc/node_modules'), 'f2b-filter-good', ['goodapp'], 'good');
  planted(join(T, 'etc/good.yaml'), `state: { type: memory }\nsocket: false\njails:\n  app: { source: ${join(T, 'auth.log')}, filter: goodapp }\n`);
  // The attacker's: next to the config (T/node_modules), and in their home directory.
  plugin(join(T, 'node_modules'), 'f2b-filter-evil', ['sshd', 'evil'], 'plugin');
  chownTree(join(T, 'node_modules'));
  plugin(join(home, 'node_modules'), 'f2b-filter-evil2', ['sshd', 'evil'], 'plugin2');
  // …and one with the name test-filter looks for first (it reads only the package an id names by convention).
  plugin(join(home, 'node_modules'), '@f2b/filter-sshd', ['sshd'], 'plugin3');
  planted(
    join(home, 'f2b.config.mjs'),
    `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker('config'))}, 'x');\nexport default { jails: {} };\n`,
  );
  // cosmiconfig's "meta config", which its explorer loads from the current directory.
  planted(join(home, '.config/config.js'), `require('node:fs').writeFileSync(${JSON.stringify(marker('meta'))}, 'x');\nmodule.exports = {};\n`);
  planted(join(home, 'evil.yaml'), 'defaults: { maxretry: 1 }\n');
  chownTree(home);
  // Root's file, but in a directory everyone may write to; and a root config extending the user's file.
  planted(join(T, 'open/f2b.config.yaml'), 'state: { type: memory }\nsocket: false\njails: {}\n');
  chmodSync(join(T, 'open'), 0o777);
  planted(join(T, 'etc/extends.yaml'), `extends: ${join(home, 'evil.yaml')}\nstate: { type: memory }\nsocket: false\njails: {}\n`);

  const nothingImported = () => {
    for (const m of ['plugin', 'plugin2', 'plugin3', 'config', 'meta']) expect(existsSync(marker(m)), `marker-${m}`).toBe(false);
  };
  const skippedPlugin = new RegExp(
    `^f2b: not loading ${esc(join(T, 'node_modules/f2b-filter-evil'))}: ${esc(join(T, 'node_modules'))} is owned by uid ${EVIL} `,
    'm',
  );
  const skippedHomePlugin = new RegExp(`^f2b: not loading ${esc(join(home, 'node_modules/f2b-filter-evil2'))}: ${esc(home)} is owned by uid ${EVIL} `, 'm');
  const skippedNamedPlugin = new RegExp(`^f2b: not loading ${esc(join(home, 'node_modules/@f2b/filter-sshd'))}: ${esc(home)} is owned by uid ${EVIL} `, 'm');
  const skippedConfig = new RegExp(`^f2b: not loading ${esc(join(home, 'f2b.config.mjs'))}: ${esc(home)} is owned by uid ${EVIL} `, 'm');

  it('f2b filters and f2b plugins list only root-owned plugins, and say what they skipped', () => {
    const filters = f2b(['filters'], { cwd: home });
    expect(filters.code).toBe(0);
    expect(filters.stdout).toMatch(/^sshd\s+@f2b\/filter-sshd/m);
    expect(filters.stdout).not.toContain('f2b-filter-evil');
    expect(filters.stderr).toMatch(skippedPlugin);
    expect(filters.stderr).toMatch(skippedHomePlugin);
    const plugins = f2b(['plugins', '--json'], { cwd: home });
    expect(plugins.code).toBe(0);
    const names = (JSON.parse(plugins.stdout) as { plugins: { name: string }[] }).plugins.map((p) => p.name);
    expect(names).toContain('@f2b/filter-sshd');
    expect(names.filter((n) => n.startsWith('f2b-filter-evil'))).toEqual([]);
    expect(plugins.stderr).toMatch(skippedPlugin);
    nothingImported();
  });

  it("f2b test-filter sshd uses f2b's own sshd filter, not the planted one", () => {
    const r = f2b(['test-filter', 'sshd', '-', '--json'], { cwd: home, input: sshdLine('Failed password for root from 192.0.2.7 port 22 ssh2') });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n')[0]!)).toMatchObject({ match: true, id: '192.0.2.7', rule: expect.stringMatching(/^failed/) });
    expect(r.stderr).toMatch(skippedNamedPlugin);
    nothingImported();
  });

  it("f2b config print / check pass over the user's config and find root's", () => {
    const print = f2b(['config', 'print'], { cwd: home });
    expect(print.code).toBe(0);
    expect(print.stdout).toContain(`# f2b config: ${join(T, 'f2b.config.yaml')}`);
    expect(print.stderr).toMatch(skippedConfig);
    const check = f2b(['config', 'check'], { cwd: home });
    expect(check.stderr).toMatch(skippedConfig);
    expect(check.stderr).toMatch(skippedPlugin);
    expect(check.code).toBe(0);
    nothingImported();
  });

  it("f2b start without -c runs root's config with f2b's own sshd filter", async () => {
    const d = startF2b(['start', '--foreground'], { cwd: home });
    try {
      await d.waitFor(/Started 1 jail\(s\): sshd/, 'stderr', 20_000);
      expect(d.stderr()).toMatch(skippedConfig);
      expect(d.stderr()).toMatch(skippedPlugin);
      nothingImported();
    } finally {
      expect(await d.stop()).toBe(0);
    }
  });

  it('a named config (start -c, config check -c) or an "extends" outside the boundary is an error, exit 2', () => {
    const start = f2b(['start', '--foreground', '-c', join(home, 'f2b.config.mjs')], { cwd: T, timeoutMs: 30_000 });
    expect(start.code).toBe(2);
    expect(start.stderr).toContain(
      `F2B_ERR_CONFIG_UNTRUSTED: ${join(home, 'f2b.config.mjs')}: The config file "${join(home, 'f2b.config.mjs')}" is not loaded: ${home} is owned by uid ${EVIL}`,
    );
    const open = f2b(['config', 'check', '-c', join(T, 'open/f2b.config.yaml')], { cwd: T });
    expect(open.code).toBe(2);
    expect(open.stderr).toContain(`F2B_ERR_CONFIG_UNTRUSTED`);
    expect(open.stderr).toContain(`${join(T, 'open')} is writable by its group and others (mode 0777)`);
    const ext = f2b(['config', 'check', '-c', join(T, 'etc/extends.yaml')], { cwd: T });
    expect(ext.code).toBe(2);
    expect(ext.stderr).toContain(
      `F2B_ERR_CONFIG_UNTRUSTED: ${join(T, 'etc/extends.yaml')}: extends: The config file "${join(home, 'evil.yaml')}" is not loaded`,
    );
    nothingImported();
  });

  it('a plugin that root owns, in root-owned directories, still loads', () => {
    const r = f2b(['config', 'check', '-c', join(T, 'etc/good.yaml')], { cwd: T });
    expect(r.stderr).not.toContain('F2B_ERR');
    expect(r.code).toBe(0);
    expect(existsSync(marker('good'))).toBe(true);
  });
});

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe.skipIf(skip !== null)('the control socket cannot be impersonated (issue 12, attack 5)', () => {
  it('another uid owns the parent (0777) and plants its own socket: the client refuses, the daemon will not listen there', async () => {
    const { createServer } = await import('node:net');
    const tmp = tempDir('f2b-sock-');
    const parent = join(tmp.dir, 'run');
    const sock = join(parent, 'f2b', 'f2b.sock');
    mkdirSync(dirname(sock), { recursive: true });
    let connections = 0;
    const impostor = createServer((c) => {
      connections++;
      c.end('{"v":1,"id":1,"ok":true,"result":{"unbanned":[]}}\n');
    });
    await new Promise<void>((r) => impostor.listen(sock, () => r()));
    try {
      for (const p of [parent, dirname(sock), sock]) chownSync(p, EVIL, EVIL);
      chmodSync(parent, 0o777);
      const r = f2b(['unban', '--all', '--socket', sock], { timeoutMs: 30_000 });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`F2B_ERR_CONTROL_UNTRUSTED: Refusing to talk to the control socket "${sock}": ${parent} is owned by uid ${EVIL}`);
      expect(connections).toBe(0);
      // The daemon refuses to create its socket below such a directory.
      writeFileSync(join(tmp.dir, 'c.yaml'), 'state: { type: memory }\njails: {}\n');
      const start = f2b(['start', '--foreground', '-c', join(tmp.dir, 'c.yaml'), '--socket', join(parent, 'mine', 'f2b.sock')], { timeoutMs: 30_000 });
      expect(start.code).not.toBe(0);
      expect(start.stderr).toContain(`F2B_ERR_CONTROL_SOCKET`);
      expect(start.stderr).toContain(`${parent} is owned by uid ${EVIL}`);
    } finally {
      impostor.close();
      tmp.cleanup();
    }
  });
});
