/**
 * What a connection ended by sshd's MaxAuthTries stands for. sshd logs most failed attempts (every
 * password, every attempt of an invalid user) but refused public keys of a valid user only from the
 * (MaxAuthTries / 2)th failure on (auth.c auth_log, at INFO), and sometimes nothing at all before
 * `maximum authentication attempts exceeded`. Padding every such connection to MaxAuthTries bans
 * innocent users (three typos on a `MaxAuthTries 3` server, an agent offering its keys), so by default
 * the filter counts what sshd logged, and one attempt when it logged none. `maxauthtries: N` opts into
 * padding to N; `maxauthtries: auto` pads to the value the local sshd reports (`sshd -T`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Logger } from '@f2b/core';

/** Where Debian, RHEL and the BSDs/source builds install sshd; the first that exists is asked. */
export const SSHD_PATHS = ['/usr/sbin/sshd', '/usr/local/sbin/sshd', '/sbin/sshd'];
const SSHD_TIMEOUT_MS = 5000;

export interface MaxAuthTriesOptions {
  maxauthtries?: unknown;
  sshdPath?: unknown;
  sshdConfig?: unknown;
}

/** The padding target, or null: count what sshd logged. */
export function resolveMaxAuthTries(options: MaxAuthTriesOptions, logger: Logger): number | null {
  const opt = options.maxauthtries;
  if (typeof opt === 'number' && Number.isInteger(opt) && opt >= 1) return opt;
  if (opt !== 'auto') return null;
  const found = readSshdMaxAuthTries(
    typeof options.sshdPath === 'string' ? options.sshdPath : undefined,
    typeof options.sshdConfig === 'string' ? options.sshdConfig : undefined,
  );
  if (typeof found === 'number') {
    logger.info(`maxauthtries: auto: sshd's MaxAuthTries is ${found}; a connection ended by it counts ${found} attempts.`);
    return found;
  }
  logger.warn(
    `maxauthtries: auto: could not read sshd's MaxAuthTries (${found.problem}); counting the attempts sshd logged instead (one for a connection that logged none). ` +
      'Fix: make `sshd -T` work for the user f2b runs as (root; sshd needs its host keys and /run/sshd), set `sshdPath`/`sshdConfig`, or write the number: `maxauthtries: 6`.',
  );
  return null;
}

/** sshd's effective MaxAuthTries from `sshd -T` (argv, never a shell), or why it could not be read. */
export function readSshdMaxAuthTries(sshdPath?: string, sshdConfig?: string): number | { problem: string } {
  const path = sshdPath ?? SSHD_PATHS.find((p) => existsSync(p));
  if (path === undefined) return { problem: `no sshd found at ${SSHD_PATHS.join(', ')}` };
  const args = sshdConfig === undefined ? ['-T'] : ['-T', '-f', sshdConfig];
  const r = spawnSync(path, args, { encoding: 'utf8', timeout: SSHD_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] });
  const command = `${path} ${args.join(' ')}`;
  if (r.error) return { problem: `${command}: ${r.error.message}` };
  if (r.status !== 0) {
    const why = r.stderr.trim().split('\n')[0] ?? '';
    return { problem: `${command} exited with ${r.status ?? r.signal}${why ? `: ${JSON.stringify(why)}` : ''}` };
  }
  const m = /^maxauthtries (\d+)$/m.exec(r.stdout);
  const n = m ? Number(m[1]) : NaN;
  if (!Number.isInteger(n) || n < 1) return { problem: `${command} printed no "maxauthtries N" line` };
  return n;
}
