/**
 * The CLI's error report (`reportCliError`) comes after the daemon's log lines of the same turn,
 * which the logger gathers into one write at its end: the report asks it to flush first, through an
 * event on `process` (so that the client commands, which load the report, never load the logger).
 * The event's name is written in both packages: this test fails if they part. A child process, for
 * a real stderr.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const LOGGER = fileURLToPath(new URL('../../core/dist/logger.js', import.meta.url));
const ERRORS = fileURLToPath(new URL('../dist/errors.js', import.meta.url));

describe('reportCliError', () => {
  it('prints its error after the log lines logged before it in the same turn', () => {
    const script = `
      import { createLogger } from ${JSON.stringify(LOGGER)};
      import { reportCliError } from ${JSON.stringify(ERRORS)};
      const log = createLogger('f2b', 'info');
      log.info('Stopping 2 jail(s).');
      reportCliError(new Error('the store went away'));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, JOURNAL_STREAM: '' } });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/INFO +\[f2b\] Stopping 2 jail\(s\)\.\nf2b: Error: the store went away\n/);
  });
});
