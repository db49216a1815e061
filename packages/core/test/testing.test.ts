import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAnnotatedLog, evaluateConstraint } from '../src/testing/annotated.js';
import { checkAnnotatedLog, parseAnnotationTime, FAIL2BAN_SAMPLE_NOW } from '../src/testing/annotated-check.js';
import { createTestCore } from '../src/testing/test-core.js';
import { FakeClock } from '../src/testing/fake-clock.js';
import { definePlugin } from '../src/plugin.js';
import type { FilterDefinition } from '../src/filter/types.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'f2b-'));
  dirs.push(d);
  return d;
}
function write(dir: string, name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('parseAnnotatedLog', () => {
  it('failJSON applies to the next line only; comments and blank lines are skipped', () => {
    const dir = tempDir();
    const file = write(dir, 'sshd', [
      '# a comment',
      '# failJSON: {"match": true, "host": "192.0.2.1", "time": "2005-01-05T01:31:41", "user": "root", "desc": "x"}',
      'line one',
      '',
      'line two',
      '# failJSON: {"match": false}',
      'line three',
    ]);
    const blocks = parseAnnotatedLog(file);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]!.optionSets).toEqual([{}]);
    const lines = blocks[0]!.lines;
    expect(lines.map((l) => [l.text, l.lineNo])).toEqual([
      ['line one', 3],
      ['line two', 5],
      ['line three', 7],
    ]);
    expect(lines[0]!.file).toBe(file);
    expect(lines[0]!.annotation).toEqual({
      match: true,
      host: '192.0.2.1',
      time: '2005-01-05T01:31:41',
      constraint: undefined,
      extra: { user: 'root', desc: 'x' },
    });
    expect(lines[1]!.annotation).toBeUndefined();
    expect(lines[2]!.annotation).toMatchObject({ match: false, host: undefined });
  });

  it('CRLF line endings are handled', () => {
    const dir = tempDir();
    const file = join(dir, 'crlf');
    writeFileSync(file, '# failJSON: {"match": true}\r\nhello\r\n');
    const [block] = parseAnnotatedLog(file);
    expect(block!.lines.map((l) => [l.text, l.annotation?.match])).toEqual([['hello', true]]);
  });

  it('filterOptions starts a block: a list gives several option sets, an object one', () => {
    const dir = tempDir();
    const file = write(dir, 'f', [
      'before',
      '# filterOptions: [{"mode": "normal"}, {"mode": "aggressive"}]',
      'both modes',
      '# filterOptions: {"mode": "ddos"}',
      'ddos only',
    ]);
    const blocks = parseAnnotatedLog(file);
    expect(blocks.map((b) => [b.optionSets, b.lines.map((l) => l.text)])).toEqual([
      [[{}], ['before']],
      [[{ mode: 'normal' }, { mode: 'aggressive' }], ['both modes']],
      [[{ mode: 'ddos' }], ['ddos only']],
    ]);
  });

  it('fileOptions are defaults merged under every option set (the set wins)', () => {
    const dir = tempDir();
    const file = write(dir, 'f', [
      '# fileOptions: {"logtype": "file", "mode": "normal"}',
      'first',
      '# filterOptions: [{"mode": "aggressive"}, {"logtype": "journal"}]',
      'second',
    ]);
    const blocks = parseAnnotatedLog(file);
    expect(blocks[0]!.optionSets).toEqual([{ logtype: 'file', mode: 'normal' }]);
    expect(blocks[1]!.optionSets).toEqual([
      { logtype: 'file', mode: 'aggressive' },
      { logtype: 'journal', mode: 'normal' },
    ]);
  });

  it('addFILE includes another file of the same directory, in place', () => {
    const dir = tempDir();
    write(dir, 'extra', ['# failJSON: {"match": true, "host": "192.0.2.9"}', 'from extra']);
    const file = write(dir, 'main', ['main one', '# addFILE: "extra"', 'main two']);
    const blocks = parseAnnotatedLog(file);
    expect(blocks.flatMap((b) => b.lines.map((l) => [l.text, l.file, l.lineNo]))).toEqual([
      ['main one', file, 1],
      ['from extra', join(dir, 'extra'), 2],
      ['main two', file, 3],
    ]);
    expect(blocks[1]!.lines[0]!.annotation?.host).toBe('192.0.2.9');
  });

  it('a malformed annotation names file and line', () => {
    const dir = tempDir();
    const file = write(dir, 'bad', ['ok', '# failJSON: {"match": tru}', 'x']);
    expect(() => parseAnnotatedLog(file)).toThrow(`${file}:2`);
  });
});

