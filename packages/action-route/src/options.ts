/**
 * Options of the `route` action: the JSON Schema core validates, and their normalised form. The
 * table and protocol reach `ip -batch` lines, so they are numbers or strict names, checked once here.
 */
import { durationOptionMs } from '@f2b/kit';
import { routeErrors } from './errors.js';

export type RouteType = 'blackhole' | 'unreachable' | 'prohibit';

export interface RouteOptions {
  /** `blackhole` (default: dropped silently), `unreachable` or `prohibit` (ICMP unreachable / prohibited). */
  blocktype?: RouteType;
  /** Routing table (number or a name from /etc/iproute2/rt_tables; default `main`). */
  table?: number | string;
  /** Route protocol number that marks f2b's routes (default 242); routes with it are f2b's own. */
  proto?: number;
  /**
   * Route metric of this jail's routes (default: a number from 1 to 65535 derived from the jail's
   * name). It keeps jails apart: each lists, repairs and removes only routes with its own metric.
   */
  metric?: number;
  /** How often to verify (and repair) the routes (default 30s; 0 = never). */
  checkInterval?: number | string;
  /** First retry delay after a failure (default 1s), doubling up to retryMaxDelay (default 60s). */
  retryDelay?: number | string;
  retryMaxDelay?: number | string;
  /** Change the routes inside this named network namespace (`ip -n NAME …`). */
  netns?: string;
  /** The ip program (default `ip`). */
  ipPath?: string;
}

const TABLE_RE = /^[A-Za-z][A-Za-z0-9_.-]{0,31}$/;
export const NETNS_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const duration = {
  oneOf: [
    { type: 'number', minimum: 0 },
    { type: 'string', minLength: 1, maxLength: 32 },
  ],
};

export const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    blocktype: { enum: ['blackhole', 'unreachable', 'prohibit'] },
    table: {
      oneOf: [
        { type: 'integer', minimum: 1, maximum: 4_294_967_295 },
        { type: 'string', pattern: TABLE_RE.source },
      ],
    },
    proto: { type: 'integer', minimum: 5, maximum: 255 },
    metric: { type: 'integer', minimum: 1, maximum: 4_294_967_295 },
    checkInterval: duration,
    retryDelay: duration,
    retryMaxDelay: duration,
    netns: { type: 'string', pattern: NETNS_RE.source },
    ipPath: { type: 'string', minLength: 1, pattern: '^[^-\\s][^\\s]*$' },
  },
} as const;

export interface RouteConfig {
  blocktype: RouteType;
  table: string;
  proto: number;
  metric: number;
  checkIntervalMs: number;
  retryDelayMs: number;
  retryMaxDelayMs: number;
  netns?: string;
  ipPath: string;
}

const bad = routeErrors.F2B_ERR_ROUTE_OPTIONS;

function durationMs(value: number | string | undefined, fallback: number, path: string): number {
  return durationOptionMs(value, fallback, path, (cause) =>
    Object.assign(bad(path, `is not a duration (${JSON.stringify(value)})`, 'Write seconds (30) or a duration with a unit ("30s", "1m").'), { cause }),
  );
}

/** Validates (again: the action may be created without core's schema check) and applies defaults. */
/** A jail's default metric: FNV-1a of its name, folded into 1..65535 (stable across runs and hosts). */
export function jailMetric(jail: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(jail, 'utf8')) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return 1 + (h % 65535);
}

export function normalizeOptions(raw: RouteOptions | undefined, jail: string): RouteConfig {
  const o = raw ?? {};
  const blocktype = o.blocktype ?? 'blackhole';
  if (!['blackhole', 'unreachable', 'prohibit'].includes(blocktype))
    throw bad('blocktype', `${JSON.stringify(blocktype)} is not supported`, 'Use blackhole, unreachable or prohibit.');
  const table = o.table ?? 'main';
  const tableOk =
    typeof table === 'number' ? Number.isInteger(table) && table >= 1 && table <= 4_294_967_295 : typeof table === 'string' && TABLE_RE.test(table);
  if (!tableOk)
    throw bad('table', `${JSON.stringify(table)} is not a routing table`, 'Give a table number (100) or a name from /etc/iproute2/rt_tables (main).');
  const proto = o.proto ?? 242;
  if (!Number.isInteger(proto) || proto < 5 || proto > 255)
    throw bad(
      'proto',
      'must be a whole number from 5 to 255',
      'Pick a number no routing daemon on this host uses (see /etc/iproute2/rt_protos); 242 is the default.',
    );
  const metric = o.metric ?? jailMetric(jail);
  if (!Number.isInteger(metric) || metric < 1 || metric > 4_294_967_295)
    throw bad('metric', 'must be a whole number from 1 to 4294967295', 'Leave it out (derived from the jail name) or give each jail its own number.');
  if (o.netns !== undefined && (typeof o.netns !== 'string' || !NETNS_RE.test(o.netns)))
    throw bad('netns', `${JSON.stringify(o.netns)} is not a network namespace name`, 'Use the name shown by `ip netns list`.');
  if (o.ipPath !== undefined && (typeof o.ipPath !== 'string' || o.ipPath === '' || o.ipPath.startsWith('-') || /\s/.test(o.ipPath)))
    throw bad('ipPath', `${JSON.stringify(o.ipPath)} is not a program path`, 'Give a program name or an absolute path, e.g. /usr/sbin/ip.');
  const retryDelayMs = Math.max(10, durationMs(o.retryDelay, 1000, 'retryDelay'));
  return {
    blocktype,
    table: String(table),
    proto,
    metric,
    checkIntervalMs: durationMs(o.checkInterval, 30_000, 'checkInterval'),
    retryDelayMs,
    retryMaxDelayMs: Math.max(retryDelayMs, durationMs(o.retryMaxDelay, 60_000, 'retryMaxDelay')),
    netns: o.netns,
    ipPath: o.ipPath ?? 'ip',
  };
}
