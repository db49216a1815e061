/**
 * The file a large element script is written to for `nft -i` to include (see nft-session.ts): one
 * file in a directory of its own, made with mkdtemp (mode 0700, a random name) when first needed.
 *
 * nft runs as root and executes what the file says, so nobody else may be able to change it between
 * our write and nft's read: the directory is created under the temp directory only when that one
 * belongs to root or to this user and, if others may write to it, has the sticky bit (then nobody
 * else can rename or replace our directory in it, as in /tmp). Otherwise there is no file, and the
 * caller spawns nft for large scripts. The path goes into `include "…"` on nft's command line, so
 * it is used only when it holds nothing but letters, digits and `_ . / -`. Before each write the
 * directory is checked to be still the one made (same inode, ours, 0700): a temp cleaner could have
 * removed it and someone else made one of the same name.
 */
import { lstatSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Characters the include path may have (no quote, space, backslash or anything nft reads specially). */
const PLAIN_PATH = /^\/[A-Za-z0-9_./-]+$/;

/** Whether only root or this user can replace entries of `dir` (owned by one of them; sticky if others may write). */
function privateParent(dir: string): boolean {
  try {
    const st = lstatSync(dir);
    if (!st.isDirectory()) return false;
    const uid = process.getuid?.() ?? -1;
    if (st.uid !== 0 && st.uid !== uid) return false;
    const othersWrite = (st.mode & 0o022) !== 0;
    return !othersWrite || (st.mode & 0o1000) !== 0;
  } catch {
    return false;
  }
}

/** Whether `dir` is still the directory made as `made` (same inode, owner, mode 0700). */
function stillOurs(dir: string, made: { dev: number; ino: number; uid: number }): boolean {
  try {
    const st = lstatSync(dir);
    return st.isDirectory() && st.dev === made.dev && st.ino === made.ino && st.uid === made.uid && (st.mode & 0o777) === 0o700;
  } catch {
    return false;
  }
}

export class ScriptFiles {
  private dir: string | undefined;
  private made = { dev: 0, ino: 0, uid: 0 };
  /** Set once making the directory failed: not tried again for this session. */
  private unavailable = false;

  constructor(private readonly base: () => string = tmpdir) {}

  /** Makes the directory if needed; false when there can be none. */
  ready(): boolean {
    if (this.dir !== undefined) return true;
    if (this.unavailable) return false;
    const base = this.base();
    if (!PLAIN_PATH.test(base) || !privateParent(base)) {
      this.unavailable = true;
      return false;
    }
    try {
      const dir = mkdtempSync(join(base, 'f2b-nft-'));
      if (!PLAIN_PATH.test(dir)) {
        rmSync(dir, { recursive: true, force: true });
        this.unavailable = true;
        return false;
      }
      const st = lstatSync(dir);
      this.made = { dev: st.dev, ino: st.ino, uid: st.uid };
      this.dir = dir;
      return true;
    } catch {
      this.unavailable = true;
      return false;
    }
  }

  /**
   * Writes `script` to the session's file (the previous script's, overwritten: the session runs one
   * command at a time) and returns its path; undefined when it cannot (the caller sends the script
   * itself). A directory a temp cleaner removed is made again once.
   */
  write(script: string): string | undefined {
    for (let attempt = 0; attempt < 2; attempt++) {
      if (!this.ready()) return undefined;
      const dir = this.dir!;
      if (!stillOurs(dir, this.made)) {
        this.dir = undefined; // removed, or replaced by someone else's: never written into
        continue;
      }
      const file = join(dir, 'elements.nft');
      try {
        writeFileSync(file, script, { mode: 0o600 });
        return file;
      } catch {
        this.dir = undefined; // gone (a temp cleaner?): a new one, once
      }
    }
    return undefined;
  }

  /** Removes the directory (the session ends). */
  remove(): void {
    const dir = this.dir;
    this.dir = undefined;
    if (dir !== undefined && stillOurs(dir, this.made)) rmSync(dir, { recursive: true, force: true });
  }
}
