/**
 * The daemon's log lines go to stderr in one write per turn of the event loop (logger.ts): a batch
 * of 1,000 bans is one system call, not 1,000 on the ban path. Run in child processes (real
 * stderr, a pipe): the writes are counted, and no line is lost when the process exits in the same
 * turn — by process.exit or an uncaught exception.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const LOGGER = fileURLToPath(new URL('../dist/logger.js', import.meta.url));

function child(body: string) {
  const script = `
    import { createLogger, flushStderr } from ${JSON.stringify(LOGGER)};
    let writes = 0;
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = (chunk, ...rest) => { writes++; return write(chunk, ...rest); };
    const log = createLogger('sshd', 'info');
    ${body}
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, JOURNAL_STREAM: '' } });
  return { stderr: r.stderr, stdout: r.stdout, status: r.status };
}

describe('log writes', () => {
  it('a turn that logs 1,000 lines writes them once, in order, after its synchronous code', () => {
    const r = child(`
      for (let i = 0; i < 1000; i++) log.notice('Ban 192.0.2.' + (i % 250) + ' #' + i);
      const before = writes;
      setImmediate(() => console.log(JSON.stringify({ before, after: writes })));
    `);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ before: 0, after: 1 });
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1000);
    lines.forEach((l, i) => expect(l).toMatch(new RegExp(`NOTICE \\[sshd\\] Ban 192\\.0\\.2\\.${i % 250} #${i}$`)));
  });

  it('a turn that logs more than 64 KiB writes in pieces as it goes', () => {
    const r = child(`
      for (let i = 0; i < 2000; i++) log.notice('x'.repeat(100));
      console.log(writes);
    `);
    expect(Number(r.stdout)).toBeGreaterThanOrEqual(3);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(2000);
  });

  it('lines logged just before process.exit, or an uncaught exception, are written', () => {
    const exit = child(`log.warn('the last words'); process.exit(3);`);
    expect(exit.status).toBe(3);
    expect(exit.stderr).toMatch(/WARN +\[sshd\] the last words\n/);
    const thrown = child(`log.error('before the crash'); throw new Error('boom');`);
    expect(thrown.status).not.toBe(0);
    expect(thrown.stderr).toMatch(/ERROR +\[sshd\] before the crash\n/);
    expect(thrown.stderr).toContain('boom');
  });

  it('flushStderr, or the FLUSH_EVENT on process, writes what is pending first: an error printed directly comes after the log', () => {
    const r = child(`log.info('first'); flushStderr(); process.stderr.write('f2b: then the error\\n');`);
    expect(r.stderr).toMatch(/INFO +\[sshd\] first\nf2b: then the error\n$/);
    const e = child(`log.info('second'); process.emit('f2b:flush-stderr'); process.stderr.write('f2b: then the error\\n');`);
    expect(e.stderr).toMatch(/INFO +\[sshd\] second\nf2b: then the error\n$/);
  });
});
