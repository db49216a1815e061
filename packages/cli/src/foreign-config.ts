/**
 * A config f2b does not read but recognises: fail2ban's jail.conf / jail.local (INI sections). Named
 * with --config, it is refused with a pointer to `f2b import fail2ban` instead of a parse error.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { errors } from '@f2b/core';

/** Throws F2B_ERR_CONFIG_FORMAT when `file` is fail2ban's configuration. */
export function refuseFail2banConfig(file: string | undefined): void {
  if (!file) return;
  const path = resolve(file);
  const ext = extname(path);
  if (['.json', '.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'].includes(ext)) return;
  if (ext !== '.local' && ext !== '.conf' && !startsWithSection(path)) return;
  throw errors.F2B_ERR_CONFIG_FORMAT(
    path,
    "is fail2ban's configuration (INI sections such as [DEFAULT] and [sshd]), which f2b does not read",
    `Convert it once: \`f2b import fail2ban ${dirname(path)} --write /etc/f2b/f2b.config.yaml\` (it reads jail.conf, jail.d/ and jail.local there, as fail2ban does), then \`f2b start -c /etc/f2b/f2b.config.yaml\`. See docs/migration.md.`,
  );
}

/** Whether the first line that is not blank or a comment is an INI `[section]` header. */
function startsWithSection(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return false; // the loader reports a missing or unreadable file
  }
  try {
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const first = buf
      .subarray(0, n)
      .toString('utf8')
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l && !l.startsWith('#') && !l.startsWith(';'));
    return first !== undefined && /^\[[A-Za-z][A-Za-z0-9_. -]*\]$/.test(first);
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}
