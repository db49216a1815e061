/**
 * Options of the `nftables` action: the JSON Schema core validates, and their normalised form. Every
 * name that ends up in an nft script (table, chain, set names built from the jail) is checked against
 * a strict character set here, once, so script generation never has to escape anything.
 */
import { durationOptionMs } from '@f2b/kit';
import { nftErrors } from './errors.js';

export type Family = 'inet' | 'ip' | 'ip6';
export type Protocol = 'tcp' | 'udp' | 'sctp';

export interface NftablesOptions {
  /** Table name (default `f2b`). */
  table?: string;
  /** Table family (default `inet`: one table for IPv4 and IPv6). */
  family?: Family;
  /** Hook of the base chain f2b creates (default `input`; `forward` for routed/container traffic). */
  hook?: 'input' | 'forward';
  /** Base chain priority: a number (default -1, just before the `filter` priority 0) or `filter - 1`. */
  priority?: number | string;
  /** Add the rules to this existing regular chain instead of creating a base chain (e.g. `DOCKER-USER`). */
  chain?: string;
  /** Name used in set and chain names (default: the jail's name). */
  name?: string;
  /** `drop` (default) or `reject` (TCP reset for TCP, ICMP port unreachable otherwise). */
  blocktype?: 'drop' | 'reject';
  /** Only these destination ports (numbers, `from-to` ranges or service names); default: all ports. */
  ports?: (number | string)[];
  /** Protocols the ports apply to (default `tcp` with ports, every protocol without). */
  protocol?: Protocol | Protocol[];
  /** Ban every port and protocol, whatever `ports`/`protocol` say (fail2ban's banaction_allports). */
  allports?: boolean;
  /** Ban the IPv4 network of this many bits around each address (default 32). */
  ipv4Prefix?: number;
  /** Ban the IPv6 network of this many bits around each address (default 128; 64 is common). */
  ipv6Prefix?: number;
  /** Networks (CIDR bans, prefixes) in interval sets of their own (default true); false: single addresses only. */
  interval?: boolean;
  /** How often to verify (and repair) the table, sets, rules and elements (default 30s; 0 = never). */
  checkInterval?: number | string;
  /** Watch `nft monitor` and repair changes by others at once (default true). */
  monitor?: boolean;
  /** Element transactions through one long-lived `nft -i` per namespace instead of one nft process each (default true). */
  interactive?: boolean;
  /** First retry delay after nft failed (default 1s), doubling up to retryMaxDelay (default 60s). */
  retryDelay?: number | string;
  retryMaxDelay?: number | string;
  /** Run nft inside this named network namespace (`ip netns exec NAME nft …`). */
  netns?: string;
  /** The nft program (default `nft`, found on PATH). */
  nftPath?: string;
  /** The ip program used for `netns` (default `ip`). */
  ipPath?: string;
}

/** Jail-like names: what config accepts for jail names; safe as part of an nft identifier. */
export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** Table and chain names: an nft identifier without dots (they would read as a different token). */
export const IDENT_RE = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
export const NETNS_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const PORT_RE = /^(?:[0-9]{1,5}(?:-[0-9]{1,5})?|[a-z][a-z0-9-]{0,31})$/;
const PRIORITY_RE = /^(raw|mangle|dstnat|filter|security|srcnat)(?:\s*([+-])\s*([0-9]{1,3}))?$/;
const PRIORITY_BASE: Record<string, number> = { raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100 };

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
    table: { type: 'string', pattern: IDENT_RE.source },
    family: { enum: ['inet', 'ip', 'ip6'] },
    hook: { enum: ['input', 'forward'] },
    priority: {
      oneOf: [
        { type: 'integer', minimum: -1000, maximum: 1000 },
        { type: 'string', pattern: PRIORITY_RE.source },
      ],
    },
    chain: { type: 'string', pattern: IDENT_RE.source },
    name: { type: 'string', pattern: NAME_RE.source },
    blocktype: { enum: ['drop', 'reject'] },
    ports: {
      type: 'array',
      minItems: 1,
      maxItems: 64,
      items: {
        oneOf: [
          { type: 'integer', minimum: 1, maximum: 65535 },
          { type: 'string', pattern: PORT_RE.source },
        ],
      },
    },
    protocol: { oneOf: [protocol, { type: 'array', items: protocol, minItems: 1, uniqueItems: true }] },
    allports: { type: 'boolean' },
    ipv4Prefix: { type: 'integer', minimum: 8, maximum: 32 },
    ipv6Prefix: { type: 'integer', minimum: 16, maximum: 128 },
    interval: { type: 'boolean' },
    checkInterval: duration,
    monitor: { type: 'boolean' },
    interactive: { type: 'boolean' },
    retryDelay: duration,
    retryMaxDelay: duration,
    netns: { type: 'string', pattern: NETNS_RE.source },
    nftPath: { type: 'string', minLength: 1, pattern: '^[^-\\s][^\\s]*$' },
    ipPath: { type: 'string', minLength: 1, pattern: '^[^-\\s][^\\s]*$' },
  },
} as const;

