/**
 * Store faults end to end, with the real `f2b` binary: an unusable state path is one clear
 * F2B_ERR_STATE_* error (no SqliteError stack trace) from `config check` and from `start`, before
 * anything is banned; a corrupt database is moved aside and the bans in force come back from the
 * real nftables sets (in a network namespace this test creates).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { f2b, ROOT, sshdLine, startF2b, tempDir } from './helpers.js';

const ACTION = join(ROOT, 'packages/action-nftables/dist/index.js');
const tmp = tempDir('f2b-storefault-');
afterAll(() => tmp.cleanup());

function writeConfig(name: string, config: Record<string, unknown>): string {
  const file = join(tmp.dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(config));
  return file;
}

describe('an unusable state path', () => {
  const log = join(tmp.dir, 'auth.log');
  writeFileSync(log, '');
  const base = (path: string) => ({ state: { path }, socket: false, jails: { sshd: { source: log, filter: 'sshd' } } });

  it('state.path is a directory: config check and start say so, with the fix, and no stack trace', () => {
    const dir = join(tmp.dir, 'statedir');
    mkdirSync(dir);
    const cfg = writeConfig('dir', base(dir));
    for (const args of [
      ['config', 'check', '--config', cfg],
      ['start', '--foreground', '--config', cfg],
    ]) {
      const r = f2b(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('F2B_ERR_STATE_PATH');
      expect(r.stderr).toContain(`Fix: Point state.path at a file, e.g. "${join(dir, 'f2b.db')}"`);
      expect(r.stderr).not.toMatch(/SqliteError|\n\s+at /);
    }
  });

  it('a parent directory that cannot be created: F2B_ERR_STATE_DIR, nothing started', () => {
    const blocker = join(tmp.dir, 'not-a-dir');
    writeFileSync(blocker, '');
    const cfg = writeConfig('parent', base(join(blocker, 'f2b', 'f2b.db')));
    for (const args of [
      ['config', 'check', '--config', cfg],
      ['start', '--foreground', '--config', cfg],
    ]) {
      const r = f2b(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('F2B_ERR_STATE_DIR');
      expect(r.stderr).toContain('mkdir -p');
      expect(r.stderr).not.toMatch(/SqliteError|\n\s+at /);
      expect(r.stdout).not.toContain('Started');
    }
  });
});

describe('a database locked by another process while the daemon runs', () => {
  it('keeps banning, says so in the log and in `f2b status`, and saves the bans once the lock is gone', async () => {
    const dir = join(tmp.dir, 'locked');
    mkdirSync(dir);
    const log = join(dir, 'auth.log');
    const sock = join(dir, 's.sock');
    const db = join(dir, 'f2b.db');
    writeFileSync(log, '');
    const cfg = writeConfig('locked', {
      state: { path: db },
      socket: sock,
      jails: {
        sshd: { source: { type: 'file', paths: [log], pollInterval: 50 }, filter: 'sshd', maxretry: 1, bantime: '1h', ignoreself: false, actions: ['log'] },
      },
    });
    let daemon = startF2b(['start', '--foreground', '--config', cfg]);
    await daemon.waitFor(/Control socket listening/, 'stderr', 20_000);

    // A second process holds the database with BEGIN EXCLUSIVE (as an open sqlite3 shell can).
    const sqlite = createRequire(import.meta.url).resolve('better-sqlite3', { paths: [join(ROOT, 'packages/store-sqlite')] });
    const locker = spawn(
      process.execPath,
      [
        '-e',
        `
      const db = new (require(${JSON.stringify(sqlite)}))(process.argv[1]);
      db.exec('BEGIN EXCLUSIVE'); process.stdout.write('locked\\n');
      process.stdin.resume(); process.stdin.on('end', () => { db.exec('COMMIT'); db.close(); });
    `,
        db,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    await new Promise((r) => locker.stdout!.once('data', r));

    let pid = 7000;
    const attackers = ['192.0.2.31', '192.0.2.32', '192.0.2.33'];
    for (const ip of attackers) appendFileSync(log, sshdLine(`Failed password for root from ${ip} port 40000 ssh2`, { pid: pid++ }));
    for (const ip of attackers) await daemon.waitFor(new RegExp(`\\[sshd\\] Ban ${ip.replace(/\./g, '\\.')} `));
    await daemon.waitFor(/F2B_ERR_STATE_UNAVAILABLE/, 'stderr');
    const human = f2b(['status', '--socket', sock], { env: { NO_COLOR: '1' } });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/State store: +UNAVAILABLE since .*database is locked/);
    const state = JSON.parse(f2b(['status', '--json', '--socket', sock]).stdout).state;
    expect(state).toMatchObject({ available: false, unsavedDecisions: 3 });
    expect(f2b(['ping', '--socket', sock]).code).toBe(0); // the daemon answers meanwhile

    await new Promise((r) => {
      locker.once('exit', r);
      locker.stdin!.end();
    });
    await daemon.waitFor(/The state store accepts writes again/, 'stderr', 20_000);
    expect(JSON.parse(f2b(['status', '--json', '--socket', sock]).stdout).state).toMatchObject({ available: true, unsavedDecisions: 0 });
    expect(await daemon.stop()).toBe(0);

    daemon = startF2b(['start', '--foreground', '--config', cfg]);
    await daemon.waitFor(/Control socket listening/, 'stderr', 20_000);
    expect(daemon.stderr()).toContain('Restored 3 active ban(s).');
    // And a signal whose default is to end the process silently ends it with a message.
    expect(await daemon.stop('SIGUSR2')).toBe(0);
    expect(daemon.stderr()).toContain('Received SIGUSR2: stopping.');
  }, 90_000);
});

function nftUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'not root (network namespaces and nftables need root)';
  if (spawnSync('nft', ['--version']).status !== 0) return 'nft is not installed (apt install nftables)';
  if (!existsSync(ACTION)) return `${ACTION} is not built (run \`npx tsc -b\`)`;
  const ns = `f2b-sf-probe-${process.pid}`;
  if (spawnSync('ip', ['netns', 'add', ns]).status !== 0) return 'cannot create network namespaces (`ip netns add` failed)';
  try {
    if (spawnSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'ruleset']).status !== 0) return 'nft does not work in a network namespace';
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
  return null;
}

const skip = nftUnavailable();
if (skip) console.log(`skipping the corrupt-database recovery with real nftables: ${skip}`);

describe.skipIf(skip !== null)('a corrupt database, with bans in real nftables sets', () => {
  const ns = `f2b-sf-${process.pid}-${randomBytes(3).toString('hex')}`;
  afterAll(() => {
    spawnSync('ip', ['netns', 'del', ns]);
  });

  it('is moved aside with a loud error, and the bans in force are recovered from the sets', async () => {
    expect(spawnSync('ip', ['netns', 'add', ns]).status).toBe(0);
    const dir = join(tmp.dir, 'corrupt');
    mkdirSync(dir);
    const log = join(dir, 'auth.log');
    const sock = join(dir, 's.sock');
    writeFileSync(log, '');
    const cfg = writeConfig('corrupt', {
      plugins: [ACTION],
      state: { path: join(dir, 'f2b.db') },
      socket: sock,
      jails: {
        sshd: {
          source: { type: 'file', paths: [log], pollInterval: 50 },
          filter: 'sshd',
          maxretry: 2,
          bantime: '1h',
          ignoreself: false,
          actions: [{ type: 'nftables', netns: ns, table: `t${randomBytes(3).toString('hex')}`, checkInterval: '1h' }],
        },
      },
    });
    let daemon = startF2b(['start', '--foreground', '--config', cfg]);
    await daemon.waitFor(/Control socket listening/, 'stderr', 20_000);
    let pid = 5000;
    for (const ip of ['192.0.2.21', '2001:db8::21']) {
      for (let i = 0; i < 2; i++) appendFileSync(log, sshdLine(`Failed password for root from ${ip} port ${40000 + i} ssh2`, { pid: pid++ }));
    }
    const status = () => JSON.parse(f2b(['status', 'sshd', '--json', '--socket', sock]).stdout) as { banned: string[] };
    for (let i = 0; i < 200 && status().banned.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(status().banned.sort()).toEqual(['192.0.2.21', '2001:db8::21']);
    // A crash (a clean stop removes f2b's table; a crash leaves the kernel enforcing the bans).
    await daemon.stop('SIGKILL');

    // Garbage over the database (and its WAL gone): SQLite answers "file is not a database".
    writeFileSync(join(dir, 'f2b.db'), randomBytes(16384));
    for (const f of ['f2b.db-wal', 'f2b.db-shm']) spawnSync('rm', ['-f', join(dir, f)]);

    daemon = startF2b(['start', '--foreground', '--config', cfg]);
    await daemon.waitFor(/Control socket listening/, 'stderr', 20_000);
    const moved = readdirSync(dir).filter((f) => /^f2b\.db\.corrupt-/.test(f));
    expect(moved).toHaveLength(1);
    expect(daemon.stderr()).toContain('F2B_ERR_STATE_CORRUPT');
    expect(daemon.stderr()).toContain(join(dir, moved[0]!));
    expect(daemon.stderr(), daemon.stderr()).toContain('Recovered 2 ban(s) in force from the actions');
    expect(status().banned.sort()).toEqual(['192.0.2.21', '2001:db8::21']);
    expect(await daemon.stop()).toBe(0);

    // They are in the new database: the next start restores them as usual.
    daemon = startF2b(['start', '--foreground', '--config', cfg]);
    await daemon.waitFor(/Control socket listening/, 'stderr', 20_000);
    expect(daemon.stderr()).toContain('Restored 2 active ban(s).');
    expect(daemon.stderr()).not.toContain('F2B_ERR_STATE_CORRUPT');
    expect(await daemon.stop()).toBe(0);
  }, 90_000);
});
