/**
 * A cursor kept in a file, for running without the shared state store. The file holds the cursor as
 * plain text (journalctl's own `--cursor-file` format). Writes are atomic and durable: a temp file
 * is written and fsynced, renamed over the old one, and the directory is fsynced. Saves coalesce: while
 * one write runs, newer cursors replace each other and only the newest is written next.
 */
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CURSOR } from './options.js';

export class CursorFile {
  private pending: string | undefined;
  private writing: Promise<void> | null = null;
  private madeDir = false;

  constructor(
    readonly path: string,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** The saved cursor; undefined when the file doesn't exist (or doesn't hold a cursor). */
  async load(): Promise<string | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const cursor = text.trim();
    return CURSOR.test(cursor) ? cursor : undefined;
  }

  /** Schedule writing `cursor` (returns at once). */
  save(cursor: string): void {
    this.pending = cursor;
    this.writing ??= this.drain();
  }

  /** Wait until every saved cursor is on disk. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending !== undefined) {
        const cursor = this.pending;
        this.pending = undefined;
        try {
          await this.write(cursor);
        } catch (err) {
          this.onError(err);
        }
      }
    } finally {
      this.writing = null;
    }
  }

  private async write(cursor: string): Promise<void> {
    const dir = dirname(this.path);
    if (!this.madeDir) {
      await mkdir(dir, { recursive: true });
      this.madeDir = true;
    }
    const tmp = `${this.path}.${process.pid}.tmp`;
    const fh = await open(tmp, 'w', 0o644);
    try {
      await fh.writeFile(`${cursor}\n`, 'utf8');
      await fh.sync();
    } catch (err) {
      await fh.close().catch(() => {});
      await unlink(tmp).catch(() => {});
      throw err;
    }
    await fh.close();
    await rename(tmp, this.path);
    // The rename is durable once the directory is synced (not possible on every file system).
    try {
      const d = await open(dir, 'r');
      try {
        await d.sync();
      } finally {
        await d.close();
      }
    } catch {
      /* best effort */
    }
  }
}