/** Options after validation and defaults, in the form the script generator uses. */
export interface NftConfig {
  family: Family;
  table: string;
  /** Jail (or `name` option) part of identifiers. */
  name: string;
  /** Chain the rules live in. */
  chain: string;
  /** True when f2b creates and owns `chain` as a base chain; false for `chain: DOCKER-USER` and the like. */
  ownChain: boolean;
  hook: 'input' | 'forward';
  priority: number;
  /** Plain set (single addresses) per address family that this table family can match. */
  sets: { 4?: string; 6?: string };
  /** Interval set (networks) per address family; none with `interval: false`. */
  netSets: { 4?: string; 6?: string };
  blocktype: 'drop' | 'reject';
  ports: string[] | null;
  protocols: Protocol[] | null;
  prefix: { 4: number; 6: number };
  interval: boolean;
  checkIntervalMs: number;
  /** Repair from `nft monitor` events. */
  monitor: boolean;
  /** Element transactions through the shared `nft -i` session (nft-session.ts). */
  interactive: boolean;
  retryDelayMs: number;
  retryMaxDelayMs: number;
  netns?: string;
  nftPath: string;
  ipPath: string;
}

function durationMs(value: number | string | undefined, fallback: number, path: string): number {
  return durationOptionMs(value, fallback, path, () =>
    nftErrors.F2B_ERR_NFT_OPTIONS(
      path,
      `is not a duration (${JSON.stringify(value)})`,
      'Write seconds (30) or a duration with a unit ("30s", "1m", "0.5s"); 0 turns the periodic check off.',
    ),
  );
}

function priorityNumber(p: number | string | undefined): number {
  if (p === undefined) return -1;
  if (typeof p === 'number') return p;
  const m = PRIORITY_RE.exec(p.trim());
  if (!m)
    throw nftErrors.F2B_ERR_NFT_OPTIONS(
      'priority',
      `is not a priority (${JSON.stringify(p)})`,
      'Write a number (-1) or a named priority with an offset ("filter - 1").',
    );
  const offset = m[3] === undefined ? 0 : Number(m[3]) * (m[2] === '-' ? -1 : 1);
  return PRIORITY_BASE[m[1]!]! + offset;
}

/**
 * Validates what the schema cannot (cross-option rules, the jail name) and applies defaults. Throws
 * F2B_ERR_NFT_OPTIONS. The schema has already run when core created the action; this runs it again in
 * spirit (charsets) because the action may also be created directly, and names must never be trusted.
 */
