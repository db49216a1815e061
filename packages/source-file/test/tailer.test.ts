import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileTailer, type FileTailerOptions, type TailPosition } from '../src/tailer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until `cond` holds (checked every 20 ms), failing after `timeoutMs`. */
async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

interface Harness {
  tailer: FileTailer;
  lines: string[];
  byPath: Map<string, string[]>;
  errors: Array<{ err: Error; path: string }>;
}

let dir: string;
const tailers: FileTailer[] = [];

beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'f2b-tailer-'));
});

afterEach(async () => {
  await Promise.all(tailers.splice(0).map((t) => t.stop()));
  await fsp.rm(dir, { recursive: true, force: true });
});

function makeTailer(opts: Partial<FileTailerOptions> & { paths: string[] }): Harness {
  const lines: string[] = [];
  const byPath = new Map<string, string[]>();
  const errors: Array<{ err: Error; path: string }> = [];
  const tailer = new FileTailer({
    pollInterval: 100,
    onLines: (ls, p) => {
      const list = byPath.get(p) ?? [];
      byPath.set(p, list);
      for (const l of ls) {
        expect(Buffer.isBuffer(l)).toBe(true);
        lines.push(l.toString('utf8'));
        list.push(l.toString('utf8'));
      }
    },
    onError: (err, p) => errors.push({ err, path: p }),
    ...opts,
  });
  tailers.push(tailer);
  return { tailer, lines, byPath, errors };
}

const has = (lines: string[], l: string) => () => lines.includes(l);

