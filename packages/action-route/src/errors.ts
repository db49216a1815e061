/**
 * The errors of the route action, one row per code (the table style of `@f2b/kit`). Only option
 * errors stop anything; the others are reported once per failure streak while f2b keeps the bans
 * queued and retries.
 */
import { defineErrors, sanitizeLine } from '@f2b/kit';

const q = (s: string) => JSON.stringify(s);
const QUEUED = 'f2b keeps the bans queued and retries.';

/** The first lines of ip's complaint, on one line, control characters escaped (it ends up in logs). */
export function ipMessage(stderr: string, max = 3): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const text = sanitizeLine(lines.slice(0, max).join(' | '));
  return text.length > 400 ? `${text.slice(0, 400)}…` : text || '(no message)';
}

export const routeErrors = defineErrors({
  F2B_ERR_ROUTE_OPTIONS: {
    exit: 'usage',
    make: (path: string, problem: string, fix: string) => ({ message: `The option ${q(path)} of the route action ${problem}.`, path, fix }),
  },

  F2B_ERR_ROUTE_NOT_FOUND: {
    exit: 'failure',
    make: (program: string) => ({
      message: `The program ${q(program)} was not found, so no ban reaches the routing table.`,
      fix: `Install iproute2 (\`apt install iproute2\`) or set the option "ipPath". ${QUEUED}`,
    }),
  },

  F2B_ERR_ROUTE_NETNS: {
    exit: 'failure',
    make: (netns: string | undefined, detail: string) => ({
      message: `ip could not be run in the network namespace ${q(netns ?? '?')}: ${detail}.`,
      fix: `Create the namespace (\`ip netns add NAME\`) or fix the option "netns". ${QUEUED}`,
    }),
  },

  F2B_ERR_ROUTE_PERMISSION: {
    exit: 'failure',
    make: (detail: string) => ({
      message: `ip was not allowed to change the routing table: ${detail}.`,
      fix: `Run f2b as root, or give it CAP_NET_ADMIN (systemd: AmbientCapabilities=CAP_NET_ADMIN). ${QUEUED}`,
    }),
  },

  F2B_ERR_ROUTE_FAILED: {
    exit: 'failure',
    make: (what: string, detail: string) => ({
      message: `ip failed to ${what}: ${detail}.`,
      fix: 'See its message; `ip route show proto PROTO table TABLE` shows the current state. f2b checks its routes and retries with backoff.',
    }),
  },

  F2B_ERR_ROUTE_ELEMENT: {
    exit: 'failure',
    make: (dst: string, detail: string) => ({
      message: `ip refused the route for ${dst}: ${detail}; it is left out so that other bans still apply.`,
      fix: 'A routing table that does not exist, or a route of another program for the same destination: `ip route get ADDRESS` shows what applies. The next ban of that address tries again.',
    }),
  },

  F2B_ERR_ROUTE_ADDRESS: {
    exit: 'failure',
    make: (id: string) => ({
      message: `The ban id ${q(id.length > 80 ? `${id.slice(0, 80)}…` : id)} is not an IP address or network, so no route was added for it.`,
      fix: 'Only addresses and CIDR networks can be routed; check the filter or plugin that produced this id.',
    }),
  },
});
