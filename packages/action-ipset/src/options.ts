/**
 * Options of the `ipset` action: the JSON Schema core validates, and their normalised form. Every
 * name that reaches an ipset script or an iptables argument (set names built from the jail, the
 * chain, ports) is checked here against a strict character set, once, so nothing later escapes.
 */
import { durationOptionMs } from '@f2b/kit';
import { ipsetErrors } from './errors.js';

export type Backend = 'auto' | 'nft' | 'legacy';
export type Protocol = 'tcp' | 'udp' | 'sctp';
export type V = 4 | 6;

export interface IpsetOptions {
  /** Name used in the set names `f2b-<name>-v4`/`-v6` (default: the jail's name; at most 24 characters). */
  name?: string;
  /** `hash:ip` (default: single addresses) or `hash:net` (addresses and CIDR networks). */
  setType?: 'hash:ip' | 'hash:net';
  /** Most elements per set (default 65536). */
  maxelem?: number;
  /** iptables chain of the rule (default `INPUT`; `FORWARD` or `DOCKER-USER` for routed traffic). */
  chain?: string;
  /** `drop` (default) or `reject` (ICMP port unreachable). */
  blocktype?: 'drop' | 'reject';
  /** Only these destination ports (numbers or `from-to` ranges, at most 15); default: all ports. */
  ports?: (number | string)[];
  /** Protocols the ports apply to (default `tcp`); one rule per protocol. */
  protocol?: Protocol | Protocol[];
  /** Which iptables: `auto` (default: the one that already holds rules, else the system's `iptables`), `nft` or `legacy`. */
  backend?: Backend;
  /** How often to verify (and repair) the sets, rules and elements (default 30s; 0 = never). */
  checkInterval?: number | string;
  /** First retry delay after a failure (default 1s), doubling up to retryMaxDelay (default 60s). */
  retryDelay?: number | string;
  retryMaxDelay?: number | string;
  /** Run ipset and iptables inside this named network namespace (`ip netns exec NAME …`). */
  netns?: string;
  ipsetPath?: string;
  /** Override the iptables programs (otherwise chosen by `backend`). */
  iptablesPath?: string;
  ip6tablesPath?: string;
  ipPath?: string;
}

export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,23}$/;
export const CHAIN_RE = /^[A-Za-z][A-Za-z0-9_-]{0,28}$/;
export const NETNS_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const PORT_RE = /^[0-9]{1,5}(?:-[0-9]{1,5})?$/;
const PROGRAM = { type: 'string', minLength: 1, pattern: '^[^-\\s][^\\s]*$' } as const;
const duration = {
  oneOf: [
    { type: 'number', minimum: 0 },
    { type: 'string', minLength: 1, maxLength: 32 },
  ],
};
const protocol = { enum: ['tcp', 'udp', 'sctp'] };

export const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: NAME_RE.source },
    setType: { enum: ['hash:ip', 'hash:net'] },
    maxelem: { type: 'integer', minimum: 1, maximum: 16_777_216 },
    chain: { type: 'string', pattern: CHAIN_RE.source },
    blocktype: { enum: ['drop', 'reject'] },
    ports: {
      type: 'array',
      minItems: 1,
      maxItems: 15,
      items: {
        oneOf: [
          { type: 'integer', minimum: 1, maximum: 65535 },
          { type: 'string', pattern: PORT_RE.source },
        ],
      },
    },
    protocol: { oneOf: [protocol, { type: 'array', items: protocol, minItems: 1, uniqueItems: true }] },
    backend: { enum: ['auto', 'nft', 'legacy'] },
    checkInterval: duration,
    retryDelay: duration,
    retryMaxDelay: duration,
    netns: { type: 'string', pattern: NETNS_RE.source },
    ipsetPath: PROGRAM,
    iptablesPath: PROGRAM,
    ip6tablesPath: PROGRAM,
    ipPath: PROGRAM,
  },
} as const;

export interface IpsetConfig {
  name: string;
  sets: Record<V, string>;
  setType: 'hash:ip' | 'hash:net';
  maxelem: number;
  chain: string;
  blocktype: 'drop' | 'reject';
  /** multiport `--dports` text (`22,6000:6010`), or null for every port. */
  dports: string | null;
  protocols: Protocol[] | null;
  backend: Backend;
  checkIntervalMs: number;
  retryDelayMs: number;
  retryMaxDelayMs: number;
  netns?: string;
  ipsetPath: string;
  iptablesPath?: string;
  ip6tablesPath?: string;
  ipPath: string;
}

const bad = ipsetErrors.F2B_ERR_IPSET_OPTIONS;

