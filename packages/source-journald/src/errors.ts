/**
 * The errors this source reports, one row per code (the table style of `@f2b/kit`). Each has a
 * full sentence and a fix; they go to `ctx.error` once per failure streak (not on every retry), so a
 * missing journalctl is one log line.
 */
import { defineErrors, messageOf, quote as q } from '@f2b/kit';

const RETRY = 'f2b keeps retrying with backoff and resumes after the last processed entry.';

export const journaldErrors = defineErrors({
  F2B_ERR_JOURNALCTL_MISSING: {
    exit: 'failure',
    make: (path: string, jail: string, cause?: unknown) => ({
      message: `journalctl was not found at ${q(path)}, so the journald source of the jail ${q(jail)} cannot read the journal.`,
      cause,
      fix: `Install it (Debian/Ubuntu: \`apt-get install systemd\`), or set the source option "journalctlPath" to where it is. ${RETRY}`,
    }),
  },

  F2B_ERR_JOURNALCTL_START: {
    exit: 'failure',
    make: (path: string, jail: string, cause: unknown) => ({
      message: `journalctl at ${q(path)} could not be started for the jail ${q(jail)}: ${messageOf(cause)}.`,
      cause,
      fix: `Check that "journalctlPath" names an executable that f2b may run. ${RETRY}`,
    }),
  },

  F2B_ERR_JOURNALCTL_EXITED: {
    exit: 'failure',
    make: (command: string, jail: string, how: string, stderr: string | undefined) => ({
      message: `journalctl (the journald source of the jail ${q(jail)}) ${how}${stderr ? `; it said: ${stderr}` : ''}.`,
      fix: `Run \`${command}\` to see the problem. f2b must be able to read the journal: run it as root, or in the group systemd-journal (or adm). ${RETRY}`,
    }),
  },

  F2B_ERR_JOURNALD_CURSOR: {
    exit: 'failure',
    make: (cursor: string, jail: string, fallback: string) => ({
      message: `journalctl rejected the saved cursor ${q(cursor)} of the jail ${q(jail)}; reading on ${fallback}.`,
      fix: 'Nothing to do if this happens once (e.g. the journal was vacuumed or the state came from another machine). If it repeats, delete the state file or the saved position.',
    }),
  },

  F2B_ERR_JOURNALD_SINCE: {
    exit: 'usage',
    make: (since: string, jail: string) => ({
      message: `journalctl rejected since=${q(since)} of the jail ${q(jail)}; following new entries only.`,
      fix: 'Write "since" as journalctl --since accepts it: "2024-05-01 10:00:00", "yesterday", "-1h", "@1714557600" (see man systemd.time).',
    }),
  },

  F2B_ERR_JOURNALD_STATE_FILE: {
    exit: 'failure',
    make: (file: string, what: 'read' | 'write', cause: unknown) => ({
      message: `The journald cursor file ${q(file)} could not be ${what === 'read' ? 'read' : 'written'}: ${messageOf(cause)}.`,
      cause,
      fix:
        what === 'read'
          ? "Check the file's permissions, or delete it to start at the end of the journal."
          : 'Check that the directory exists or can be created and is writable by f2b; reading goes on, but a restart may repeat entries.',
    }),
  },
});
