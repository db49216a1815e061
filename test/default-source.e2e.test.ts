/**
 * `jails: { app: {} }` with the real binary: the source comes from the log paths the filter package
 * declares in its manifest (`f2b.logs`) for the distribution of os-release (`F2B_OS_RELEASE`, which
 * exists for tests), and `config print` / `config check` say which one and why.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { f2b, tempDir } from './helpers.js';

const tmp = tempDir('f2b-default-source-');
afterAll(() => tmp.cleanup());
const T = tmp.dir;
const log = (name: string) => join(T, 'log', name);

// A filter package of a third party, declaring where its service logs per distribution.
const dir = join(T, 'node_modules', 'f2b-filter-app');
mkdirSync(dir, { recursive: true });
mkdirSync(join(T, 'log'));
writeFileSync(
  join(dir, 'package.json'),
  JSON.stringify({
    name: 'f2b-filter-app',
    version: '1.0.0',
    type: 'module',
    main: 'index.js',
    keywords: ['f2b', 'f2b-plugin', 'f2b-filter'],
    peerDependencies: { '@f2b/core': '*' },
    f2b: { kind: 'filter', filters: ['app'], logs: { app: { debian: [log('app.log')], rhel: [log('app-secure'), log('app.log')] } } },
  }),
);
writeFileSync(
  join(dir, 'index.js'),
  "export default () => ({ apply(api) { api.registerFilter({ id: 'app', rules: [{ id: 'fail', pattern: '^fail from <HOST>$' }] }); } });\n",
);
writeFileSync(join(T, 'f2b.config.yaml'), `jails:\n  app: {}\nstate: { type: memory }\nsocket: false\n`);
const osRelease = (name: string, text: string) => {
  writeFileSync(join(T, name), text);
  return { F2B_OS_RELEASE: join(T, name) };
};
const debian = osRelease('debian', 'ID=debian\nVERSION_ID="12"\n');
const alma = osRelease('alma', 'ID="almalinux"\nID_LIKE="rhel centos fedora"\n');
const config = join(T, 'f2b.config.yaml');

describe('a jail without source', () => {
  it('fails with every path tried when none exists, and how to set source', () => {
    const r = f2b(['config', 'check', '-c', config], { env: debian });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `F2B_ERR_SOURCE_NOT_FOUND: ${config}: jails.app.source: The jail "app" names no source, and none of the logs "app" writes on debian exists (tried ${log('app.log')})`,
    );
    expect(r.stderr).toContain("app's service does not log to the journal");
    expect(r.stderr).toContain("Fix: Set the jail's source");
  });

  it('reads the path declared for the distribution; config check and config print say why', () => {
    writeFileSync(log('app.log'), 'fail from 192.0.2.7\n');
    const check = f2b(['config', 'check', '-c', config], { env: debian });
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
    expect(check.stdout).toContain(`  source of app: ${log('app.log')} (default for app on debian: ${log('app.log')} exists)`);
    const print = f2b(['config', 'print', '-c', config], { env: debian });
    expect(print.code).toBe(0);
    expect(print.stdout).toContain(`#   app: ${log('app.log')}  (default for app on debian: ${log('app.log')} exists)`);
    const json = JSON.parse(f2b(['config', 'print', '-c', config, '--json'], { env: debian }).stdout) as { jails: { source?: unknown }[] };
    expect(json.jails[0]!.source).toEqual({
      type: 'file',
      options: { paths: [log('app.log')] },
      reason: `default for app on debian: ${log('app.log')} exists`,
    });
  });

  it('on the RHEL family the RHEL list applies, first path that exists', () => {
    const before = f2b(['config', 'check', '-c', config], { env: alma });
    expect(before.stdout).toContain(`  source of app: ${log('app.log')} (default for app on almalinux (rhel): ${log('app.log')} exists)`);
    writeFileSync(log('app-secure'), '');
    const after = f2b(['config', 'check', '-c', config], { env: alma });
    expect(after.stdout).toContain(`  source of app: ${log('app-secure')} (default for app on almalinux (rhel): ${log('app-secure')} exists)`);
  });
});
