/**
 * Store faults on real SQLite: a full file system (a small tmpfs), a database locked by another
 * process, database files made immutable (`chattr +i`, which used to kill the daemon with SIGBUS),
 * a corrupt database, and unusable paths. In each, bans go on reaching the actions, nothing decided
 * is lost once the store takes writes again, and every error is an F2B_ERR_STATE_* with its fix.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Daemon, definePlugin, F2bError, pluginErrors, resolveConfig, type Ban, type ListedBan, type SourceContext, type StoreHealthSnapshot } from '@f2b/core';
import { SqliteStore, checkStatePath } from '../src/index.js';
import { privateMountUnavailable, privateReadonlyBind } from './private-mount.js';
import { thrownF2bError as thrown } from '@f2b/core/testing';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'f2b-faults-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A daemon with a memory source and a recording action (optionally one that lists its bans) over `path`. */
function world(path: string, listed: ListedBan[] = []) {
  const sources = new Map<string, SourceContext>();
  const banned: Ban[] = [];
  const plugin = definePlugin({
    meta: { name: 'f2b-test-store-faults', version: '1.0.0', core: '*' },
    apply(core) {
      core.registerFilter({ id: 'demo', rules: [{ id: 'auth-failure', pattern: '^auth failure from <HOST>$' }] });
      core.registerSource({
        type: 'memory',
        create: (_o, ctx) => ({
          start: async () => {
            sources.set(ctx.jail, ctx);
          },
          stop: async () => {
            sources.delete(ctx.jail);
          },
        }),
      });
      core.registerAction({
        type: 'record',
        create: () => ({
          ban: async (bans) => {
            banned.push(...bans);
          },
          unban: async () => {},
          listBanned: async () => listed,
        }),
      });
    },
  });
  const searchFrom = tempDir();
  const logs: string[] = [];
  let store!: SqliteStore;
  const daemon = () => {
    store = new SqliteStore({ errors: pluginErrors, path });
    return new Daemon({
      searchFrom: [searchFrom],
      logLevel: 'info',
      logSink: (_l, _n, msg, fields) => {
        logs.push(`${msg} ${JSON.stringify(fields ?? {})}`);
      },
      plugins: [plugin],
      store,
    });
  };
  const config = resolveConfig({
    jails: { a: { source: { type: 'memory' }, filter: 'demo', actions: ['record'], maxretry: 1, bantime: 3600, ignoreself: false } },
    state: { type: 'memory' },
    socket: false,
  });
  const push = async (...lines: string[]) => {
    await sources.get('a')!.lines(
      lines.map((l) => Buffer.from(l)),
      'memory',
    );
  };
  return { daemon, config, push, banned, logs, store: () => store };
}

/** Ban `n` addresses 198.51.100.<from…>, one batch each, and wait until the actions have them. */
async function banMany(w: ReturnType<typeof world>, d: Daemon, from: number, n: number): Promise<void> {
  for (let i = from; i < from + n; i++) {
    await w.push(`auth failure from 198.51.100.${i}`);
    await d.jail('a')!.flush();
  }
}

/** Wait (bounded) until the jail has saved every queued checkpoint; the retry timer does it. */
async function waitSaved(d: Daemon): Promise<void> {
  for (let i = 0; i < 400 && d.jail('a')!.unsavedCheckpoints > 0; i++) await new Promise((r) => setTimeout(r, 25));
  expect(d.jail('a')!.unsavedCheckpoints).toBe(0);
}

/** Restart over the same database and return the ids restored to the action. */
async function restoredAfterRestart(w: ReturnType<typeof world>): Promise<string[]> {
  w.banned.length = 0;
  const d = w.daemon();
  await d.start(w.config);
  const ids = w.banned.map((b) => b.id).sort();
  await d.stop();
  return ids;
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => `198.51.100.${from + i}`).sort();

const mountSkip = privateMountUnavailable();
if (mountSkip) console.log(`store fault tests on tmpfs skipped: ${mountSkip}`);