function durationMs(value: number | string | undefined, fallback: number, path: string): number {
  return durationOptionMs(value, fallback, path, (cause) =>
    Object.assign(bad(path, `is not a duration (${JSON.stringify(value)})`, 'Write seconds (30) or a duration with a unit ("30s", "1m").'), { cause }),
  );
}

/** Validates (again: the action may be created without core's schema check) and applies defaults. */
export function normalizeOptions(raw: IpsetOptions | undefined, jail: string): IpsetConfig {
  const o = raw ?? {};
  const name = o.name ?? jail;
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw bad(
      o.name === undefined ? '(jail name)' : 'name',
      `${JSON.stringify(name)} cannot be used in ipset names (at most 31 characters with "f2b-" and "-v4")`,
      'Set the option "name": letters, digits, "_", "-" and "." (at most 24 characters).',
    );
  }
  const chain = o.chain ?? 'INPUT';
  if (typeof chain !== 'string' || !CHAIN_RE.test(chain))
    throw bad('chain', `${JSON.stringify(chain)} is not an iptables chain name`, 'Use a chain such as INPUT, FORWARD or DOCKER-USER.');
  if (o.netns !== undefined && (typeof o.netns !== 'string' || !NETNS_RE.test(o.netns)))
    throw bad('netns', `${JSON.stringify(o.netns)} is not a network namespace name`, 'Use the name shown by `ip netns list`.');
  for (const key of ['ipsetPath', 'iptablesPath', 'ip6tablesPath', 'ipPath'] as const) {
    const v = o[key];
    if (v !== undefined && (typeof v !== 'string' || v === '' || v.startsWith('-') || /\s/.test(v)))
      throw bad(key, `${JSON.stringify(v)} is not a program path`, 'Give a program name or an absolute path, e.g. /usr/sbin/ipset.');
  }
  const setType = o.setType ?? 'hash:ip';
  if (setType !== 'hash:ip' && setType !== 'hash:net') throw bad('setType', `${JSON.stringify(setType)} is not supported`, 'Use hash:ip or hash:net.');
  const blocktype = o.blocktype ?? 'drop';
  if (blocktype !== 'drop' && blocktype !== 'reject') throw bad('blocktype', `${JSON.stringify(blocktype)} is not supported`, 'Use drop or reject.');
  const backend = o.backend ?? 'auto';
  if (!['auto', 'nft', 'legacy'].includes(backend)) throw bad('backend', `${JSON.stringify(backend)} is not supported`, 'Use auto, nft or legacy.');
  const maxelem = o.maxelem ?? 65536;
  if (!Number.isInteger(maxelem) || maxelem < 1) throw bad('maxelem', 'must be a positive whole number', 'Write e.g. 65536.');

  let dports: string | null = null;
  if (o.ports !== undefined) {
    if (o.ports.length > 15) throw bad('ports', 'lists more than 15 ports', 'iptables multiport takes at most 15: use ranges ("6000-6010").');
    dports = o.ports
      .map((p, i) => {
        const m = /^([0-9]{1,5})(?:-([0-9]{1,5}))?$/.exec(String(p));
        const from = Number(m?.[1]),
          to = m?.[2] === undefined ? from : Number(m[2]);
        if (!m || from < 1 || to > 65535 || to < from)
          throw bad(`ports.${i}`, `${JSON.stringify(p)} is not a port or range`, 'Write 22, "2222" or "6000-6010".');
        return from === to ? String(from) : `${from}:${to}`;
      })
      .join(',');
  }
  let protocols: Protocol[] | null = null;
  if (o.protocol !== undefined) {
    const list = Array.isArray(o.protocol) ? o.protocol : [o.protocol];
    for (const p of list)
      if (!['tcp', 'udp', 'sctp'].includes(p)) throw bad('protocol', `${JSON.stringify(p)} is not supported`, 'Use tcp, udp, sctp or a list of them.');
    protocols = [...new Set(list)];
  } else if (dports !== null) {
    protocols = ['tcp'];
  }
  const retryDelayMs = Math.max(10, durationMs(o.retryDelay, 1000, 'retryDelay'));
  return {
    name,
    sets: { 4: `f2b-${name}-v4`, 6: `f2b-${name}-v6` },
    setType,
    maxelem,
    chain,
    blocktype,
    dports,
    protocols,
    backend,
    checkIntervalMs: durationMs(o.checkInterval, 30_000, 'checkInterval'),
    retryDelayMs,
    retryMaxDelayMs: Math.max(retryDelayMs, durationMs(o.retryMaxDelay, 60_000, 'retryMaxDelay')),
    netns: o.netns,
    ipsetPath: o.ipsetPath ?? 'ipset',
    iptablesPath: o.iptablesPath,
    ip6tablesPath: o.ip6tablesPath,
    ipPath: o.ipPath ?? 'ip',
  };
}