describe('evaluateConstraint', () => {
  const v = (mode?: string, name = 'sshd') => ({ name, opts: mode === undefined ? {} : { mode } });

  it.each([
    ["opts.get('mode') == 'aggressive'", v('aggressive'), true],
    ["opts.get('mode') == 'aggressive'", v('normal'), false],
    ["opts.get('mode') != 'aggressive'", v('normal'), true],
    ["opts.get('mode') != 'aggressive'", v('aggressive'), false],
    ["opts.get('mode') in ('aggressive', 'ddos')", v('ddos'), true],
    ["opts.get('mode') in ('aggressive', 'ddos')", v('normal'), false],
    ["opts.get('mode') not in ('aggressive', 'ddos')", v('normal'), true],
    ["opts.get('mode') not in ('aggressive', 'ddos')", v('aggressive'), false],
    ['opts.get("mode") == "aggressive"', v('aggressive'), true],
    ["opts.get('mode') == None", v(), true],
    ["opts.get('mode', 'normal') == 'normal'", v(), true],
    ["opts.get('mode', 'normal') == 'normal'", v('ddos'), false],
    ["name == 'sshd'", v(), true],
    ["name == 'sshd'", v(undefined, 'dropbear'), false],
    ["name == 'sshd' and opts.get('mode') == 'ddos'", v('ddos'), true],
    ["name == 'sshd' and opts.get('mode') == 'ddos'", v('normal'), false],
    ["name == 'x' or opts.get('mode') == 'ddos'", v('ddos'), true],
    ["name == 'x' or opts.get('mode') == 'ddos'", v('normal'), false],
    ["not name == 'x'", v(), true],
    ["not (name == 'sshd')", v(), false],
    ["not not name == 'sshd'", v(), true],
    // and binds tighter than or
    ["name == 'sshd' or name == 'x' and name == 'y'", v(), true],
    ["(name == 'sshd' or name == 'x') and name == 'y'", v(), false],
    ["opts.get('mode') in ()", v('a'), false],
    ["opts.get('mode') in ('aggressive',)", v('aggressive'), true],
    ['1 == 1', v(), true],
    ['True != False', v(), true],
  ])('%s → %s', (expr, vars, expected) => {
    expect(evaluateConstraint(expr, vars)).toBe(expected);
  });

  it('compares strictly: the string "1" is not the number 1', () => {
    expect(evaluateConstraint("opts.get('n') == 1", { name: 'x', opts: { n: '1' } })).toBe(false);
    expect(evaluateConstraint("opts.get('n') == 1", { name: 'x', opts: { n: 1 } })).toBe(true);
  });

  it.each([
    "__import__('os')",
    "__import__('os').system('true') == 0",
    "opts.mode == 'aggressive'",
    "opts['mode'] == 'aggressive'",
    'len(name) == 4',
    "name.startswith('s')",
    "eval('1') == 1",
    "name == 'sshd' ; name",
    "name === 'sshd'",
    "name == 'sshd';",
    "name == 'sshd' + ''",
    "name < 'x'",
    'name',
    'name ==',
    "(name == 'sshd'",
    "name in 'sshd'",
    "name == 'sshd' and",
    '',
  ])('%j is not in the grammar and throws', (expr) => {
    expect(() => evaluateConstraint(expr, v('aggressive'))).toThrow();
  });
});