describe.skipIf(mountSkip !== null)('a full file system (tmpfs)', () => {
  it('keeps the checkpoints that failed with SQLITE_FULL and saves them when space is back: 20/20 restored', () => {
    // The daemon runs in the namespace that has the tmpfs (see fixtures/full-disk.mjs for why).
    const dir = tempDir();
    const r = spawnSync(
      'unshare',
      ['--mount', '--propagation', 'private', '--', process.execPath, fileURLToPath(new URL('./fixtures/full-disk.mjs', import.meta.url)), dir, '1m'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as {
      whileFull: { banned: number; health: StoreHealthSnapshot };
      afterFree: { unsaved: number; health: StoreHealthSnapshot };
      restored: string[];
      logs: string[];
    };
    expect(out.whileFull.banned).toBe(20); // protection went on
    expect(out.whileFull.health).toMatchObject({ available: false, unsavedDecisions: expect.any(Number) });
    expect(out.whileFull.health.error).toMatch(/full/i);
    expect(out.logs.some((l) => l.includes('F2B_ERR_STATE_UNAVAILABLE'))).toBe(true);
    expect(out.afterFree).toMatchObject({ unsaved: 0, health: { available: true } });
    expect(out.logs.some((l) => l.includes('accepts writes again'))).toBe(true);
    expect(out.restored.sort()).toEqual(range(1, 20));
  });
});

describe('a database locked by another process', () => {
  it('fails fast instead of stalling the event loop, keeps the checkpoints, and saves them once the lock is gone: 10/10 restored', async () => {
    const path = join(tempDir(), 'f2b.db');
    const w = world(path);
    const d = w.daemon();
    await d.start(w.config);
    // better-sqlite3 waits for a lock synchronously: the timeout must be a few milliseconds.
    expect(w.store().busyTimeoutMs()).toBeLessThanOrEqual(20);
    const locker = await holdExclusive(path);
    await banMany(w, d, 1, 10);
    expect(w.banned).toHaveLength(10);
    expect(d.storeHealth.snapshot()).toMatchObject({ available: false });
    expect(d.storeHealth.snapshot().error).toMatch(/locked/i);
    await locker.release();
    await waitSaved(d);
    await d.stop();
    expect(await restoredAfterRestart(w)).toEqual(range(1, 10));
  });
});

/** A second process holding `BEGIN EXCLUSIVE` on the database until released. */
async function holdExclusive(path: string): Promise<{ release(): Promise<void> }> {
  const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
  const child = spawn(
    process.execPath,
    [
      '-e',
      `
    const db = new (require(${JSON.stringify(sqlite)}))(process.argv[1]);
    db.exec('BEGIN EXCLUSIVE');
    process.stdout.write('locked\\n');
    process.stdin.resume();
    process.stdin.on('end', () => { db.exec('COMMIT'); db.close(); process.exit(0); });
  `,
      path,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`locker exited ${code}`)));
  });
  const release = () =>
    new Promise<void>((done) => {
      child.once('exit', () => done());
      child.stdin!.end();
    });
  cleanups.push(() => (child.exitCode === null ? release() : undefined));
  return { release };
}

/** Whether `chattr +i` works in `dir` (root, and a file system with the attribute, e.g. ext4). */
function immutableUnavailable(dir: string): string | null {
  if (process.getuid?.() !== 0) return 'not root (chattr +i needs CAP_LINUX_IMMUTABLE)';
  const probe = join(dir, 'probe');
  writeFileSync(probe, '');
  const r = spawnSync('chattr', ['+i', probe], { encoding: 'utf8' });
  spawnSync('chattr', ['-i', probe]);
  rmSync(probe, { force: true });
  if (r.error) return 'chattr is not installed (e2fsprogs)';
  return r.status === 0 ? null : `chattr +i does not work on ${dir}: ${r.stderr.trim()}`;
}

