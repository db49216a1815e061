/**
 * The errors of `@f2b/action-exec`, one row per code (the table style of `@f2b/kit`). Text that comes
 * from the program (its stderr) is capped and escaped before it goes into a message: a program may
 * print anything, and messages end up in logs and on terminals.
 */
import { defineErrors, sanitizeLine } from '@f2b/kit';

const q = (s: string) => sanitizeLine(JSON.stringify(s));
const RETRIED = 'f2b keeps the work in its outbox and retries it every 30 s and at start.';

export const execErrors = defineErrors({
  F2B_ERR_EXEC_OPTIONS: {
    exit: 'usage',
    make: (path: string, problem: string, fix: string) => ({
      message: `The option ${q(path)} of the exec action ${problem}.`,
      path,
      fix,
    }),
  },

  /** The program cannot be run, or root may not run it (`problem` says why). */
  F2B_ERR_EXEC_PROGRAM: {
    exit: 'usage',
    make: (program: string, problem: string) => ({
      message: `The exec action will not run ${q(program)}: ${problem}.`,
      fix:
        'Name an absolute path to an executable file. When f2b runs as root, the program and every directory above it must be owned by root and writable by nobody else (`chown root: FILE; chmod go-w FILE` and each directory): root never runs code another user could change. ' +
        RETRIED,
    }),
  },

  /** The program ran and failed: `how` is its exit ("exited with 3", "was killed by SIGSEGV"). */
  F2B_ERR_EXEC_FAILED: {
    exit: 'failure',
    make: (what: string, program: string, how: string, stderr: string) => ({
      message: `The exec action's ${what} command ${q(program)} ${how}${stderr ? `: ${stderr}` : ''}.`,
      fix: `Run the command by hand with the same arguments to see why; exit codes other than those in okExitCodes count as failures. ${RETRIED} Make the program idempotent: it may see the same ban again.`,
    }),
  },

  F2B_ERR_EXEC_TIMEOUT: {
    exit: 'failure',
    make: (what: string, program: string, ms: number) => ({
      message: `The exec action's ${what} command ${q(program)} did not finish within ${ms} ms; its process group was killed.`,
      fix: `Find out why it hangs (a lock, the network), or raise timeoutMs. ${RETRIED}`,
    }),
  },

  F2B_ERR_EXEC_CHECK: {
    exit: 'failure',
    make: (program: string, detail: string) => ({
      message: `The exec action's check command ${q(program)} still fails after the start command ran again: ${detail}.`,
      fix: `Run the check and start commands by hand. ${RETRIED}`,
    }),
  },

  /** A ban whose value cannot be passed safely: reported and left out, never run. */
  F2B_ERR_EXEC_VALUE: {
    exit: 'failure',
    make: (placeholder: string, value: string) => ({
      message: `The value ${q(value.length > 80 ? `${value.slice(0, 80)}…` : value)} for {${placeholder}} is not valid, so the exec action did not run its command for it.`,
      fix: 'Only addresses and CIDR networks can be passed as {ip}, jail names as {jail} and rule ids of letters, digits and "_.:-" as {rule}; check the filter or plugin that produced this ban.',
    }),
  },
});