describe('checkAnnotatedLog', () => {
  const def: FilterDefinition = {
    id: 'mini-sshd',
    programs: ['sshd'],
    modes: ['normal', 'aggressive'],
    rules: [
      { id: 'failed', pattern: '^Failed password for (?:invalid user )?(?P<user>\\S+) from <HOST> port [0-9]+ ssh2$' },
      { id: 'no-ident', pattern: '^Did not receive identification string from <HOST>$', modes: ['aggressive'] },
    ],
  };
  const opts = { now: FAIL2BAN_SAMPLE_NOW, timezone: 'UTC' };

  it('counts right and wrong lines and reports host, time and user mismatches', () => {
    const dir = tempDir();
    const file = write(dir, 'sample', [
      '# right: match with host, time and user',
      '# failJSON: {"match": true, "host": "192.0.2.1", "time": "2005-01-05T01:31:41", "user": "root"}',
      'Jan  5 01:31:41 www sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2',
      '# right: no match expected, none found',
      '# failJSON: {"match": false}',
      'Jan  5 01:31:42 www sshd[1]: Accepted password for root from 192.0.2.1 port 22 ssh2',
      '# wrong host',
      '# failJSON: {"match": true, "host": "192.0.2.99"}',
      'Jan  5 01:31:43 www sshd[1]: Failed password for root from 192.0.2.2 port 22 ssh2',
      '# wrong time',
      '# failJSON: {"match": true, "host": "192.0.2.3", "time": "2005-01-05T01:00:00"}',
      'Jan  5 01:31:44 www sshd[1]: Failed password for root from 192.0.2.3 port 22 ssh2',
      '# wrong user',
      '# failJSON: {"match": true, "host": "192.0.2.4", "user": "admin"}',
      'Jan  5 01:31:45 www sshd[1]: Failed password for root from 192.0.2.4 port 22 ssh2',
      '# expected a match, got none',
      '# failJSON: {"match": true, "host": "192.0.2.5"}',
      'Jan  5 01:31:46 www sshd[1]: Connection closed by 192.0.2.5',
      '# expected none, got a match',
      '# failJSON: {"match": false}',
      'Jan  5 01:31:47 www sshd[1]: Failed password for root from 192.0.2.6 port 22 ssh2',
      '# not annotated: not counted',
      'Jan  5 01:31:48 www sshd[1]: Failed password for root from 192.0.2.7 port 22 ssh2',
      '# right: IPv6 and the host written differently from the normalised id',
      '# failJSON: {"match": true, "host": "2001:DB8:0:0::1"}',
      'Jan  5 01:31:49 www sshd[1]: Failed password for root from 2001:db8::1 port 22 ssh2',
    ]);
    const report = checkAnnotatedLog(def, file, opts);
    expect(report.total).toBe(8);
    expect(report.right).toBe(3);
    const byLine = Object.fromEntries(report.results.map((r) => [r.lineNo, r]));
    expect(byLine[3]!.ok).toBe(true);
    expect(byLine[3]!.failures.map((f) => f.id)).toEqual(['192.0.2.1']);
    expect(byLine[6]!.ok).toBe(true);
    expect(byLine[9]!.problems).toEqual(['expected host 192.0.2.99, got 192.0.2.2']);
    expect(byLine[12]!.problems).toHaveLength(1);
    expect(byLine[12]!.problems[0]).toMatch(/^expected time 2005-01-05T01:00:00, got 2005-01-05T01:31:44/);
    expect(byLine[15]!.problems).toEqual(['expected user "admin", got "root"']);
    expect(byLine[18]!.problems).toEqual(['expected a match, got none']);
    expect(byLine[21]!.problems).toEqual(['expected no match, got 192.0.2.6 (failed)']);
    expect(byLine[23]).toBeUndefined();
    expect(byLine[26]!.ok).toBe(true);
    expect(report.results.every((r) => r.file === file)).toBe(true);
  });

  it('runs each option set, and lines whose constraint is false are not counted', () => {
    const dir = tempDir();
    const file = write(dir, 'modes', [
      '# filterOptions: [{"mode": "normal"}, {"mode": "aggressive"}]',
      '# failJSON: {"match": true, "host": "192.0.2.1"}',
      'Jan  5 01:31:41 www sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2',
      '# failJSON: {"constraint": "opts.get(\'mode\') == \'aggressive\'", "match": true, "host": "192.0.2.2"}',
      'Jan  5 01:31:42 www sshd[1]: Did not receive identification string from 192.0.2.2',
      '# failJSON: {"constraint": "opts.get(\'mode\') != \'aggressive\'", "match": false}',
      'Jan  5 01:31:43 www sshd[1]: Did not receive identification string from 192.0.2.3',
    ]);
    const report = checkAnnotatedLog(def, file, opts);
    // line 3 in both modes, line 5 only in aggressive, line 7 only in normal
    expect(report.results.map((r) => [r.lineNo, r.run.mode, r.ok])).toEqual([
      [3, 'normal', true],
      [7, 'normal', true],
      [3, 'aggressive', true],
      [5, 'aggressive', true],
    ]);
    expect(report.total).toBe(4);
    expect(report.right).toBe(4);
  });

  it("the mode option overrides the file's option sets", () => {
    const dir = tempDir();
    const file = write(dir, 'm', [
      '# failJSON: {"match": true, "host": "192.0.2.2"}',
      'Jan  5 01:31:42 www sshd[1]: Did not receive identification string from 192.0.2.2',
    ]);
    expect(checkAnnotatedLog(def, file, opts).right).toBe(0);
    expect(checkAnnotatedLog(def, file, { ...opts, mode: 'aggressive' }).right).toBe(1);
  });

  it('an option set with an unknown mode counts its annotated lines as wrong', () => {
    const dir = tempDir();
    const file = write(dir, 'u', [
      '# filterOptions: {"mode": "nonsense"}',
      '# failJSON: {"match": true, "host": "192.0.2.1"}',
      'Jan  5 01:31:41 www sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2',
      'unannotated',
    ]);
    const report = checkAnnotatedLog(def, file, opts);
    expect(report.total).toBe(1);
    expect(report.right).toBe(0);
    expect(report.skippedReasons).toHaveLength(1);
    expect(report.skippedReasons[0]).toContain('nonsense');
  });

  it('test.condition skips an option set; logtype journal parses journal lines', () => {
    const dir = tempDir();
    const file = write(dir, 'j', [
      '# filterOptions: [{"logtype": "journal"}, {"logtype": "journal", "test.condition": "name == \'other\'"}]',
      '# failJSON: {"match": true, "host": "192.0.2.1"}',
      'srv sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2',
    ]);
    const report = checkAnnotatedLog(def, file, opts);
    expect(report.total).toBe(1);
    expect(report.right).toBe(1);
  });

  it('test.prefix-line is prepended before parsing', () => {
    const dir = tempDir();
    const file = write(dir, 'p', [
      '# fileOptions: {"test.prefix-line": "Jan  5 01:31:41 www sshd[1]: "}',
      '# failJSON: {"match": true, "host": "192.0.2.1", "time": "2005-01-05T01:31:41"}',
      'Failed password for root from 192.0.2.1 port 22 ssh2',
    ]);
    expect(checkAnnotatedLog(def, file, opts).right).toBe(1);
  });

  it('parseAnnotationTime: zone-less times are in the given zone, explicit offsets win', () => {
    expect(parseAnnotationTime('2005-01-05T01:31:41', 'UTC')).toBe(Date.UTC(2005, 0, 5, 1, 31, 41));
    expect(parseAnnotationTime('2005-01-05T01:31:41', 'Europe/Berlin')).toBe(Date.UTC(2005, 0, 5, 0, 31, 41));
    expect(parseAnnotationTime('2005-01-05T01:31:41.250+02:00', 'UTC')).toBe(Date.UTC(2005, 0, 4, 23, 31, 41, 250));
    expect(parseAnnotationTime('yesterday')).toBeNaN();
  });
});

