/**
 * A file system of our own for fault tests, never touching the machine's mounts: a holder process
 * in a private mount namespace (`unshare --mount --propagation private`) mounts a read-only bind on
 * a temp directory and waits. The test reaches that mount through the holder's root,
 * `/proc/<pid>/root/<dir>`, which the kernel resolves in the holder's namespace (good for access(2)
 * checks; SQLite itself resolves that symbolic link, so tests that need SQLite on such a mount run
 * inside the namespace, see fixtures/full-disk.mjs). When the holder exits the mount is gone.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrivateMount {
  /** Path of the mounted directory as seen from this process. */
  path: string;
  close(): Promise<void>;
}

/** Why these tests cannot run here, or null. */
export function privateMountUnavailable(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (mount namespaces and tmpfs mounts need root)';
  if (spawnSync('unshare', ['--mount', '--propagation', 'private', 'true']).status !== 0) return 'cannot create mount namespaces (`unshare --mount` failed)';
  return null;
}

// Runs in the namespace: mount what argv says, say "ready", stay until stdin closes.
const HOLDER = `
const { spawnSync } = require('node:child_process');
const args = JSON.parse(process.argv[1]);
for (const a of args) {
  const r = spawnSync('mount', a, { encoding: 'utf8' });
  if (r.status !== 0) { process.stdout.write('error ' + r.stderr.trim() + '\\n'); process.exit(1); }
}
process.stdout.write('ready\\n');
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
`;

/** `source` bound read-only on a new directory. */
export function privateReadonlyBind(source: string): Promise<PrivateMount> {
  const dir = mkdtempSync(join(tmpdir(), 'f2b-robind-'));
  return hold(dir, [
    ['--bind', source, dir],
    ['-o', 'remount,bind,ro', dir],
  ]);
}

function hold(dir: string, mounts: string[][]): Promise<PrivateMount> {
  const child: ChildProcess = spawn('unshare', ['--mount', '--propagation', 'private', '--', process.execPath, '-e', HOLDER, JSON.stringify(mounts)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.startsWith('ready\n')) {
        resolve({
          path: `/proc/${child.pid}/root${dir}`,
          close: () =>
            new Promise<void>((done) => {
              child.once('exit', () => {
                rmSync(dir, { recursive: true, force: true });
                done();
              });
              child.stdin!.end();
            }),
        });
      } else if (out.includes('\n')) reject(new Error(`mount failed: ${out.trim()}`));
    });
    child.once('exit', (code) => {
      if (!out.startsWith('ready')) reject(new Error(`mount holder exited ${code}: ${out.trim()}`));
    });
  });
}