describe('database files made immutable (chattr +i)', () => {
  it('refuses to write instead of dying of SIGBUS, and saves what was decided once the attribute is removed', async (ctx) => {
    const dir = tempDir();
    const skip = immutableUnavailable(dir);
    if (skip) {
      console.log(`chattr test skipped: ${skip}`);
      ctx.skip();
      return;
    }
    const path = join(dir, 'f2b.db');
    const w = world(path);
    const d = w.daemon();
    await d.start(w.config);
    await banMany(w, d, 1, 2);
    const files = readdirSync(dir)
      .filter((f) => f.startsWith('f2b.db'))
      .map((f) => join(dir, f));
    expect(files.length).toBe(3); // the database, its -wal and its -shm (the memory-mapped one)
    spawnSync('chattr', ['+i', ...files]);
    cleanups.push(() => spawnSync('chattr', ['-i', ...files]));
    await banMany(w, d, 3, 5);
    expect(w.banned).toHaveLength(7);
    expect(d.storeHealth.snapshot()).toMatchObject({ available: false });
    expect(d.storeHealth.snapshot().error).toContain('immutable');
    spawnSync('chattr', ['-i', ...files]);
    await waitSaved(d);
    await d.stop();
    expect(await restoredAfterRestart(w)).toEqual(range(1, 7));
  });

  it('an immutable database at start is F2B_ERR_STATE_READONLY with the chattr fix', async (ctx) => {
    const dir = tempDir();
    const skip = immutableUnavailable(dir);
    if (skip) {
      console.log(`chattr test skipped: ${skip}`);
      ctx.skip();
      return;
    }
    const path = join(dir, 'f2b.db');
    const s = new SqliteStore({ errors: pluginErrors, path });
    await s.open();
    await s.close();
    spawnSync('chattr', ['+i', path]);
    cleanups.push(() => spawnSync('chattr', ['-i', path]));
    const err = await rejection(new SqliteStore({ errors: pluginErrors, path }).open());
    expect(err.code).toBe('F2B_ERR_STATE_READONLY');
    expect(err.message).toContain('immutable');
    expect(err.fix).toContain(`chattr -i ${path}`);
  });
});

describe('a corrupt database', () => {
  it('is moved aside with a loud error; f2b starts with a new one and recovers the bans the actions list', async () => {
    const dir = tempDir();
    const path = join(dir, 'f2b.db');
    writeFileSync(path, Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(8192, 0x5a)]));
    const inForce: ListedBan[] = [
      { id: '203.0.113.7', end: Date.now() + 3_600_000 },
      { id: '2001:db8::7', end: null },
      { id: '203.0.113.8', end: Date.now() - 1000 }, // already over: not recovered
    ];
    const w = world(path, inForce);
    const d = w.daemon();
    await d.start(w.config);
    const moved = readdirSync(dir).filter((f) => f.startsWith('f2b.db.corrupt-'));
    expect(moved).toHaveLength(1);
    const loud = w.logs.find((l) => l.includes('F2B_ERR_STATE_CORRUPT'));
    expect(loud).toContain(join(dir, moved[0]!));
    expect([...d.jail('a')!.bans()].map((b) => b.id).sort()).toEqual(['2001:db8::7', '203.0.113.7']);
    await d.stop();
    // They are in the new database: a restart without the listing restores them too.
    inForce.length = 0;
    expect(await restoredAfterRestart(w)).toEqual(['2001:db8::7', '203.0.113.7']);
  });
});

describe('unusable paths are F2B_ERR_STATE_* errors with the fix, found before opening', () => {
  it('state.path is a directory', () => {
    const dir = tempDir();
    const err = thrown(() => checkStatePath(dir, pluginErrors));
    expect(err.code).toBe('F2B_ERR_STATE_PATH');
    expect(err.fix).toContain(join(dir, 'f2b.db'));
  });

  it('a parent that cannot be created (a file is in the way)', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), '');
    const err = thrown(() => checkStatePath(join(dir, 'file', 'sub', 'f2b.db'), pluginErrors));
    expect(err.code).toBe('F2B_ERR_STATE_DIR');
    expect(err.message).toContain('is not a directory');
    expect(err.fix).toContain('mkdir -p');
  });

  it.skipIf(mountSkip !== null)('a read-only state directory (read-only bind mount), with and without a database', async () => {
    const src = tempDir();
    mkdirSync(join(src, 'empty'));
    const s = new SqliteStore({ errors: pluginErrors, path: join(src, 'f2b.db') });
    await s.open();
    await s.close();
    const ro = await privateReadonlyBind(src);
    cleanups.push(() => ro.close());
    for (const path of [join(ro.path, 'f2b.db'), join(ro.path, 'empty', 'f2b.db'), join(ro.path, 'new', 'f2b.db')]) {
      const err = thrown(() => checkStatePath(path, pluginErrors));
      expect(['F2B_ERR_STATE_READONLY', 'F2B_ERR_STATE_DIR']).toContain(err.code);
      expect(err.describe()).toContain('read-only file system');
      // Opening says the same, instead of an SqliteError.
      expect((await rejection(new SqliteStore({ errors: pluginErrors, path }).open())).code).toBe(err.code);
    }
    expect(existsSync(join(src, 'new'))).toBe(false);
  });
});

async function rejection(p: Promise<unknown>): Promise<F2bError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(F2bError);
    return err as F2bError;
  }
  throw new Error('expected an F2bError');
}
