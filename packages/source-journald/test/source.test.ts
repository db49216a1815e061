/**
 * The journald source against real journal files (written by systemd-journal-remote) and the real
 * journalctl: positioning, following, resuming, odd messages, failures, back-pressure.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Core, memoryLogger, pluginErrors, type F2bError, type LogEntry } from '@f2b/core';
import { FakeClock } from '@f2b/core/testing';
import journaldSource, { JournaldSource, resolveOptions, type JournaldSourceOptions, type JournaldTuning } from '../src/index.js';
import { journalToolsMissing, TestJournal } from './journal-writer.js';

const missing = journalToolsMissing();
if (missing) console.log(missing);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

const journals: TestJournal[] = [];
const running: JournaldSource[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  for (const j of journals.splice(0)) j.cleanup();
});

function journal(): TestJournal {
  const j = new TestJournal('f2b-journald-test-');
  journals.push(j);
  return j;
}

interface Harness {
  src: JournaldSource;
  got: LogEntry[];
  batches: number[];
  errors: F2bError[];
  logger: ReturnType<typeof memoryLogger>;
  messages(): string[];
}

const api = { name: '@f2b/source-journald', errors: pluginErrors };

function source(options: JournaldSourceOptions, extra: { saved?: unknown; tuning?: JournaldTuning; slowMs?: number; clock?: FakeClock } = {}): Harness {
  const got: LogEntry[] = [];
  const batches: number[] = [];
  const errors: F2bError[] = [];
  const logger = memoryLogger('source-journald');
  let inFlight = 0;
  const src = new JournaldSource(
    resolveOptions({ restartDelay: 50, maxRestartDelay: 200, ...options }, 'test', api),
    {
      jail: 'test',
      logger,
      saved: extra.saved,
      clock: extra.clock,
      error: (e) => errors.push(e as F2bError),
      entries: async (entries) => {
        expect(++inFlight).toBe(1); // never two batches at once
        batches.push(entries.length);
        got.push(...entries);
        if (extra.slowMs) await sleep(extra.slowMs);
        inFlight--;
      },
    },
    { healthyAfter: 60_000, killTimeout: 2000, ...extra.tuning },
  );
  running.push(src);
  return { src, got, batches, errors, logger, messages: () => got.map((e) => e.message.toString('utf8')) };
}

const range = (prefix: string, from: number, to: number) => Array.from({ length: to - from }, (_, i) => `${prefix} ${from + i}`);

describe.skipIf(!!missing)('journald source on real journal files', () => {
  it('starts at the end: only entries logged after start() are delivered, as parsed entries', async () => {
    const j = journal();
    j.log(['old 1', 'old 2']);
    const h = source({ directory: j.dir });
    await h.src.start();
    j.write([j.entry('Failed password for root from 192.0.2.1 port 22 ssh2', { identifier: 'sshd-session', pid: 99, host: 'web1' })]);
    await waitFor(() => h.got.length === 1, 'the new entry');
    const e = h.got[0]!;
    expect(e.message.toString()).toBe('Failed password for root from 192.0.2.1 port 22 ssh2');
    expect(e).toMatchObject({ program: 'sshd-session', pid: 99, host: 'web1', unit: 'ssh.service', dateFormat: 'journal' });
    expect(Math.abs(e.time! - Date.now())).toBeLessThan(60_000);
    expect(e.raw.toString()).toBe('web1 sshd-session[99]: Failed password for root from 192.0.2.1 port 22 ssh2');
    expect(h.src.cursor()).toMatch(/^s=[0-9a-f]+;i=/);
    expect(h.errors).toEqual([]);
  });

  it('lag: while catching up on old entries, how far behind now the last one handed on is; 0 once following', async () => {
    const j = journal();
    const hourAgo = Date.now() - 3_600_000;
    j.log(['old 1', 'old 2', 'old 3'], { time: hourAgo });
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let batches = 0;
    const src = new JournaldSource(
      resolveOptions({ directory: j.dir, since: `@${Math.floor(hourAgo / 1000) - 60}`, batchSize: 1 }, 'test', api),
      {
        jail: 'test',
        logger: memoryLogger('source-journald'),
        error: () => {},
        entries: () => (++batches === 2 ? held : undefined),
      },
      { healthyAfter: 60_000, killTimeout: 2000 },
    );
    running.push(src);
    const started = src.start(); // may wait for the catch-up, which the test holds
    await waitFor(() => batches === 2, 'the second old entry');
    expect(src.status().phase).toBe('catch-up');
    const [lag] = src.lag();
    expect(lag!.source).toBe('journal');
    expect(lag!.seconds).toBeGreaterThanOrEqual(3600);
    release();
    await started;
    await waitFor(() => src.status().phase === 'follow', 'the follow run');
    expect(src.lag()).toEqual([{ source: 'journal', seconds: 0 }]);
  });

  it('follows a file another process appends to, and new journal files in the directory', async () => {
    const j = journal();
    j.log(['before']);
    const h = source({ directory: j.dir });
    await h.src.start();
    j.log(range('same file', 0, 3));
    await waitFor(() => h.got.length === 3, 'appended entries');
    j.log(range('second file', 0, 3), { file: 'second.journal' });
    await waitFor(() => h.got.length === 6, 'entries of a new file');
    j.log(range('same file', 3, 5));
    await waitFor(() => h.got.length === 8, 'more appended entries');
    expect(h.messages()).toEqual([...range('same file', 0, 3), ...range('second file', 0, 3), ...range('same file', 3, 5)]);
  });

  it('starts on an empty directory and picks up the first journal file written into it', async () => {
    const j = journal();
    const h = source({ directory: j.dir });
    await h.src.start();
    j.log(['first ever']);
    await waitFor(() => h.got.length === 1, 'the first entry');
    expect(h.messages()).toEqual(['first ever']);
    expect(h.errors).toEqual([]);
  });

  it('before anything matched, the saved state is the start time: a restart still gets what came meanwhile', async () => {
    const j = journal();
    j.log(['not sshd'], { identifier: 'CRON', unit: 'cron.service' });
    const a = source({ directory: j.dir, preset: 'sshd' });
    await a.src.start();
    await a.src.stop();
    const saved = a.src.state();
    expect(saved).toEqual({ since: expect.stringMatching(/^@\d+$/) });
    j.log(['sshd while stopped']);
    const b = source({ directory: j.dir, preset: 'sshd' }, { saved });
    await b.src.start();
    await waitFor(() => b.got.length === 1, 'the entry logged while stopped');
    expect(b.messages()).toEqual(['sshd while stopped']);
  });

  it('replays from `since` (files option), then follows', async () => {
    const j = journal();
    const now = Date.now();
    j.log(['too old'], { time: now - 120_000 });
    j.log(['recent 1', 'recent 2'], { time: now - 30_000 });
    const h = source({ files: [join(j.dir, 'test.journal')], since: `@${Math.floor((now - 60_000) / 1000)}` });
    await h.src.start();
    await waitFor(() => h.got.length === 2, 'the replayed entries');
    j.log(['live']);
    await waitFor(() => h.got.length === 3, 'the followed entry');
    expect(h.messages()).toEqual(['recent 1', 'recent 2', 'live']);
    expect(h.src.state()).toEqual({ cursor: h.src.cursor() });
  });

  it('the sshd preset finds sshd entries that lost their unit, and nothing else', async () => {
    const j = journal();
    const h = source({ directory: j.dir, preset: 'sshd' });
    await h.src.start();
    j.write([
      j.entry('a: sshd in its unit', { identifier: 'sshd', unit: 'ssh.service' }),
      j.entry('b: cron', { identifier: 'CRON', unit: 'cron.service' }),
      j.entry('c: sshd-session without unit', { identifier: 'sshd-session', unit: null, extra: { _COMM: undefined } }),
      j.entry('d: sshd without unit', { identifier: 'sshd', unit: null }),
      j.entry('e: kernel', { identifier: 'kernel', unit: null }),
      j.entry('f: something in sshd.service', { identifier: 'other', unit: 'sshd.service' }),
      j.entry('g: last', { identifier: 'sshd' }),
    ]);
    await waitFor(() => h.got.length === 5, 'the sshd entries');
    await sleep(200);
    expect(h.messages()).toEqual(['a: sshd in its unit', 'c: sshd-session without unit', 'd: sshd without unit', 'f: something in sshd.service', 'g: last']);
  });

  it('delivers a binary MESSAGE (invalid UTF-8, newline) byte for byte', async () => {
    const j = journal();
    const h = source({ directory: j.dir });
    await h.src.start();
    const bytes = Buffer.concat([Buffer.from('Invalid user '), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(' from 192.0.2.7 port 22\nsecond line')]);
    j.write([j.entry(bytes), j.entry('after')]);
    await waitFor(() => h.got.length === 2, 'both entries');
    expect(h.got[0]!.message.equals(bytes)).toBe(true);
    expect(h.got[1]!.message.toString()).toBe('after');
  });

  it('delivers a very long MESSAGE cut to 64 KiB, and skips a record over maxRecordSize without losing the next', async () => {
    const j = journal();
    const h = source({ directory: j.dir, maxRecordSize: 512 * 1024 });
    await h.src.start();
    const long = `Failed password for root from 192.0.2.8 port 22 ssh2 ${'x'.repeat(200_000)}`;
    const huge = 'y'.repeat(600 * 1024);
    j.write([j.entry(long), j.entry(huge), j.entry('after the huge one')]);
    await waitFor(() => h.got.length === 2, 'the long entry and the one after the huge one');
    expect(h.got[0]!.message.length).toBe(64 * 1024);
    expect(h.got[0]!.message.toString()).toBe(long.slice(0, 64 * 1024));
    expect(h.got[1]!.message.toString()).toBe('after the huge one');
    expect(h.logger.records.filter((r) => r.level === 'warn').map((r) => r.msg)).toEqual([
      expect.stringMatching(/^Skipped a journal record longer than maxRecordSize \(524288 bytes\)/),
    ]);
    // The huge record's cursor is not needed: the next record's cursor covers it.
    expect(h.src.cursor()).toBe(j.read().at(-1)!.__CURSOR);
  });

  it('a restart in the middle of a burst resumes from the state file: nothing missed, nothing repeated', async () => {
    const j = journal();
    const stateFile = join(j.dir, 'state', 'cursor');
    const all = range('burst', 0, 1500);
    const a = source({ directory: j.dir, stateFile, batchSize: 25 }, { slowMs: 5 });
    await a.src.start();
    j.log(all);
    await waitFor(() => a.got.length >= 200, 'part of the burst');
    await a.src.stop();
    const firstPart = a.messages();
    expect(firstPart.length).toBeLessThan(all.length);
    expect(firstPart).toEqual(all.slice(0, firstPart.length));
    expect(readFileSync(stateFile, 'utf8').trim()).toBe(a.src.cursor());
    expect(a.batches.every((n) => n <= 25)).toBe(true);

    j.log(range('while stopped', 0, 5));
    const b = source({ directory: j.dir, stateFile, batchSize: 500 });
    await b.src.start();
    j.log(['after restart']);
    const rest = [...all.slice(firstPart.length), ...range('while stopped', 0, 5), 'after restart'];
    await waitFor(() => b.got.length === rest.length, 'the rest');
    await sleep(200);
    expect(b.messages()).toEqual(rest);
    expect(b.errors).toEqual([]);
  });

  it("resumes from the cursor option and from the state store (ctx.saved), including entries of the saved record's successors only", async () => {
    const j = journal();
    j.log(range('e', 0, 4));
    const records = j.read();
    const cursor = records[1]!.__CURSOR as string;
    const viaOption = source({ directory: j.dir, cursor });
    const viaStore = source({ directory: j.dir }, { saved: { cursor } });
    await viaOption.src.start();
    await viaStore.src.start();
    await waitFor(() => viaOption.got.length === 2 && viaStore.got.length === 2, 'the entries after the cursor');
    expect(viaOption.messages()).toEqual(['e 2', 'e 3']);
    expect(viaStore.messages()).toEqual(['e 2', 'e 3']);
    expect(viaStore.src.state()).toEqual({ cursor: records[3]!.__CURSOR });
  });

  it("with matches, resuming from a cursor whose entry doesn't match still loses nothing", async () => {
    // journalctl 252's --after-cursor would skip "sshd 1" here; the source uses --cursor.
    const j = journal();
    j.write([j.entry('cron 0', { identifier: 'CRON', unit: 'cron.service' }), j.entry('sshd 1'), j.entry('sshd 2')]);
    const cursor = j.read()[0]!.__CURSOR as string;
    const h = source({ directory: j.dir, preset: 'sshd', cursor });
    await h.src.start();
    await waitFor(() => h.got.length === 2, 'both sshd entries');
    expect(h.messages()).toEqual(['sshd 1', 'sshd 2']);
  });

  it("a cursor journalctl rejects is reported once and reading goes on from the cursor's time", async () => {
    const j = journal();
    const now = Date.now();
    j.log(['old'], { time: now - 120_000 });
    j.log(['kept 1', 'kept 2'], { time: now - 30_000 });
    const t = ((now - 60_000) * 1000).toString(16);
    const h = source({ directory: j.dir, cursor: `b=1;t=${t}` }); // b= must be a 128-bit boot id
    await h.src.start();
    await waitFor(() => h.got.length === 2, 'the entries after the cursor time');
    expect(h.messages()).toEqual(['kept 1', 'kept 2']);
    expect(h.errors.map((e) => e.code)).toEqual(['F2B_ERR_JOURNALD_CURSOR']);
  });

  it('a `since` journalctl rejects is reported once and reading starts at the end', async () => {
    const j = journal();
    j.log(['old']);
    const h = source({ directory: j.dir, since: 'not a time' });
    await h.src.start();
    // "The end" is where the journal ends when the source has found it: write only once it follows.
    await waitFor(() => h.errors.length === 1 && h.src.status().phase === 'follow', 'the source to follow from the end');
    j.log(['new']);
    await waitFor(() => h.got.length === 1, 'the new entry');
    expect(h.messages()).toEqual(['new']);
    expect(h.errors.map((e) => e.code)).toEqual(['F2B_ERR_JOURNALD_SINCE']);
  });

  it('an error journalctl prints is in the report (a directory that does not exist)', async () => {
    const j = journal();
    const h = source({ directory: join(j.dir, 'missing'), restartDelay: 20, maxRestartDelay: 40 });
    await h.src.start();
    await waitFor(() => h.src.status().runs >= 3, 'retries');
    expect(h.errors).toHaveLength(1);
    expect(h.errors[0]!.code).toBe('F2B_ERR_JOURNALCTL_EXITED');
    expect(h.errors[0]!.message).toMatch(/exited with code 1; it said: Failed to open .*missing/);
    expect(h.errors[0]!.fix).toMatch(/systemd-journal/);
  });

  it('journalctl missing: one error with a fix, retries with backoff, no crash', async () => {
    const h = source({ journalctlPath: '/nonexistent/journalctl', restartDelay: 20, maxRestartDelay: 40 });
    await h.src.start(); // resolves even though journalctl can't run
    await waitFor(() => h.src.status().runs >= 5, 'several attempts');
    expect(h.errors).toHaveLength(1);
    expect(h.errors[0]!.code).toBe('F2B_ERR_JOURNALCTL_MISSING');
    expect(h.errors[0]!.message).toContain('/nonexistent/journalctl');
    expect(h.errors[0]!.fix).toMatch(/journalctlPath/);
    await h.src.stop();
    expect(h.src.status().phase).toBe('stopped');
  });

  it("backoff doubles up to the cap on the core's clock and a journalctl that exits at once is reported once", async () => {
    const clock = new FakeClock();
    const h = source({ journalctlPath: '/bin/false', restartDelay: 40, maxRestartDelay: 160 }, { clock });
    await h.src.start();
    // Waits 40, 80, 160, 160 before the runs 2 to 5: each delay is a timer on the FakeClock.
    for (const [run, delay] of [
      [1, 40],
      [2, 80],
      [3, 160],
      [4, 160],
    ] as const) {
      await waitFor(() => h.src.status().runs === run && h.src.status().phase === 'waiting', `run ${run} to fail`);
      clock.advance(delay - 1);
      expect(h.src.status().runs).toBe(run); // not a millisecond early
      clock.advance(1);
    }
    await waitFor(() => h.src.status().runs === 5, 'the fifth attempt');
    expect(h.errors.map((e) => e.code)).toEqual(['F2B_ERR_JOURNALCTL_EXITED']);
    expect(h.errors[0]!.message).toMatch(/exited with code 1/);
  });

  it('journalctl killed: restarted, resumes at the last processed entry without loss or repeats, reported once', async () => {
    const j = journal();
    const h = source({ directory: j.dir, restartDelay: 300, maxRestartDelay: 300 });
    await h.src.start();
    j.log(range('k', 0, 3));
    await waitFor(() => h.got.length === 3 && h.src.status().phase === 'follow', 'the first entries');
    process.kill(h.src.status().pid!, 'SIGKILL');
    await waitFor(() => h.src.status().phase === 'waiting', 'the restart delay');
    j.log(range('k', 3, 6)); // logged while journalctl is down
    await waitFor(() => h.got.length === 6 && h.src.status().phase === 'follow', 'the entries logged while it was down');
    const pid = h.src.status().pid!;
    process.kill(pid, 'SIGTERM'); // a second failure in the same streak: not reported again
    await waitFor(() => h.src.status().phase === 'follow' && h.src.status().pid !== pid, 'the second restart');
    j.log(range('k', 6, 8));
    await waitFor(() => h.got.length === 8, 'the entries after the second restart');
    await sleep(200);
    expect(h.messages()).toEqual(range('k', 0, 8));
    expect(h.errors.map((e) => e.code)).toEqual(['F2B_ERR_JOURNALCTL_EXITED']);
    expect(h.errors[0]!.message).toMatch(/killed by SIGKILL/);
    expect(h.src.status().runs).toBeGreaterThanOrEqual(6); // 3 × (catch-up + follow)
  });

  it('back-pressure: a slow jail gets every entry in order, one batch at a time, at most batchSize each', async () => {
    const j = journal();
    const h = source({ directory: j.dir, batchSize: 100 }, { slowMs: 20 });
    await h.src.start();
    const all = range('bp', 0, 3000);
    j.log(all);
    await waitFor(() => h.got.length >= 200, 'the first batches');
    // While the jail is busy, journalctl is blocked writing to its full stdout (a socketpair in Node;
    // Linux shows where a process sleeps in /proc/PID/wchan).
    const pid = h.src.status().pid!;
    let wchan = '';
    try {
      wchan = readFileSync(`/proc/${pid}/wchan`, 'utf8');
    } catch {
      /* not Linux */
    }
    if (wchan && wchan !== '0') expect(wchan).toMatch(/pipe_write|sock_alloc_send|sk_stream_wait|unix_stream|wait_for_unix/);
    else console.log('back-pressure: /proc/PID/wchan not available, blocked write not checked');
    expect(h.got.length).toBeLessThan(all.length);
    await waitFor(() => h.got.length === all.length, 'every entry', 20_000);
    expect(h.messages()).toEqual(all);
    expect(Math.max(...h.batches)).toBeLessThanOrEqual(100);
  });

  it('stop() then start() again on the same instance resumes where it stopped', async () => {
    const j = journal();
    const h = source({ directory: j.dir });
    await h.src.start();
    j.log(['one']);
    await waitFor(() => h.got.length === 1, 'one');
    await h.src.stop();
    j.log(['two']);
    await h.src.start();
    j.log(['three']);
    await waitFor(() => h.got.length === 3, 'two and three');
    expect(h.messages()).toEqual(['one', 'two', 'three']);
  });

  it('is registered as source type "journald" and validates its options', async () => {
    const core = new Core({ logLevel: 'silent' });
    core.use(journaldSource());
    const def = core.getSource('journald')!.def;
    expect(def.schema).toBeDefined();
    const j = journal();
    const got: LogEntry[] = [];
    const inst = def.create(
      { directory: j.dir },
      {
        jail: 'x',
        lines: () => {},
        entries: (e) => {
          got.push(...e);
        },
        logger: memoryLogger(),
        error: () => {},
      },
    ) as JournaldSource;
    running.push(inst);
    await inst.start();
    j.log(['via plugin']);
    await waitFor(() => got.length === 1, 'the entry');
    expect(() => def.create({ directory: '/d', files: ['/f'] }, { jail: 'x', lines: () => {}, logger: memoryLogger(), error: () => {} })).toThrow(
      /F2B_ERR_PLUGIN_OPTIONS|cannot be combined/,
    );
  });

  it('writes the state file atomically (no temp file left) and reads it back', async () => {
    const j = journal();
    const stateFile = join(j.dir, 'cursor');
    writeFileSync(stateFile, 'garbage that is not a cursor\n');
    const h = source({ directory: j.dir, stateFile });
    await h.src.start(); // an unusable file is ignored: start at the end
    j.log(['x']);
    await waitFor(() => h.got.length === 1, 'x');
    await h.src.stop();
    expect(readFileSync(stateFile, 'utf8')).toBe(`${h.src.cursor()}\n`);
    expect(existsSync(`${stateFile}.${process.pid}.tmp`)).toBe(false);
  });
});