describe('FileTailer', () => {
  it('delivers appended lines in order, starting at the end by default', async () => {
    const f = path.join(dir, 'app.log');
    fs.writeFileSync(f, 'old1\nold2\n');
    const h = makeTailer({ paths: [f] });
    await h.tailer.start();
    for (let i = 0; i < 50; i++) fs.appendFileSync(f, `line ${i}\n`);
    await waitFor(has(h.lines, 'line 49'), 'line 49');
    expect(h.lines).toEqual(Array.from({ length: 50 }, (_, i) => `line ${i}`));
    expect(h.byPath.get(f)?.length).toBe(50);
    expect(h.errors).toEqual([]);
  });

  it('lag: the bytes of a file not read yet, while the jail holds a batch; 0 once caught up', async () => {
    const f = path.join(dir, 'app.log');
    fs.writeFileSync(f, '');
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let batches = 0;
    const h = makeTailer({ paths: [f], onLines: () => (++batches === 1 ? held : undefined) });
    await h.tailer.start();
    expect(await h.tailer.lag()).toEqual([{ path: f, bytes: 0 }]);
    fs.appendFileSync(f, 'first\n');
    await waitFor(() => batches === 1, 'the first batch');
    // The tailer waits for the jail before it reads on: what is written now is behind.
    fs.appendFileSync(f, 'x'.repeat(999) + '\n');
    expect(await h.tailer.lag()).toEqual([{ path: f, bytes: 1000 }]);
    release();
    await h.tailer.poll();
    expect(await h.tailer.lag()).toEqual([{ path: f, bytes: 0 }]);
  });

  it('reacts to chokidar events without relying on the poll timer', async () => {
    const f = path.join(dir, 'app.log');
    fs.writeFileSync(f, '');
    const h = makeTailer({ paths: [f], pollInterval: 600_000 });
    await h.tailer.start();
    fs.appendFileSync(f, 'ev1\n');
    await waitFor(has(h.lines, 'ev1'), 'ev1 via watcher');
    fs.appendFileSync(f, 'ev2\nev3\n');
    await waitFor(has(h.lines, 'ev3'), 'ev3 via watcher');
    expect(h.lines).toEqual(['ev1', 'ev2', 'ev3']);
  });

  it('looks at a file once per append, although fs.watch reports each append more than once', async () => {
    const f = path.join(dir, 'app.log');
    fs.writeFileSync(f, 'first\n');
    const h = makeTailer({ paths: [f], pollInterval: 60_000 });
    await h.tailer.start();
    const appends = 20;
    for (let i = 0; i < appends; i++) {
      fs.appendFileSync(f, `line ${i}\n`);
      await waitFor(has(h.lines, `line ${i}`), `line ${i}`);
    }
    // Everything the events asked for is done once a full look has run after it (twice: a read
    // asked for during the first one runs after it).
    await h.tailer.poll();
    await h.tailer.poll();
    // The file's watcher and its directory's each report an append: without coalescing, every append
    // was read twice (the second look finding nothing). An event split from its pair by the kernel
    // may still cost a look of its own, hence the margin.
    expect(h.tailer.changeReads).toBeGreaterThanOrEqual(appends);
    expect(h.tailer.changeReads).toBeLessThan(appends * 1.5);
    expect(h.lines).toEqual(Array.from({ length: appends }, (_, i) => `line ${i}`));
  });

  it('follows rotation and new glob matches from watcher events alone', async () => {
    const f = path.join(dir, 'auth.log');
    fs.writeFileSync(f, '');
    const h = makeTailer({ paths: [path.join(dir, '*.log')], pollInterval: 600_000 });
    await h.tailer.start();
    await h.tailer.poll();
    for (let i = 0; i < 5; i++) {
      fs.appendFileSync(f, `q${i}\n`);
      await sleep(2);
    }
    await waitFor(has(h.lines, 'q4'), 'q4 via watcher');
    fs.appendFileSync(f, 'tail-of-old\n');
    fs.renameSync(f, `${f}.1`);
    fs.writeFileSync(f, 'fresh\n');
    await waitFor(has(h.lines, 'fresh'), 'fresh via watcher');
    fs.writeFileSync(path.join(dir, 'new.log'), 'brand-new\n');
    await waitFor(has(h.lines, 'brand-new'), 'brand-new via watcher');
    expect(h.lines).toEqual(['q0', 'q1', 'q2', 'q3', 'q4', 'tail-of-old', 'fresh', 'brand-new']);
  });

  it('reads existing content with fromStart', async () => {
    const f = path.join(dir, 'app.log');
    fs.writeFileSync(f, 'a\nb\nc\n');
    const h = makeTailer({ paths: [f], fromStart: true });
    await h.tailer.start();
    await waitFor(has(h.lines, 'c'), 'c');
    fs.appendFileSync(f, 'd\n');
    await waitFor(has(h.lines, 'd'), 'd');
    expect(h.lines).toEqual(['a', 'b', 'c', 'd']);
  });

  it('does not deliver the tail of a line that was incomplete at start (start at end)', async () => {
    const f = path.join(dir, 'app.log');
    fs.writeFileSync(f, 'old\nhalf-of-a-li');
    const h = makeTailer({ paths: [f] });
    await h.tailer.start();
    fs.appendFileSync(f, 'ne\nnew\n');
    await waitFor(has(h.lines, 'new'), 'new');
    expect(h.lines).toEqual(['new']);
  });

  it('holds a partial line until its newline arrives', async () => {
    const f = path.join(dir, 'app.log');
    fs.writeFileSync(f, '');
    const h = makeTailer({ paths: [f] });
    await h.tailer.start();
    fs.appendFileSync(f, 'first\nsec');
    await waitFor(has(h.lines, 'first'), 'first');
    await h.tailer.poll();
    expect(h.lines).toEqual(['first']);
    expect(h.tailer.positions()[0]!.offset).toBe('first\n'.length);
    fs.appendFileSync(f, 'ond');
    await h.tailer.poll();
    expect(h.lines).toEqual(['first']);
    fs.appendFileSync(f, '\nthird\n');
    await waitFor(has(h.lines, 'third'), 'third');
    expect(h.lines).toEqual(['first', 'second', 'third']);
    expect(h.tailer.positions()[0]!.offset).toBe(fs.statSync(f).size);
  });

  it('follows rename rotation: finishes the old file (incl. its last partial line), then reads the new one', async () => {
    const f = path.join(dir, 'auth.log');
    fs.writeFileSync(f, 'before-start\n');
    const h = makeTailer({ paths: [f] });
    await h.tailer.start();
    fs.appendFileSync(f, 'a1\na2\n');
    await waitFor(has(h.lines, 'a2'), 'a2');
    // Written right before rotation, without giving the tailer a chance to read it.
    fs.appendFileSync(f, 'a3\na4\nunterminated');
    fs.renameSync(f, `${f}.1`);
    fs.writeFileSync(f, 'b1\nb2\n');
    await waitFor(has(h.lines, 'b2'), 'b2');
    fs.appendFileSync(f, 'b3\n');
    await waitFor(has(h.lines, 'b3'), 'b3');
    expect(h.lines).toEqual(['a1', 'a2', 'a3', 'a4', 'unterminated', 'b1', 'b2', 'b3']);
    // Lines from the rotated-away file are reported under the followed path.
    expect(h.byPath.get(f)).toEqual(h.lines);
  });

  it('survives several quick rotations', async () => {
    const f = path.join(dir, 'auth.log');
    fs.writeFileSync(f, '');
    const h = makeTailer({ paths: [f] });
    await h.tailer.start();
    const expected: string[] = [];
    for (let gen = 0; gen < 5; gen++) {
      for (let i = 0; i < 3; i++) {
        fs.appendFileSync(f, `g${gen}-${i}\n`);
        expected.push(`g${gen}-${i}`);
      }
      await waitFor(has(h.lines, `g${gen}-2`), `g${gen}-2`);
      fs.renameSync(f, `${f}.${gen}`);
      fs.writeFileSync(f, '');
    }
    fs.appendFileSync(f, 'last\n');
    expected.push('last');
    await waitFor(has(h.lines, 'last'), 'last');
    expect(h.lines).toEqual(expected);
  });

  it('handles copytruncate', async () => {
    const f = path.join(dir, 'app.log');
    fs.writeFileSync(f, 'existing content\n');
    const h = makeTailer({ paths: [f] });
    await h.tailer.start();
    fs.appendFileSync(f, 'c1\nc2\n');
    await waitFor(has(h.lines, 'c2'), 'c2');
    fs.copyFileSync(f, `${f}.1`);
    fs.truncateSync(f, 0);
    fs.appendFileSync(f, 'd1\n');
    await waitFor(has(h.lines, 'd1'), 'd1');
    fs.appendFileSync(f, 'd2\n');
    await waitFor(has(h.lines, 'd2'), 'd2');
    expect(h.lines).toEqual(['c1', 'c2', 'd1', 'd2']);
  });

  it('notices a truncate-and-rewrite that grew past the old offset (first line changed)', async () => {
    const f = path.join(dir, 'app.log');
    fs.writeFileSync(f, 'header one\n');
    const h = makeTailer({ paths: [f], pollInterval: 600_000 });
    await h.tailer.start();
    fs.appendFileSync(f, 'x1\n');
    await waitFor(has(h.lines, 'x1'), 'x1');
    await h.tailer.poll();
    // Synchronously, so the tailer cannot look in between: truncate, then write more than before.
    fs.truncateSync(f, 0);
    fs.appendFileSync(f, 'header two\ny1\ny2\ny3\n');
    await h.tailer.poll();
    await waitFor(has(h.lines, 'y3'), 'y3');
    expect(h.lines).toEqual(['x1', 'header two', 'y1', 'y2', 'y3']);
  });

  // A log with a constant first line (a header), copytruncated and rewritten past the old offset:
  // same inode, same first line — only the bytes before the offset tell that the content is new.
  const header = '# constant header of app.log\n';
  const batch = (tag: string, from: number, n: number) => Array.from({ length: n }, (_, i) => `${tag} line ${String(from + i).padStart(4, '0')}`);

  it('notices a copytruncate with a constant header rewritten past the old offset (800 of 800 lines)', async () => {
    const f = path.join(dir, 'app.log');
    fs.writeFileSync(f, header);
    const h = makeTailer({ paths: [f], pollInterval: 600_000 });
    await h.tailer.start();
    const before = batch('old', 0, 400);
    fs.appendFileSync(f, before.map((l) => `${l}\n`).join(''));
    await waitFor(has(h.lines, before.at(-1)!), 'the last line before rotation');
    await h.tailer.poll();
    // copytruncate (logrotate: copy, then truncate in place), then the writer goes on writing.
    fs.copyFileSync(f, `${f}.1`);
    fs.truncateSync(f, 0);
    const after = batch('new', 400, 400);
    fs.appendFileSync(f, header + after.map((l) => `${l}\n`).join('') + 'new line tail\n');
    await h.tailer.poll();
    await waitFor(has(h.lines, 'new line tail'), 'the last line after rotation');
    const seen = h.lines.filter((l) => / line \d{4}$/.test(l));
    expect(seen).toEqual([...before, ...after]);
    expect(seen).toHaveLength(800);
  });

  it('on resume, reads from the beginning a file copytruncated and rewritten past the saved offset (same header)', async () => {
    const f = path.join(dir, 'app.log');
    const before = batch('old', 0, 400);
    fs.writeFileSync(f, header + before.map((l) => `${l}\n`).join(''));
    const h1 = makeTailer({ paths: [f], fromStart: true });
    await h1.tailer.start();
    await waitFor(has(h1.lines, before.at(-1)!), 'the last line before the restart');
    await h1.tailer.stop();
    const saved: TailPosition[] = JSON.parse(JSON.stringify(h1.tailer.positions()));
    expect(saved[0]!.tailHash).toMatch(/^[0-9a-f]{64}$/);
    // While stopped: copytruncate, and more is written than there was.
    fs.copyFileSync(f, `${f}.1`);
    fs.truncateSync(f, 0);
    const after = batch('new', 400, 450);
    fs.appendFileSync(f, header + after.map((l) => `${l}\n`).join(''));
    const h2 = makeTailer({ paths: [f], positions: saved });
    await h2.tailer.start();
    await waitFor(has(h2.lines, after.at(-1)!), 'the last line after the restart');
    expect(h2.lines).toEqual([header.trimEnd(), ...after]);
    // Positions saved by an older version (no tailHash) still resume at their offset.
    const old = saved.map(({ tailHash: _, ...p }) => ({ ...p, offset: fs.statSync(f).size }));
    fs.appendFileSync(f, 'later\n');
    const h3 = makeTailer({ paths: [f], positions: old });
    await h3.tailer.start();
    await waitFor(has(h3.lines, 'later'), 'the line written after the old-style position');
    expect(h3.lines).toEqual(['later']);
  });

  it('picks up a file that appears later (from its beginning)', async () => {
    const f = path.join(dir, 'later.log');
    const h = makeTailer({ paths: [f] });
    await h.tailer.start();
    expect(h.tailer.positions()).toEqual([]);
    fs.writeFileSync(f, 'l1\nl2\n');
    await waitFor(has(h.lines, 'l2'), 'l2');
    fs.appendFileSync(f, 'l3\n');
    await waitFor(has(h.lines, 'l3'), 'l3');
    expect(h.lines).toEqual(['l1', 'l2', 'l3']);
  });

  it('picks up a file whose directory does not exist yet', async () => {
    const f = path.join(dir, 'sub', 'deeper', 'app.log');
    const h = makeTailer({ paths: [f] });
    await h.tailer.start();
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, 'n1\n');
    await waitFor(has(h.lines, 'n1'), 'n1');
    fs.appendFileSync(f, 'n2\n');
    await waitFor(has(h.lines, 'n2'), 'n2');
    expect(h.lines).toEqual(['n1', 'n2']);
  });

  it('closes a deleted file after reading it and picks it up again when recreated', async () => {
    const f = path.join(dir, 'app.log');
    fs.writeFileSync(f, '');
    const h = makeTailer({ paths: [f] });
    await h.tailer.start();
    fs.appendFileSync(f, 'x1\nx2');
    await waitFor(has(h.lines, 'x1'), 'x1');
    fs.unlinkSync(f);
    await waitFor(() => h.tailer.positions().length === 0, 'deleted file to be dropped');
    expect(h.lines).toEqual(['x1', 'x2']);
    fs.writeFileSync(f, 'y1\n');
    await waitFor(has(h.lines, 'y1'), 'y1');
    expect(h.lines).toEqual(['x1', 'x2', 'y1']);
  });

  it('follows a glob dir/*.log, including files created later, and ignores non-matching files', async () => {
    fs.writeFileSync(path.join(dir, 'a.log'), 'a-old\n');
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'n-old\n');
    const h = makeTailer({ paths: [path.join(dir, '*.log')] });
    await h.tailer.start();
    fs.appendFileSync(path.join(dir, 'a.log'), 'a-new\n');
    fs.writeFileSync(path.join(dir, 'b.log'), 'b1\nb2\n');
    fs.writeFileSync(path.join(dir, 'c.txt'), 'c1\n');
    fs.writeFileSync(path.join(dir, '.hidden.log'), 'h1\n');
    fs.appendFileSync(path.join(dir, 'notes.txt'), 'n-new\n');
    await waitFor(() => h.lines.includes('a-new') && h.lines.includes('b2'), 'a-new and b2');
    await h.tailer.poll();
    expect(h.byPath.get(path.join(dir, 'a.log'))).toEqual(['a-new']);
    expect(h.byPath.get(path.join(dir, 'b.log'))).toEqual(['b1', 'b2']);
    expect([...h.byPath.keys()].sort()).toEqual([path.join(dir, 'a.log'), path.join(dir, 'b.log')]);
  });

  it('follows a recursive glob with braces into directories created later', async () => {
    const h = makeTailer({ paths: [path.join(dir, '**', '{access,error}.log')] });
    await h.tailer.start();
    fs.mkdirSync(path.join(dir, 'site1', 'nested'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'site1', 'nested', 'access.log'), 'acc\n');
    fs.writeFileSync(path.join(dir, 'site1', 'error.log'), 'err\n');
    fs.writeFileSync(path.join(dir, 'site1', 'other.log'), 'other\n');
    fs.writeFileSync(path.join(dir, 'error.log'), 'top\n');
    await waitFor(() => ['acc', 'err', 'top'].every((l) => h.lines.includes(l)), 'acc, err, top');
    await h.tailer.poll();
    expect([...h.lines].sort()).toEqual(['acc', 'err', 'top']);
  });

  it('keeps following a rotated file that still matches the glob, without re-reading it', async () => {
    const f = path.join(dir, 'auth.log');
    fs.writeFileSync(f, '');
    const h = makeTailer({ paths: [path.join(dir, 'auth.log*')] });
    await h.tailer.start();
    fs.appendFileSync(f, 'r1\nr2\n');
    await waitFor(has(h.lines, 'r2'), 'r2');
    fs.renameSync(f, `${f}.1`);
    fs.writeFileSync(f, 's1\n');
    await waitFor(has(h.lines, 's1'), 's1');
    fs.appendFileSync(`${f}.1`, 'late-old\n');
    await waitFor(has(h.lines, 'late-old'), 'late-old');
    await h.tailer.poll();
    expect([...h.lines].sort()).toEqual(['late-old', 'r1', 'r2', 's1']);
    expect(h.byPath.get(`${f}.1`)).toEqual(['late-old']);
  });

  it('resumes from saved positions without repeating or losing lines', async () => {
    const f = path.join(dir, 'app.log');
    fs.writeFileSync(f, 'p1\np2\n');
    const h1 = makeTailer({ paths: [f], fromStart: true });
    await h1.tailer.start();
    await waitFor(has(h1.lines, 'p2'), 'p2');
    fs.appendFileSync(f, 'p3\nhalf');
    await waitFor(has(h1.lines, 'p3'), 'p3');
    await h1.tailer.poll();
    await h1.tailer.stop();
    await h1.tailer.stop(); // twice is fine
    const saved: TailPosition[] = JSON.parse(JSON.stringify(h1.tailer.positions()));
    expect(saved).toHaveLength(1);
    expect(saved[0]!.offset).toBe('p1\np2\np3\n'.length);
    expect(saved[0]!.firstLineHash).toMatch(/^[0-9a-f]{64}$/);
    expect(h1.lines).toEqual(['p1', 'p2', 'p3']);

    // Written while stopped.
    fs.appendFileSync(f, '-line\nq1\n');
    const h2 = makeTailer({ paths: [f], positions: saved, fromStart: true });
    await h2.tailer.start();
    await waitFor(has(h2.lines, 'q1'), 'q1');
    fs.appendFileSync(f, 'q2\n');
    await waitFor(has(h2.lines, 'q2'), 'q2');
    expect(h2.lines).toEqual(['half-line', 'q1', 'q2']);
  });

  it('on resume, finishes a file rotated while stopped before reading the new one', async () => {
    const f = path.join(dir, 'auth.log');
    fs.writeFileSync(f, 'o0\n');
    const h1 = makeTailer({ paths: [f] });
    await h1.tailer.start();
    fs.appendFileSync(f, 'o1\n');
    await waitFor(has(h1.lines, 'o1'), 'o1');
    await h1.tailer.stop();
    const saved = h1.tailer.positions();

    fs.appendFileSync(f, 'o2\no3\nlast-partial');
    fs.renameSync(f, `${f}.1`);
    fs.writeFileSync(path.join(dir, 'unrelated'), 'zzz\n');
    fs.writeFileSync(f, 'n1\nn2\n');

    const h2 = makeTailer({ paths: [f], positions: saved });
    await h2.tailer.start();
    await waitFor(has(h2.lines, 'n2'), 'n2');
    fs.appendFileSync(f, 'n3\n');
    await waitFor(has(h2.lines, 'n3'), 'n3');
    expect(h1.lines).toEqual(['o1']);
    expect(h2.lines).toEqual(['o2', 'o3', 'last-partial', 'n1', 'n2', 'n3']);
    expect(h2.byPath.get(f)).toEqual(h2.lines);
    expect(h2.tailer.positions()).toHaveLength(1);
  });

  it('on resume with a glob that also matches the rotated name, reads the old file first', async () => {
    const f = path.join(dir, 'auth.log');
    fs.writeFileSync(f, 'o0\n');
    const h1 = makeTailer({ paths: [path.join(dir, 'auth.log*')] });
    await h1.tailer.start();
    fs.appendFileSync(f, 'o1\n');
    await waitFor(has(h1.lines, 'o1'), 'o1');
    await h1.tailer.stop();
    const saved = h1.tailer.positions();

    fs.appendFileSync(f, 'o2\n');
    fs.renameSync(f, `${f}.1`);
    fs.writeFileSync(f, 'n1\n');

    const h2 = makeTailer({ paths: [path.join(dir, 'auth.log*')], positions: saved });
    await h2.tailer.start();
    await waitFor(has(h2.lines, 'n1'), 'n1');
    await h2.tailer.poll();
    expect(h2.lines).toEqual(['o2', 'n1']);
    expect(h2.byPath.get(`${f}.1`)).toEqual(['o2']);
  });

  it('on resume, reads a different file at a saved path from its beginning (even if the inode is reused)', async () => {
    const f = path.join(dir, 'app.log');
    fs.writeFileSync(f, 'first-A\nmore-A\n');
    const h1 = makeTailer({ paths: [f], fromStart: true });
    await h1.tailer.start();
    await waitFor(has(h1.lines, 'more-A'), 'more-A');
    await h1.tailer.stop();
    const saved = h1.tailer.positions();

    fs.unlinkSync(f);
    fs.writeFileSync(f, 'first-B\nmore-B\nand-more-B\n'); // may well get the same inode number
    const h2 = makeTailer({ paths: [f], positions: saved });
    await h2.tailer.start();
    await waitFor(has(h2.lines, 'and-more-B'), 'and-more-B');
    expect(h2.lines).toEqual(['first-B', 'more-B', 'and-more-B']);
  });

  it('drops lines longer than maxLineLength up to their newline, and counts them', async () => {
    const f = path.join(dir, 'app.log');
    fs.writeFileSync(f, '');
    const overlong: string[] = [];
    const h = makeTailer({ paths: [f], maxLineLength: 10, onOverlong: (p) => overlong.push(p) });
    await h.tailer.start();
    fs.appendFileSync(f, `short\n${'x'.repeat(25)}\nafter\n${'0123456789'}\r\n`);
    await waitFor(has(h.lines, 'after'), 'after');
    // A long line arriving in pieces.
    fs.appendFileSync(f, 'y'.repeat(8));
    await h.tailer.poll();
    fs.appendFileSync(f, 'y'.repeat(8));
    await h.tailer.poll();
    fs.appendFileSync(f, 'yyy\nz\n');
    await waitFor(has(h.lines, 'z'), 'z');
    expect(h.lines).toEqual(['short', 'after', '0123456789', 'z']);
    expect(overlong).toEqual([f, f]);
    expect(h.tailer.overlongLines).toBe(2);
    // An unterminated overlong last line of a finished file is dropped too.
    fs.appendFileSync(f, `${'w'.repeat(11)}`);
    await h.tailer.stop();
    expect(h.lines.at(-1)).toBe('z');
  });

  it('never delivers a line cut so that a forged end sits exactly at maxLineLength', async () => {
    const f = path.join(dir, 'auth.log');
    fs.writeFileSync(f, '');
    const h = makeTailer({ paths: [f] }); // the default, 65536 bytes
    await h.tailer.start();
    const head = 'Jan  5 01:31:41 www sshd[1643]: Failed password for invalid user ';
    const decoy = ' from 198.51.100.203 port 22 ssh2';
    const user = 'a'.repeat(65_536 - head.length - decoy.length);
    const forged = head + user + decoy;
    expect(Buffer.byteLength(forged)).toBe(65_536);
    const normal = 'Jan  5 01:31:42 www sshd[1644]: Failed password for root from 203.0.113.7 port 22 ssh2';
    // Written in pieces, so the long line spans reads as well as arriving whole.
    fs.appendFileSync(f, forged.slice(0, 40_000));
    await h.tailer.poll();
    fs.appendFileSync(f, `${forged.slice(40_000)} from 203.0.113.9 port 22 ssh2\n${normal}\n`);
    fs.appendFileSync(f, `${forged} from 203.0.113.9 port 22 ssh2\n${normal}\n`);
    await waitFor(() => h.lines.length >= 2, 'two normal lines');
    expect(h.lines).toEqual([normal, normal]);
    expect(h.tailer.overlongLines).toBe(2);
  });

  it('reads a large file from the start in chunks, with lines spanning chunk boundaries', async () => {
    const f = path.join(dir, 'big.log');
    const expected: string[] = [];
    const parts: string[] = [];
    for (let i = 0; i < 60_000; i++) {
      const l = `line ${i} ${'abcdefghij'.repeat(i % 7)}`;
      expected.push(l);
      parts.push(l + (i % 3 === 0 ? '\r\n' : '\n'));
    }
    fs.writeFileSync(f, parts.join(''));
    let batches = 0;
    const orig: string[] = [];
    const t = new FileTailer({
      paths: [f],
      fromStart: true,
      pollInterval: 100,
      onLines: (ls) => {
        batches++;
        for (const l of ls) orig.push(l.toString());
      },
    });
    tailers.push(t);
    await t.start();
    await waitFor(() => orig.length >= expected.length, 'all lines', 15_000);
    expect(orig).toEqual(expected);
    expect(batches).toBeGreaterThan(1);
    expect(t.positions()[0]!.offset).toBe(fs.statSync(f).size);
  });

  it('strips CR of CRLF line endings, also when CR and LF arrive separately', async () => {
    const f = path.join(dir, 'app.log');
    fs.writeFileSync(f, '');
    const h = makeTailer({ paths: [f] });
    await h.tailer.start();
    fs.appendFileSync(f, 'a\r\nb\r\n\r\nin\rside\r\nc\r');
    await waitFor(has(h.lines, 'in\rside'), 'in\\rside');
    await h.tailer.poll();
    fs.appendFileSync(f, '\nd\n');
    await waitFor(has(h.lines, 'd'), 'd');
    expect(h.lines).toEqual(['a', 'b', '', 'in\rside', 'c', 'd']);
  });

  it('serialises delivery and awaits onLines (back-pressure)', async () => {
    const f = path.join(dir, 'app.log');
    fs.writeFileSync(f, '');
    const got: string[] = [];
    let active = 0;
    let maxActive = 0;
    const t = new FileTailer({
      paths: [f, path.join(dir, 'other.log')],
      pollInterval: 50,
      onLines: async (ls) => {
        active++;
        maxActive = Math.max(maxActive, active);
        await sleep(15);
        for (const l of ls) got.push(l.toString());
        active--;
      },
    });
    tailers.push(t);
    await t.start();
    for (let i = 0; i < 20; i++) {
      fs.appendFileSync(f, `s${i}\n`);
      fs.appendFileSync(path.join(dir, 'other.log'), `o${i}\n`);
      await sleep(5);
    }
    await waitFor(() => got.includes('s19') && got.includes('o19'), 's19 and o19');
    expect(maxActive).toBe(1);
    expect(got.filter((l) => l.startsWith('s'))).toEqual(Array.from({ length: 20 }, (_, i) => `s${i}`));
    expect(got.filter((l) => l.startsWith('o'))).toEqual(Array.from({ length: 20 }, (_, i) => `o${i}`));
  });

  it('reports errors thrown by onLines and keeps going', async () => {
    const f = path.join(dir, 'app.log');
    fs.writeFileSync(f, '');
    const got: string[] = [];
    const errors: string[] = [];
    const t = new FileTailer({
      paths: [f],
      pollInterval: 100,
      onLines: (ls) => {
        for (const l of ls) {
          const s = l.toString();
          if (s === 'boom') throw new Error('consumer failed');
          got.push(s);
        }
      },
      onError: (err) => errors.push(err.message),
    });
    tailers.push(t);
    await t.start();
    fs.appendFileSync(f, 'boom\n');
    await waitFor(() => errors.length > 0, 'error');
    fs.appendFileSync(f, 'fine\n');
    await waitFor(() => got.includes('fine'), 'fine');
    expect(errors).toEqual(['consumer failed']);
  });

  it.skipIf(process.getuid?.() === 0)('reports permission errors once and retries on later polls', async () => {
    const f = path.join(dir, 'secret.log');
    fs.writeFileSync(f, 'one\n');
    fs.chmodSync(f, 0o000);
    const h = makeTailer({ paths: [f], fromStart: true });
    await h.tailer.start();
    await h.tailer.poll();
    await h.tailer.poll();
    expect(h.errors.length).toBe(1);
    expect((h.errors[0]!.err as NodeJS.ErrnoException).code).toBe('EACCES');
    fs.chmodSync(f, 0o644);
    await waitFor(has(h.lines, 'one'), 'one');
  });

  it('validates options and is safe to stop without start', async () => {
    expect(() => new FileTailer({ paths: [], onLines: () => {} })).toThrow(TypeError);
    expect(() => new FileTailer({ paths: ['x'], onLines: () => {}, maxLineLength: 0 })).toThrow(RangeError);
    expect(() => new FileTailer({ paths: ['x'], onLines: () => {}, pollInterval: -1 })).toThrow(RangeError);
    const t = new FileTailer({ paths: [path.join(dir, 'x.log')], onLines: () => {} });
    await t.stop();
    await t.stop();
    await t.poll();
  });
});

describe('FileTailer: `more` with each delivery', () => {
  it('is true while the bytes already there are read on at once, false on the last of them', async () => {
    const f = path.join(dir, 'app.log');
    // 1 MiB and a bit: five chunks of 256 KiB, read in one go.
    const line = `${'x'.repeat(99)}\n`;
    fs.writeFileSync(f, line.repeat(10_600));
    const seen: { count: number; more: boolean }[] = [];
    const t = new FileTailer({ paths: [f], fromStart: true, pollInterval: 100, onLines: (ls, _p, more) => void seen.push({ count: ls.length, more }) });
    tailers.push(t);
    await t.start();
    await waitFor(() => seen.reduce((n, s) => n + s.count, 0) === 10_600, 'all 10,600 lines');
    expect(seen.length).toBe(5);
    expect(seen.map((s) => s.more)).toEqual([true, true, true, true, false]);
    // A line appended later comes alone, and nothing follows it.
    fs.appendFileSync(f, 'late\n');
    await waitFor(() => seen.length === 6, 'the appended line');
    expect(seen[5]).toEqual({ count: 1, more: false });
  });
});
