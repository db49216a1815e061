/**
 * Which files the patterns name, now and as they come and go: a scan of the globs (the safety net,
 * run every poll) and one chokidar watcher per base directory (the fast path). Errors go to the
 * tailer's reporter, keyed by path and operation, so a directory f2b may not read is reported once.
 */
import type { Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { Clock } from '@f2b/kit';
import { watch, type FSWatcher } from 'chokidar';
import { compileGlob, globCouldContain, globDepth, globMatches, type CompiledGlob } from './glob.js';
import { identityKey } from './resume.js';

const MAX_SCAN_DEPTH = 64;
const READY_TIMEOUT_MS = 10_000;

export type ErrorKind = 'scan' | 'read' | 'watch';

/** What discovery tells the tailer, and asks of it. */
export interface DiscoveryHooks {
  clock: Clock;
  stopping(): boolean;
  reportError(e: unknown, p: string, kind: ErrorKind): void;
  clearError(kind: ErrorKind, p: string): void;
  /** chokidar's events and the raw fs.watch events under them. */
  onWatchEvent(event: string, p: string): void;
  onRawEvent(event: string, filename: unknown, details: unknown): void;
  /** A watcher created after start became ready: anything created before is caught by one more scan. */
  onLateReady(): void;
}

interface WatchGroup {
  base: string;
  depth: number | undefined;
  globs: CompiledGlob[];
  watcher: FSWatcher | null;
  /** dev:ino of the watched base directory, to notice it being replaced. */
  baseKey: string | null;
}

export function errCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

export function isGone(e: unknown): boolean {
  const code = errCode(e);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export class Discovery {
  private readonly globs: CompiledGlob[] = [];
  private readonly groups: WatchGroup[];
  private readonly hooks: DiscoveryHooks;

  constructor(paths: readonly string[], hooks: DiscoveryHooks) {
    this.hooks = hooks;
    const cwd = process.cwd();
    for (const p of paths) {
      if (typeof p !== 'string' || p.length === 0) throw new TypeError('FileTailer: `paths` entries must be non-empty strings');
      this.globs.push(...compileGlob(p, cwd));
    }
    const byKey = new Map<string, WatchGroup>();
    for (const g of this.globs) {
      const depth = globDepth(g);
      const k = `${g.base}\0${depth ?? '*'}`;
      let group = byKey.get(k);
      if (!group) {
        group = { base: g.base, depth, globs: [], watcher: null, baseKey: null };
        byKey.set(k, group);
      }
      group.globs.push(g);
    }
    this.groups = [...byKey.values()];
  }

  matchesAny(p: string): boolean {
    for (const g of this.globs) if (globMatches(g, p)) return true;
    return false;
  }

  /** All regular files currently matching the patterns. `complete` is false if a scan error hid some. */
  async scan(): Promise<{ files: Map<string, Stats>; complete: boolean }> {
    const files = new Map<string, Stats>();
    const state = { complete: true };
    for (const g of this.globs) {
      if (this.hooks.stopping()) break;
      if (g.literalPath !== null) {
        const p = g.literalPath;
        if (files.has(p)) continue;
        try {
          const st = await stat(p);
          if (st.isFile()) files.set(p, st);
          this.hooks.clearError('scan', p);
        } catch (e) {
          if (!isGone(e)) {
            state.complete = false;
            this.hooks.reportError(e, p, 'scan');
          }
        }
      } else {
        await this.walk(g, g.base, 0, files, new Set<string>(), state);
      }
    }
    return { files, complete: state.complete };
  }

  private async walk(
    g: CompiledGlob,
    dir: string,
    depth: number,
    files: Map<string, Stats>,
    visited: Set<string>,
    state: { complete: boolean },
  ): Promise<void> {
    if (depth > MAX_SCAN_DEPTH || this.hooks.stopping()) return;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
      this.hooks.clearError('scan', dir);
    } catch (e) {
      if (!isGone(e)) {
        state.complete = false;
        this.hooks.reportError(e, dir, 'scan');
      }
      return;
    }
    for (const ent of entries) {
      const full = dir === '/' ? `/${ent.name}` : `${dir}/${ent.name}`;
      let isDir = ent.isDirectory();
      let isFile = ent.isFile();
      let st: Stats | undefined;
      if (ent.isSymbolicLink()) {
        try {
          st = await stat(full);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch {
          continue; // dangling link
        }
      }
      if (isFile && globMatches(g, full)) {
        if (files.has(full)) continue;
        try {
          st ??= await stat(full);
          if (st.isFile()) files.set(full, st);
          this.hooks.clearError('scan', full);
        } catch (e) {
          if (!isGone(e)) {
            state.complete = false;
            this.hooks.reportError(e, full, 'scan');
          }
        }
      } else if (isDir && globCouldContain(g, full)) {
        if (g.recursive) {
          // Guard against symlink loops.
          try {
            st ??= await stat(full);
          } catch {
            continue;
          }
          const k = identityKey(st.dev, st.ino);
          if (visited.has(k)) continue;
          visited.add(k);
        }
        await this.walk(g, full, depth + 1, files, visited, state);
      }
    }
  }

  /** One watcher per base directory that exists (re-created when the directory is replaced). */
  async ensureWatchers(waitReady: boolean): Promise<void> {
    const readies: Array<Promise<void>> = [];
    for (const group of this.groups) {
      if (this.hooks.stopping()) return;
      let baseKey: string | null = null;
      try {
        const st = await stat(group.base);
        if (st.isDirectory()) baseKey = identityKey(st.dev, st.ino);
        this.hooks.clearError('watch', group.base);
      } catch (e) {
        if (!isGone(e)) this.hooks.reportError(e, group.base, 'watch');
      }
      if (group.watcher && group.baseKey !== baseKey) {
        const w = group.watcher;
        group.watcher = null;
        group.baseKey = null;
        await w.close().catch(() => undefined);
      }
      if (!group.watcher && baseKey !== null && !this.hooks.stopping()) {
        const w = watch(group.base, {
          ignoreInitial: true,
          persistent: true,
          followSymlinks: true,
          atomic: false,
          ignorePermissionErrors: true,
          depth: group.depth,
          ignored: (p: string, st?: Stats) => !this.relevantForGroup(group, p, st),
        });
        group.watcher = w;
        group.baseKey = baseKey;
        w.on('all', (event, p) => this.hooks.onWatchEvent(event, p));
        w.on('raw', (event, filename, details) => this.hooks.onRawEvent(event, filename, details));
        w.on('error', (err) => this.hooks.reportError(err, group.base, 'watch'));
        const ready = new Promise<void>((resolve) => {
          const t = this.hooks.clock.setTimer(READY_TIMEOUT_MS, resolve);
          w.once('ready', () => {
            t.cancel();
            resolve();
          });
        });
        if (waitReady) {
          readies.push(ready);
        } else {
          // Anything created before the watcher was ready is caught by one more scan.
          void ready.then(() => this.hooks.onLateReady());
        }
      }
    }
    await Promise.all(readies);
  }

  /** chokidar filter: keep the base, directories that can contain matches, and matching files. */
  private relevantForGroup(group: WatchGroup, p: string, st?: Stats): boolean {
    const np = path.resolve(p);
    if (np === group.base || group.base.startsWith(np === '/' ? '/' : np + '/')) return true;
    for (const g of group.globs) {
      if (st?.isDirectory()) {
        if (globCouldContain(g, np)) return true;
      } else if (st) {
        if (globMatches(g, np)) return true;
      } else if (globMatches(g, np) || globCouldContain(g, np)) {
        return true;
      }
    }
    return false;
  }

  /** Close every watcher. */
  async close(): Promise<void> {
    await Promise.all(
      this.groups.map(async (g) => {
        const w = g.watcher;
        g.watcher = null;
        if (w) await w.close().catch(() => undefined);
      }),
    );
  }
}
