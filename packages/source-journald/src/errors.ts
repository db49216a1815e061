/**
 * The errors this source reports. Each has a stable code, a full sentence and a fix; they go to
 * `ctx.error` once per failure streak (not on every retry), so a missing journalctl is one log line.
 */
import { F2bError, messageOf } from '@f2b/core';

const q = (s: string) => `"${s}"`;

const RETRY = 'f2b keeps retrying with backoff and resumes after the last processed entry.';

export const journaldErrors = {
  missing: (path: string, jail: string, cause?: unknown) =>
    new F2bError('F2B_ERR_JOURNALCTL_MISSING',
      `journalctl was not found at ${q(path)}, so the journald source of the jail ${q(jail)} cannot read the journal.`, {
        cause, fix: `Install it (Debian/Ubuntu: \`apt-get install systemd\`), or set the source option "journalctlPath" to where it is. ${RETRY}`,
      }),

  cannotStart: (path: string, jail: string, cause: unknown) =>
    new F2bError('F2B_ERR_JOURNALCTL_START',
      `journalctl at ${q(path)} could not be started for the jail ${q(jail)}: ${messageOf(cause)}.`, {
        cause, fix: `Check that "journalctlPath" names an executable that f2b may run. ${RETRY}`,
      }),

  exited: (command: string, jail: string, how: string, stderr: string | undefined) =>
    new F2bError('F2B_ERR_JOURNALCTL_EXITED',
      `journalctl (the journald source of the jail ${q(jail)}) ${how}${stderr ? `; it said: ${stderr}` : ''}.`, {
        fix: `Run \`${command}\` to see the problem. f2b must be able to read the journal: run it as root, or in the group systemd-journal (or adm). ${RETRY}`,
      }),

  cursorRejected: (cursor: string, jail: string, fallback: string) =>
    new F2bError('F2B_ERR_JOURNALD_CURSOR',
      `journalctl rejected the saved cursor ${q(cursor)} of the jail ${q(jail)}; reading on ${fallback}.`, {
        fix: 'Nothing to do if this happens once (e.g. the journal was vacuumed or the state came from another machine). If it repeats, delete the state file or the saved position.',
      }),

  sinceRejected: (since: string, jail: string) =>
    new F2bError('F2B_ERR_JOURNALD_SINCE',
      `journalctl rejected since=${q(since)} of the jail ${q(jail)}; following new entries only.`, {
        fix: 'Write "since" as journalctl --since accepts it: "2024-05-01 10:00:00", "yesterday", "-1h", "@1714557600" (see man systemd.time).',
      }),

  stateFile: (file: string, what: 'read' | 'write', cause: unknown) =>
    new F2bError('F2B_ERR_JOURNALD_STATE_FILE',
      `The journald cursor file ${q(file)} could not be ${what === 'read' ? 'read' : 'written'}: ${messageOf(cause)}.`, {
        cause, fix: what === 'read'
          ? 'Check the file\'s permissions, or delete it to start at the end of the journal.'
          : 'Check that the directory exists or can be created and is writable by f2b; reading goes on, but a restart may repeat entries.',
      }),
} as const;
