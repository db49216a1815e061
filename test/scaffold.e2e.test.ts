/**
 * `@f2b/create-plugin` end to end, without a registry: scaffold a filter, an action and a source
 * plugin; install each with the workspace's @f2b/core linked (`--core file:<abs path>`, which `npm
 * install` links; the build and test tools come from the npm cache or registry); build; run the generated tests; then pack the
 * filter and install it into a user project, where `f2b filters` lists its id and
 * `f2b test-filter <id>` uses it; pack the action too and run it in `f2b start`, where its own error
 * is logged with its code and fix. (test/registry.e2e.test.ts does the same through a real registry.)
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from './helpers.js';

const CORE = join(ROOT, 'packages/core');
const CLI = join(ROOT, 'packages/cli');
const CREATE = join(ROOT, 'packages/create-plugin/bin/create-plugin.js');
const tmp = tempDir('f2b-scaffold-');
afterAll(() => tmp.cleanup());

const npmCheck = spawnSync('npm', ['--version'], { encoding: 'utf8' });
if (npmCheck.status !== 0) console.warn(`scaffold.e2e: skipping: npm is not available (${npmCheck.error?.message})`);

function run(cmd: string, args: string[], cwd: string, timeout = 180_000) {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    timeout,
    env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', NO_COLOR: '1' },
  });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}`, stdout: r.stdout };
}
function ok(r: { code: number | null; out: string }, what: string) {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}):\n${r.out.slice(-4000)}`);
}

describe.skipIf(npmCheck.status !== 0)('create-plugin → install → build → test → use', () => {
  it('scaffolds a filter that builds, passes its own tests, and works in a user project', { timeout: 300_000 }, () => {
    const work = join(tmp.dir, 'work');
    mkdirSync(work);
    const made = run(process.execPath, [CREATE, '--kind', 'filter', '--name', 'f2b-filter-myapp', '--yes', '--core', `file:${CORE}`], work);
    ok(made, 'create-plugin');
    expect(made.stdout).toContain('Created f2b-filter-myapp (filter "myapp")');
    const pkgDir = join(work, 'f2b-filter-myapp');
    expect(readdirSync(pkgDir).sort()).toEqual(['.gitignore', 'LICENSE', 'README.md', 'package.json', 'src', 'test', 'tsconfig.json']);

    // The manifest has the shape of f2b's own plugins (test/manifests.test.ts).
    const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({
      name: 'f2b-filter-myapp',
      type: 'module',
      license: 'MIT',
      engines: { node: '>=20.19' },
      files: ['dist', 'README.md', 'LICENSE'],
      peerDependencies: { '@f2b/core': '^0.2.0' },
      peerDependenciesMeta: { '@f2b/core': { optional: true } },
      f2b: { kind: 'filter', filters: ['myapp'], logs: { myapp: { default: ['/var/log/myapp.log'] } } },
    });
    expect(manifest.dependencies ?? {}).toEqual({}); // nothing at run time: types from the core only
    // The new contract: types only from @f2b/core, no meta in code, apply(api).
    const source = readFileSync(join(pkgDir, 'src/index.ts'), 'utf8');
    expect(source).toMatch(/^import type \{[^}]+\} from '@f2b\/core';$/m);
    expect(source).not.toMatch(/^import \{[^}]*\} from '@f2b\/core'/m);
    expect(source).not.toMatch(/meta:|createRequire/);
    expect(source).toContain('apply(api)');
    expect(Object.keys(manifest.exports['.'])[0]).toBe('types');
    expect(manifest.keywords).toEqual(expect.arrayContaining(['f2b', 'f2b-plugin', 'f2b-filter']));

    ok(run('npm', ['install', '--prefer-offline'], pkgDir), 'npm install');
    ok(run('npm', ['run', 'build'], pkgDir), 'npm run build');
    const test = run('npm', ['test'], pkgDir);
    ok(test, 'npm test');
    expect(test.out).toMatch(/Tests\s+3 passed/);
    // Installing the linked core changed nothing a user of the package sees.
    expect(JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).peerDependencies).toEqual({ '@f2b/core': '^0.2.0' });
    // What the build ships imports nothing of the core at run time.
    expect(readFileSync(join(pkgDir, 'dist/index.js'), 'utf8')).not.toMatch(/from '@f2b\/core'|import\('@f2b\/core'\)/);

    // Publishable: the tarball has the built code, types, README and LICENSE, and no sources or tests.
    const pack = run('npm', ['pack', '--json', '--pack-destination', work], pkgDir);
    ok(pack, 'npm pack');
    const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
    const files = info!.files.map((f) => f.path).sort();
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'dist/index.d.ts', 'dist/index.js', 'package.json']));
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);

    // A user project: f2b (linked from the workspace) and the packed plugin.
    const user = join(tmp.dir, 'user');
    mkdirSync(user);
    writeFileSync(join(user, 'package.json'), JSON.stringify({ name: 'user-project', private: true }));
    ok(run('npm', ['install', '--prefer-offline', '--legacy-peer-deps', CORE, CLI, join(work, info!.filename)], user), 'npm install in the user project');
    const f2b = (args: string[], input?: string) => {
      const r = spawnSync('npx', ['--no-install', 'f2b', ...args], { cwd: user, encoding: 'utf8', input, timeout: 60_000 });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    const filters = f2b(['filters', '--json']);
    expect(filters.code).toBe(0);
    expect(JSON.parse(filters.stdout)).toContainEqual(expect.objectContaining({ id: 'myapp', package: 'f2b-filter-myapp', modes: ['normal', 'aggressive'] }));
    const plugins = f2b(['plugins', '--json']);
    expect(JSON.parse(plugins.stdout).plugins).toContainEqual(
      expect.objectContaining({ name: 'f2b-filter-myapp', kind: 'filter', provides: ['myapp'], compatible: true }),
    );
    const log =
      [
        '2024-05-01T10:00:00+00:00 host myapp[1]: login failed for admin from 192.0.2.10',
        '2024-05-01T10:00:01+00:00 host myapp[1]: login ok for admin from 192.0.2.10',
      ].join('\n') + '\n';
    const tf = f2b(['test-filter', 'myapp', '-', '--json'], log);
    expect(tf.stderr).toBe('');
    expect(
      tf.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      expect.objectContaining({ line: 1, match: true, id: '192.0.2.10', rule: 'bad-password', captures: { user: 'admin' } }),
      { line: 2, match: false },
    ]);
    // The annotated sample ships in the package's repository, not in the tarball; check it with f2b too.
    const annotated = f2b([
      'test-filter',
      'myapp',
      join(pkgDir, 'test/fixtures/myapp.log'),
      '--annotated',
      '--now',
      '2024-12-31T12:00:00Z',
      '--timezone',
      'UTC',
    ]);
    expect(annotated.stdout).toContain('myapp: 7/7 annotated lines right');
    expect(annotated.code).toBe(0);
  });

  for (const kind of ['action', 'source'] as const) {
    it(`scaffolds a${kind === 'action' ? 'n' : ''} ${kind} that builds and passes its own tests`, { timeout: 360_000 }, async () => {
      const work = join(tmp.dir, kind);
      mkdirSync(work);
      ok(run(process.execPath, [CREATE, '--kind', kind, '--name', `@acme/f2b-${kind}-thing`, '--yes', '--core', `file:${CORE}`], work), 'create-plugin');
      const pkgDir = join(work, `f2b-${kind}-thing`);
      const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
      expect(manifest.f2b).toEqual({ kind, [`${kind}s`]: ['thing'] });
      ok(run('npm', ['install', '--prefer-offline'], pkgDir), 'npm install');
      ok(run('npm', ['run', 'build'], pkgDir), 'npm run build');
      const test = run('npm', ['test'], pkgDir);
      ok(test, 'npm test');
      expect(test.out).toMatch(/Tests\s+\d+ passed/);
      expect(readFileSync(join(pkgDir, 'dist/index.js'), 'utf8')).not.toMatch(/from '@f2b\/core'|import\('@f2b\/core'\)/);
      if (kind === 'action') await actionError(work, pkgDir);
    });
  }

  /**
   * The packed action in a user project with f2b: a ban it cannot write is logged with the action's
   * own code and fix (an F2bError made by the core's factory), not as an F2B_ERR_PLUGIN_HOOK bug.
   */
  function actionError(work: string, pkgDir: string) {
    const pack = run('npm', ['pack', '--json', '--pack-destination', work], pkgDir);
    ok(pack, 'npm pack');
    const [info] = JSON.parse(pack.stdout) as { filename: string }[];
    const user = join(work, 'user');
    mkdirSync(user);
    writeFileSync(join(user, 'package.json'), JSON.stringify({ name: 'user-project', private: true }));
    ok(run('npm', ['install', '--prefer-offline', '--legacy-peer-deps', CORE, CLI, join(work, info!.filename)], user), 'npm install in the user project');
    const log = join(user, 'auth.log');
    writeFileSync(log, '');
    const config = join(user, 'f2b.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        state: { type: 'memory' },
        socket: false,
        jails: {
          sshd: { source: log, filter: 'sshd', maxretry: 1, ignoreself: false, actions: [{ type: 'thing', path: join(user, 'missing-dir', 'bans.txt') }] },
        },
      }),
    );
    const child = spawn('npx', ['--no-install', 'f2b', 'start', '--foreground', '--config', config], { cwd: user, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const until = async (what: RegExp) => {
      for (let i = 0; i < 300 && !what.test(stderr); i++) await new Promise((r) => setTimeout(r, 100));
    };
    return (async () => {
      try {
        await until(/Started 1 jail/);
        expect(stderr).toMatch(/Started 1 jail/);
        appendFileSync(log, `${new Date().toISOString()} host sshd[7]: Failed password for root from 192.0.2.77 port 22 ssh2\n`);
        await until(/F2B_ERR_THING_WRITE/);
      } finally {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      const line = stderr.split('\n').find((l) => l.includes('F2B_ERR_THING_WRITE')) ?? '';
      expect(line).toContain('The bans cannot be written to');
      expect(line).toContain('fix="Create the directory, or give another \\"path\\", where f2b may write."');
      expect(stderr).not.toContain('F2B_ERR_PLUGIN_HOOK');
      expect(stderr).not.toContain('F2B_ERR_ACTION:');
    })();
  }

  it('refuses bad input with exit 2 and a fix', () => {
    const work = join(tmp.dir, 'bad');
    mkdirSync(work);
    const kind = run(process.execPath, [CREATE, '--kind', 'tracker', '--name', 'x', '--yes'], work);
    expect(kind.code).toBe(2);
    expect(kind.out).toContain('--kind must be one of filter, action, source');
    const name = run(process.execPath, [CREATE, '--kind', 'filter', '--name', 'Bad Name', '--yes'], work);
    expect(name.code).toBe(2);
    expect(name.out).toContain('not a valid npm package name');
    ok(run(process.execPath, [CREATE, '--kind', 'filter', '--name', 'f2b-filter-dup', '--yes'], work), 'first scaffold');
    const again = run(process.execPath, [CREATE, '--kind', 'filter', '--name', 'f2b-filter-dup', '--yes'], work);
    expect(again.code).toBe(2);
    expect(again.out).toContain('is not empty');
  });

  it('generates for the core and tools the workspace is built with', async () => {
    const { CORE_RANGE, TOOL_VERSIONS } = await import('../packages/create-plugin/src/templates.js');
    const semver = (await import('semver')).default;
    const core = JSON.parse(readFileSync(join(CORE, 'package.json'), 'utf8')).version;
    expect(semver.satisfies(core, CORE_RANGE)).toBe(true);
    const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).devDependencies;
    for (const [tool, range] of Object.entries(TOOL_VERSIONS)) {
      expect(semver.satisfies(semver.minVersion(root[tool])!.version, range), `${tool} ${root[tool]} vs ${range}`).toBe(true);
    }
  });
});
