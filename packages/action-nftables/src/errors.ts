/**
 * The errors this action reports, one row per code (the table style of `@f2b/kit`). Each says how
 * to fix it; none of them stops the daemon (options errors excepted: a bad config fails early, in
 * the foreground, with exit class `usage`).
 */
import { defineErrors, sanitizeLine } from '@f2b/kit';

const q = (s: string) => JSON.stringify(s);

/** First lines of nft's complaint, without the echo of the script line and its `^^^` marker; control characters escaped. */
export function nftMessage(stderr: string, max = 3): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => /error|warning|cannot|could not|not permitted|not supported|failed/i.test(l));
  const picked = (lines.length > 0 ? lines : stderr.split('\n').filter((l) => l.trim() !== '')).slice(0, max);
  // Escaped: nft echoes script lines, and its message ends up in logs and on terminals.
  const text = sanitizeLine(
    picked
      .join(' | ')
      .replace(/[ \t\r\n]+/g, ' ')
      .trim(),
  );
  return text.length > 400 ? `${text.slice(0, 400)}…` : text || '(no message)';
}

const QUEUED = 'f2b keeps the bans queued and retries.';

export const nftErrors = defineErrors({
  F2B_ERR_NFT_OPTIONS: {
    exit: 'usage',
    make: (path: string, problem: string, fix: string) => ({ message: `The option ${q(path)} of the nftables action ${problem}.`, path, fix }),
  },

  F2B_ERR_NFT_NOT_FOUND: {
    exit: 'failure',
    make: (binary: string) => ({
      message: `The nft program ${q(binary)} was not found, so no ban reaches the kernel.`,
      fix: `Install nftables (\`apt install nftables\`, \`dnf install nftables\`) or set the action option "nftPath" to its location. ${QUEUED}`,
    }),
  },

  F2B_ERR_NFT_NETNS: {
    exit: 'failure',
    make: (netns: string | undefined, detail: string) => ({
      message: `nft could not be run in the network namespace ${q(netns ?? '?')}: ${detail}.`,
      fix: `Create the namespace (\`ip netns add NAME\`), fix the option "netns", or install iproute2 (the \`ip\` program; option "ipPath"). ${QUEUED}`,
    }),
  },

  F2B_ERR_NFT_PERMISSION: {
    exit: 'failure',
    make: (detail: string) => ({
      message: `nft was not allowed to change the firewall: ${detail}.`,
      fix: `Run f2b as root, or give it CAP_NET_ADMIN (systemd: AmbientCapabilities=CAP_NET_ADMIN). ${QUEUED}`,
    }),
  },

  F2B_ERR_NFT_UNSUPPORTED: {
    exit: 'failure',
    make: (detail: string) => ({
      message: `The kernel refused nftables: ${detail}.`,
      fix: `Use a kernel with nf_tables (\`modprobe nf_tables\`; in containers the host must provide it). ${QUEUED}`,
    }),
  },

  F2B_ERR_NFT_CHAIN_MISSING: {
    exit: 'failure',
    make: (family: string, table: string, chain: string) => ({
      message: `The chain ${q(chain)} in the table ${q(`${family} ${table}`)} does not exist, so f2b cannot add its rules there.`,
      fix:
        chain === 'DOCKER-USER'
          ? 'Start Docker (it creates DOCKER-USER in "ip filter"); f2b checks again every checkInterval and adds its rules as soon as the chain exists.'
          : 'Create the chain, or remove the option "chain" to let f2b create its own base chain. f2b checks again every checkInterval.',
    }),
  },

  /** nft failed (`what` it was asked to do, `detail` its message), or was killed after `{ ms }`. */
  F2B_ERR_NFT_FAILED: {
    exit: 'failure',
    make: (...a: [what: string, detail: string] | [timeout: { ms: number }]) =>
      a.length === 1
        ? {
            message: `nft did not finish within ${a[0].ms} ms and was killed.`,
            fix: 'Check the system load and `nft list ruleset`; f2b retries with backoff.',
          }
        : {
            message: `nft failed to ${a[0]}: ${a[1]}.`,
            fix: "See nft's message; `nft list ruleset` shows the current state. f2b keeps the bans queued, checks the table and retries with backoff.",
          },
  },

  F2B_ERR_NFT_ELEMENT: {
    exit: 'failure',
    make: (element: string, set: string, detail: string) => ({
      message: `nft refused the element ${element} in the set ${q(set)}: ${detail}; it is left out so that other bans still apply.`,
      fix: 'Usually an overlapping element added by hand or left by another configuration: `nft list set …` shows it; delete it, and the next ban of that address applies.',
    }),
  },

  F2B_ERR_NFT_ADDRESS: {
    exit: 'failure',
    make: (id: string) => ({
      message: `The ban id ${q(id.length > 80 ? `${id.slice(0, 80)}…` : id)} is not an IP address or network, so it was not sent to nft.`,
      fix: 'Only addresses and CIDR networks can be banned with nftables; check the filter or plugin that produced this id.',
    }),
  },
});