describe('FakeClock', () => {
  it('fires due timers in order when time advances, including timers they set', () => {
    const clock = new FakeClock(1000);
    const log: string[] = [];
    clock.setTimer(50, () => {
      log.push(`a@${clock.now()}`);
      clock.setTimer(10, () => log.push(`c@${clock.now()}`));
    });
    clock.setTimer(20, () => log.push(`b@${clock.now()}`));
    const cancelled = clock.setTimer(30, () => log.push('never'));
    cancelled.cancel();
    clock.advance(49);
    expect(log).toEqual(['b@1020']);
    clock.advance(100);
    expect(log).toEqual(['b@1020', 'a@1050', 'c@1060']);
    expect(clock.now()).toBe(1149);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('createTestCore', () => {
  const filter: FilterDefinition = {
    id: 'demo',
    rules: [{ id: 'auth-failure', pattern: '^auth failure for (?P<user>\\S+) from <HOST>$' }],
  };
  const plugin = definePlugin({
    meta: { name: 'f2b-filter-demo', version: '1.0.0', core: '*' },
    apply(core) {
      core.registerFilter(filter);
    },
  });
  const jail = { filter: 'demo', maxretry: 3, findtime: 600, bantime: 600 };

  it('maxretry failures → a ban is recorded; bantime later → an unban', async () => {
    const t = await createTestCore({ plugins: [plugin], jail });
    t.push('auth failure for root from 192.0.2.1', 'auth failure for root from 192.0.2.1');
    await t.flush();
    expect(t.bans).toHaveLength(0);
    t.push('auth failure for admin from 192.0.2.1');
    await t.flush();
    expect(t.bans).toHaveLength(1);
    expect(t.bans[0]).toMatchObject({
      jail: 'test',
      id: '192.0.2.1',
      start: t.clock.now(),
      end: t.clock.now() + 600_000,
      count: 1,
      failures: 3,
      rule: 'auth-failure',
    });
    expect(t.jail.status()).toMatchObject({ currentlyBanned: 1, banned: ['192.0.2.1'], totalBanned: 1, totalFailed: 3, lines: 3 });
    t.clock.advance(600_000 - 1);
    await t.flush();
    expect(t.unbans).toHaveLength(0);
    t.clock.advance(1);
    await t.flush();
    expect(t.unbans).toEqual([{ jail: 'test', id: '192.0.2.1', time: t.bans[0]!.end, reason: 'expired' }]);
    expect(t.jail.status().currentlyBanned).toBe(0);
    await t.jail.stop();
  });

  it('failures spread over more than findtime do not ban', async () => {
    const t = await createTestCore({ plugins: [plugin], jail: { ...jail, findtime: 60 } });
    for (let i = 0; i < 6; i++) {
      t.push('auth failure for root from 192.0.2.1');
      t.clock.advance(31_000);
    }
    await t.flush();
    expect(t.bans).toHaveLength(0);
    await t.jail.stop();
  });

  it('ignoreip prevents the ban', async () => {
    const t = await createTestCore({ plugins: [plugin], jail: { ...jail, ignoreip: ['192.0.2.0/24'] } });
    const ignored: string[] = [];
    t.core.hooks.ignored.tap('test', (f, _j, reason) => {
      ignored.push(`${f.id}:${reason}`);
    });
    for (let i = 0; i < 5; i++) t.push('auth failure for root from 192.0.2.1');
    t.push('auth failure for root from 198.51.100.1', 'auth failure for root from 198.51.100.1', 'auth failure for root from 198.51.100.1');
    await t.flush();
    expect(t.bans.map((b) => b.id)).toEqual(['198.51.100.1']);
    expect(ignored).toEqual(Array(5).fill('192.0.2.1:ignoreip'));
    expect(t.jail.stats.ignored).toBe(5);
    await t.jail.stop();
  });

  it('loopback addresses are never banned, even without ignoreip or ignoreself', async () => {
    const t = await createTestCore({ plugins: [plugin], jail: { ...jail, ignoreself: false } });
    for (let i = 0; i < 5; i++) {
      t.push(
        'auth failure for root from 127.0.0.1',
        'auth failure for root from ::1',
        'auth failure for root from 127.8.9.10',
        'auth failure for root from ::ffff:127.0.0.1',
      );
    }
    await t.flush();
    expect(t.bans).toEqual([]);
    expect(t.jail.stats.ignored).toBe(20);
    await t.jail.stop();
  });

  it('an ignore hook can veto a ban', async () => {
    const t = await createTestCore({ plugins: [plugin], jail });
    t.core.hooks.ignore.tap('allow-root', (f) => (f.captures.user === 'root' ? 'root is fine' : undefined));
    for (let i = 0; i < 3; i++) t.push('auth failure for root from 192.0.2.1');
    for (let i = 0; i < 3; i++) t.push('auth failure for bob from 192.0.2.2');
    await t.flush();
    expect(t.bans.map((b) => b.id)).toEqual(['192.0.2.2']);
    await t.jail.stop();
  });

  it('dated lines older than findtime do not ban', async () => {
    const t = await createTestCore({ plugins: [plugin], jail, start: '2024-01-15T12:00:00Z' });
    for (let i = 0; i < 5; i++) t.push(`2024-01-15T10:00:0${i}Z auth failure for root from 192.0.2.1`);
    await t.flush();
    expect(t.bans).toHaveLength(0);
    for (let i = 0; i < 3; i++) t.push(`2024-01-15T11:59:0${i}Z auth failure for root from 192.0.2.1`);
    await t.flush();
    expect(t.bans).toHaveLength(1);
    await t.jail.stop();
  });
});
