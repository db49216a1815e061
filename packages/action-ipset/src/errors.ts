/**
 * The errors of the ipset action, one row per code (the table style of `@f2b/kit`). Each says how to
 * fix it. Only option errors stop anything (a bad config fails early, exit class `usage`); the
 * others are reported once per failure streak while f2b keeps the bans queued and retries.
 */
import { defineErrors, sanitizeLine } from '@f2b/kit';

const q = (s: string) => JSON.stringify(s);
const QUEUED = 'f2b keeps the bans queued and retries.';

/** The first lines of a program's complaint, on one line, control characters escaped (it ends up in logs). */
export function toolMessage(stderr: string, max = 3): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const text = sanitizeLine(lines.slice(0, max).join(' | '));
  return text.length > 400 ? `${text.slice(0, 400)}…` : text || '(no message)';
}

export const ipsetErrors = defineErrors({
  F2B_ERR_IPSET_OPTIONS: {
    exit: 'usage',
    make: (path: string, problem: string, fix: string) => ({ message: `The option ${q(path)} of the ipset action ${problem}.`, path, fix }),
  },

  F2B_ERR_IPSET_NOT_FOUND: {
    exit: 'failure',
    make: (program: string) => ({
      message: `The program ${q(program)} was not found, so no ban reaches the kernel.`,
      fix: `Install ipset and iptables (\`apt install ipset iptables\`) or set the options "ipsetPath", "iptablesPath" and "ip6tablesPath". ${QUEUED}`,
    }),
  },

  F2B_ERR_IPSET_NETNS: {
    exit: 'failure',
    make: (netns: string | undefined, detail: string) => ({
      message: `ipset or iptables could not be run in the network namespace ${q(netns ?? '?')}: ${detail}.`,
      fix: `Create the namespace (\`ip netns add NAME\`), fix the option "netns", or install iproute2 (option "ipPath"). ${QUEUED}`,
    }),
  },

  F2B_ERR_IPSET_PERMISSION: {
    exit: 'failure',
    make: (program: string, detail: string) => ({
      message: `${program} was not allowed to change the firewall: ${detail}.`,
      fix: `Run f2b as root, or give it CAP_NET_ADMIN (systemd: AmbientCapabilities=CAP_NET_ADMIN). ${QUEUED}`,
    }),
  },

  /** `program` failed to do `what` (its message `detail`), or was killed after `ms`. */
  F2B_ERR_IPSET_FAILED: {
    exit: 'failure',
    make: (program: string, what: string, detail: string) => ({
      message: `${program} failed to ${what}: ${detail}.`,
      fix: `See its message; \`ipset list -t\` and \`iptables -S\` show the current state. f2b checks the sets and rules, repairs them and retries with backoff.`,
    }),
  },

  F2B_ERR_IPSET_SET_MISMATCH: {
    exit: 'failure',
    make: (set: string, found: string, wanted: string) => ({
      message: `The ipset ${q(set)} exists as ${q(found)}, but this jail needs ${q(wanted)}, so f2b leaves it alone and bans nothing in it.`,
      fix: `Remove the old set (\`iptables -D …\` the rules that use it, then \`ipset destroy ${set}\`), or give the action another "name". ${QUEUED}`,
    }),
  },

  F2B_ERR_IPSET_ELEMENT: {
    exit: 'failure',
    make: (element: string, set: string, detail: string) => ({
      message: `ipset refused the element ${element} in the set ${q(set)}: ${detail}; it is left out so that other bans still apply.`,
      fix: 'A set full (option "maxelem") or an element added by hand in a conflicting form: `ipset list SET` shows it. The next ban of that address tries again.',
    }),
  },

  F2B_ERR_IPSET_ADDRESS: {
    exit: 'failure',
    make: (id: string, why: string) => ({
      message: `The ban id ${q(id.length > 80 ? `${id.slice(0, 80)}…` : id)} ${why}, so it was not sent to ipset.`,
      fix: 'Networks need a set of type hash:net (option "setType: hash:net"); anything else that is not an address comes from a filter or plugin that produced a bad id.',
    }),
  },
});