export function normalizeOptions(raw: NftablesOptions, jail: string): NftConfig {
  const o = raw ?? {};
  const name = o.name ?? jail;
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw nftErrors.F2B_ERR_NFT_OPTIONS(
      o.name === undefined ? '(jail name)' : 'name',
      `${JSON.stringify(name)} cannot be used in nft set names`,
      'Use letters, digits, "_", "-" and "." (at most 64 characters, starting with a letter or digit).',
    );
  }
  const table = o.table ?? 'f2b';
  if (typeof table !== 'string' || !IDENT_RE.test(table)) {
    throw nftErrors.F2B_ERR_NFT_OPTIONS(
      'table',
      `${JSON.stringify(table)} is not a safe nft table name`,
      'Use a letter followed by letters, digits, "_" or "-" (at most 64 characters).',
    );
  }
  if (o.chain !== undefined && (typeof o.chain !== 'string' || !IDENT_RE.test(o.chain))) {
    throw nftErrors.F2B_ERR_NFT_OPTIONS(
      'chain',
      `${JSON.stringify(o.chain)} is not a safe nft chain name`,
      'Use a letter followed by letters, digits, "_" or "-" (e.g. DOCKER-USER).',
    );
  }
  if (o.netns !== undefined && (typeof o.netns !== 'string' || !NETNS_RE.test(o.netns))) {
    throw nftErrors.F2B_ERR_NFT_OPTIONS('netns', `${JSON.stringify(o.netns)} is not a network namespace name`, 'Use the name shown by `ip netns list`.');
  }
  for (const key of ['nftPath', 'ipPath'] as const) {
    const v = o[key];
    if (v !== undefined && (typeof v !== 'string' || v === '' || v.startsWith('-') || /\s/.test(v))) {
      throw nftErrors.F2B_ERR_NFT_OPTIONS(key, `${JSON.stringify(v)} is not a program path`, 'Give a program name or an absolute path, e.g. /usr/sbin/nft.');
    }
  }
  const family: Family = o.family ?? 'inet';
  if (!['inet', 'ip', 'ip6'].includes(family))
    throw nftErrors.F2B_ERR_NFT_OPTIONS('family', `${JSON.stringify(family)} is not supported`, 'Use inet, ip or ip6.');
  const hook = o.hook ?? 'input';
  if (hook !== 'input' && hook !== 'forward') throw nftErrors.F2B_ERR_NFT_OPTIONS('hook', `${JSON.stringify(hook)} is not supported`, 'Use input or forward.');
  const blocktype = o.blocktype ?? 'drop';
  if (blocktype !== 'drop' && blocktype !== 'reject')
    throw nftErrors.F2B_ERR_NFT_OPTIONS('blocktype', `${JSON.stringify(blocktype)} is not supported`, 'Use drop or reject.');

  let ports: string[] | null = null;
  if (o.ports !== undefined && o.allports !== true) {
    ports = o.ports.map((p, i) => {
      const text = String(p);
      const range = /^([0-9]+)(?:-([0-9]+))?$/.exec(text);
      const ok = range
        ? Number(range[1]) >= 1 && Number(range[1]) <= 65535 && (range[2] === undefined || (Number(range[2]) >= Number(range[1]) && Number(range[2]) <= 65535))
        : PORT_RE.test(text);
      if (!ok)
        throw nftErrors.F2B_ERR_NFT_OPTIONS(
          `ports.${i}`,
          `${JSON.stringify(p)} is not a port, range or service name`,
          'Write 22, "2222", "6000-6010" or a name from /etc/services such as "ssh".',
        );
      return range ? (range[2] === undefined ? String(Number(range[1])) : `${Number(range[1])}-${Number(range[2])}`) : text;
    });
  }
  let protocols: Protocol[] | null = null;
  if (o.allports === true) {
    protocols = null;
  } else if (o.protocol !== undefined) {
    const list = Array.isArray(o.protocol) ? o.protocol : [o.protocol];
    for (const p of list) {
      if (!['tcp', 'udp', 'sctp'].includes(p))
        throw nftErrors.F2B_ERR_NFT_OPTIONS('protocol', `${JSON.stringify(p)} is not supported`, 'Use tcp, udp, sctp or a list of them.');
    }
    protocols = [...new Set(list)];
  } else if (ports !== null) {
    protocols = ['tcp'];
  }

  const interval = o.interval ?? true;
  const prefix = { 4: o.ipv4Prefix ?? 32, 6: o.ipv6Prefix ?? 128 };
  if (!Number.isInteger(prefix[4]) || prefix[4] < 8 || prefix[4] > 32)
    throw nftErrors.F2B_ERR_NFT_OPTIONS('ipv4Prefix', 'must be a whole number from 8 to 32', 'Use 32 to ban single addresses, 24 for their /24.');
  if (!Number.isInteger(prefix[6]) || prefix[6] < 16 || prefix[6] > 128)
    throw nftErrors.F2B_ERR_NFT_OPTIONS('ipv6Prefix', 'must be a whole number from 16 to 128', 'Use 64 to ban the /64 an address belongs to.');
  if (!interval && (prefix[4] !== 32 || prefix[6] !== 128)) {
    throw nftErrors.F2B_ERR_NFT_OPTIONS(
      'interval',
      'is false, but ipv4Prefix/ipv6Prefix ban networks, which only interval sets hold',
      'Remove "interval: false", or the prefix options.',
    );
  }

  const sets: NftConfig['sets'] = {};
  const netSets: NftConfig['netSets'] = {};
  if (family !== 'ip6') sets[4] = `f2b_${name}_v4`;
  if (family !== 'ip') sets[6] = `f2b_${name}_v6`;
  if (interval) {
    if (sets[4] !== undefined) netSets[4] = `${sets[4]}_net`;
    if (sets[6] !== undefined) netSets[6] = `${sets[6]}_net`;
  }
  const retryDelayMs = Math.max(10, durationMs(o.retryDelay, 1000, 'retryDelay'));
  return {
    family,
    table,
    name,
    chain: o.chain ?? `f2b_${name}`,
    ownChain: o.chain === undefined,
    hook,
    priority: priorityNumber(o.priority),
    sets,
    netSets,
    blocktype,
    ports,
    protocols,
    prefix,
    interval,
    checkIntervalMs: durationMs(o.checkInterval, 30_000, 'checkInterval'),
    monitor: o.monitor ?? true,
    interactive: o.interactive ?? true,
    retryDelayMs,
    retryMaxDelayMs: Math.max(retryDelayMs, durationMs(o.retryMaxDelay, 60_000, 'retryMaxDelay')),
    netns: o.netns,
    nftPath: o.nftPath ?? 'nft',
    ipPath: o.ipPath ?? 'ip',
  };
}

/** One nft set of an action: its family, and whether it is the interval set of networks. */
export interface SetDef {
  v: 4 | 6;
  name: string;
  interval: boolean;
}

/**
 * Every set of an action, in the order they are created and matched: per family the plain set of
 * single addresses (a hash set: an element added or deleted costs the same whatever its size), then
 * the interval set of networks (nft 1.0.x reads an interval set back and checks overlaps before each
 * change, so single addresses — nearly every ban — stay out of it).
 */
export function setDefs(cfg: Pick<NftConfig, 'sets' | 'netSets'>): SetDef[] {
  const out: SetDef[] = [];
  for (const v of [4, 6] as const) {
    const plain = cfg.sets[v];
    if (plain !== undefined) out.push({ v, name: plain, interval: false });
    const net = cfg.netSets[v];
    if (net !== undefined) out.push({ v, name: net, interval: true });
  }
  return out;
}
