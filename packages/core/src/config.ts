/**
 * Configuration: found with cosmiconfig (module name `f2b`: `f2b.config.{ts,mjs,js,json,yaml}`,
 * `.f2brc*`, `package.json#f2b`) or named with `--config`, validated with the path of any bad key,
 * and normalised into jails in fail2ban's terms (findtime, maxretry, bantime, ignoreip, …). A config
 * may `extends` other files and packages, override keys per host (`hosts`) and refer to environment
 * variables (`${env:NAME}`): see config/chain.ts.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { errors, isF2bError, relocateError, type F2bError } from './errors.js';
import { defaultPaths } from './config/paths.js';
import { parseDuration } from './duration.js';
import { tryParseCidr } from './ip.js';
import { parseListen } from './metrics/listen.js';
import { READ_ONLY_SOCKET_SCHEMA, resolveReadOnlySocket, type ReadOnlySocketConfig, type ReadOnlySocketInput } from './config/read-only-socket.js';
import { checkSchema, type JSONSchema } from './validate.js';
import { DateParser } from './dates.js';
import type { BantimeIncrement } from './tracker.js';
import type { RangeConfig } from './range-escalation.js';
import { DEFAULT_TRACKER } from './builtin/default-tracker.js';
import { ConfigReader } from './config/reader.js';
import { chainOf, loadConfigChain, originLabel, type ChainOptions, type ConfigChain } from './config/chain.js';
import { DefaultSources } from './config/default-source.js';
import {
  PORT_SCHEMA,
  PROTOCOL_SCHEMA,
  resolvePorts,
  resolveProtocols,
  ServiceNames,
  type PortInput,
  type PortProtocol,
  type ProtocolInput,
} from './config/ports.js';
import { resolveUserFilters, USER_FILTERS_SCHEMA, type UserFilterInput } from './config/user-filters.js';
import type { FilterDefinition } from './filter/types.js';

export type SourceInput = string | ({ type?: string } & Record<string, unknown>);
export type FilterInput = string | { id?: string; mode?: string; options?: Record<string, unknown> };
export type ActionInput = string | ({ type: string } & Record<string, unknown>);
/** A tracker type (`default`), or `{ type, ...options }`. */
export type TrackerInput = string | ({ type: string } & Record<string, unknown>);
export type Duration = number | string;

export interface JailInput {
  enabled?: boolean;
  source?: SourceInput;
  sources?: SourceInput[];
  /** Filter id (`sshd`), or `{ id, mode, options }`; defaults to the jail's name. */
  filter?: FilterInput;
  actions?: ActionInput[];
  /**
   * The ports firewall actions ban (fail2ban's `port`): 22, "ssh", "1000:2000", "ssh,2222" or a list;
   * default every port. An action's own `ports` option wins.
   */
  port?: PortInput;
  /** The protocols of `port` (fail2ban's `protocol`): tcp (the default with ports), udp, sctp, a list, or all. */
  protocol?: ProtocolInput;
  /** What counts failures and decides bans (default: the built-in `default` tracker). */
  tracker?: TrackerInput;
  findtime?: Duration;
  maxretry?: number;
  bantime?: Duration;
  ignoreip?: string | string[];
  ignoreself?: boolean;
  /** IANA zone for log dates written without an offset. */
  timezone?: string;
  /** Host names as failure sources: `no` ignores them, `warn`/`yes` resolve them. */
  usedns?: 'yes' | 'warn' | 'no';
  /** fail2ban's `bantime.increment`: each further ban of the same address lasts longer. */
  bantimeIncrement?: { enabled?: boolean; factor?: number; multipliers?: number[]; maxtime?: Duration; rndtime?: Duration; overalljails?: boolean };
  /** Run the jail only when a condition holds at (re)load: `exists` — at least one of these paths exists. */
  enabledIf?: { exists: string | string[] };
  /** Longest wait for one action call (ban/unban batch); past it the work stays in the outbox for retry. */
  actionTimeout?: Duration;
  /** Most sources the jail tracks at once (failing and banned); past it the least recently failing are forgotten. */
  maxTracked?: number;
  /**
   * Range escalation: `distinct` addresses of one IPv4 /`ipv4` or IPv6 /`ipv6` range banned within
   * `within` → the range is banned for `bantime` (one CIDR ban). `true`: every default; `false` turns
   * it off (over `defaults`).
   */
  range?: RangeInput | boolean;
  /**
   * The jail's log may not exist yet: a source that watches nothing is then a warning, not an error
   * (`config check` passes, `start` runs). Default: true for jails with `enabledIf`, false otherwise.
   */
  waitForLog?: boolean;
  /** What this jail shares with the fleet (config `fleet`): both on by default once a fleet is set. */
  fleet?: { failures?: boolean; bans?: boolean };
}

/** A fleet of hosts sharing bans and failures: `{ type: 'redis', url, name, host }` (options beside `type` are the plugin's). */
export type FleetInput = { type: string; host?: string } & Record<string, unknown>;

export interface RangeInput {
  /** Prefix length of an IPv4 range (default 24); false: IPv4 bans never ban a range. */
  ipv4?: number | boolean;
  /** Prefix length of an IPv6 range (default 64); false: IPv6 bans never ban a range. */
  ipv6?: number | boolean;
  /** Different addresses of one range banned within `within` that ban the range (default 5). */
  distinct?: number;
  /** Default 1h. */
  within?: Duration;
  /** How long a range ban lasts (default: the jail's bantime). */
  bantime?: Duration;
}

export interface F2bConfig {
  /** Configs this one builds on: files (relative to this one) or packages; later entries override earlier ones. */
  extends?: string | string[];
  /** Overrides for machines whose host name matches a pattern (`*`, `?`): `{ "web-*": { jails: { … } } }`. */
  hosts?: Record<string, Omit<F2bConfig, 'extends' | 'hosts' | 'jails'> & { jails?: Record<string, JailInput | null> }>;
  /** Extra plugin packages to load: name or [name, options]. */
  plugins?: (string | [string, Record<string, unknown>])[];
  /** Settings every jail inherits (fail2ban's [DEFAULT]). */
  defaults?: Omit<JailInput, 'source' | 'sources' | 'filter' | 'enabled'>;
  jails: Record<string, JailInput>;
  /**
   * Filters written here (fail2ban's filter.d): `{ myapp: { failregex: ['^Login failed for .* from <HOST>$'] } }`,
   * used by jails as `filter: myapp`; one named like an installed filter replaces it (config/user-filters.ts).
   */
  filters?: Record<string, UserFilterInput>;
  /** The daemon's log: `notice` shows the ban trail and warnings only; `debug` adds a line per failure. */
  logLevel?: 'debug' | 'info' | 'notice' | 'warn' | 'error';
  /** `text` (default; timestamps, or syslog priorities under systemd) or `json` (one object per line). */
  logFormat?: 'text' | 'json';
  /** Prometheus metrics over HTTP, read-only: `{ listen: "127.0.0.1:9191" }`. Off by default. */
  metrics?: { listen: string };
  /** The local read-only dashboard over HTTP (needs `@f2b/dashboard`): `{ listen: "127.0.0.1:9192" }` (the default address). Off by default. */
  dashboard?: { listen?: string };
  /** Where bans, failures and read positions survive restarts. */
  state?: { type?: string; path?: string; purgeAge?: Duration; synchronous?: 'normal' | 'full' };
  /** The control socket (`f2b status`, `f2b ban`…); `false` for none. */
  socket?: string | false;
  /**
   * A second control socket that answers only ping, status, banned and explain, for a group:
   * `{ path: "/run/f2b-ro/f2b.sock", group: "adm", mode: "0660" }`. Off by default.
   */
  readOnlySocket?: ReadOnlySocketInput | false;
  /** Repeat offenders: banned `maxbans` times within `findtime` (any jail) → banned for `bantime` by these actions. */
  recidive?: { enabled?: boolean; maxbans?: number; findtime?: Duration; bantime?: Duration; actions?: ActionInput[] };
  /** Share bans and failures with the other hosts of a fleet (`@f2b/fleet-redis`). Off by default. */
  fleet?: FleetInput;
}

/** Identity helper for typed config files (`export default defineConfig({...})`). */
export function defineConfig(config: F2bConfig): F2bConfig {
  return config;
}

export interface JailConfig {
  name: string;
  /** `enabled` of the config, and `enabledIf` when it has one. */
  enabled: boolean;
  /** Why the jail is off although `enabled` is not false (its `enabledIf` did not hold). */
  disabledBecause?: string;
  /** Sources that watch nothing are allowed (`waitForLog`, or an `enabledIf` jail): warn, do not fail. */
  waitForLog: boolean;
  sources: { type: string; options: Record<string, unknown> }[];
  /** Why these sources, when the jail named none and its filter's declared log paths chose them. */
  sourceReason?: string;
  filter: { id: string; mode?: string; options: Record<string, unknown> };
  actions: { type: string; options: Record<string, unknown> }[];
  /** `port`, as numbers and `from-to` ranges (service names resolved); undefined: every port. */
  ports?: string[];
  /** `protocol`; undefined: tcp with ports, every protocol without. */
  protocols?: PortProtocol[];
  tracker: { type: string; options: Record<string, unknown> };
  /** Seconds. */
  findtime: number;
  maxretry: number;
  /** Seconds; -1 = forever. */
  bantime: number;
  ignoreip: string[];
  ignoreself: boolean;
  timezone?: string;
  usedns: 'yes' | 'warn' | 'no';
  bantimeIncrement?: BantimeIncrement;
  /** Seconds one action call may take before the jail stops waiting for it. */
  actionTimeout: number;
  maxTracked: number;
  /** What the jail shares with the fleet, when there is one. */
  fleet: { failures: boolean; bans: boolean };
  /** Range escalation (`range:`), when on. */
  range?: RangeConfig;
}

export interface ResolvedConfig {
  file?: string;
  state: { type: string; options: Record<string, unknown>; purgeAge: number };
  socket: string | null;
  /** The read-only control socket; null: none. */
  readOnlySocket: ReadOnlySocketConfig | null;
  recidive: { maxbans: number; findtime: number; bantime: number; actions: ActionInput[] } | null;
  plugins: { name: string; options: Record<string, unknown> }[];
  jails: JailConfig[];
  /** The config's own filters (`filters:`), checked and compiled into definitions. */
  filters: FilterDefinition[];
  logLevel: 'debug' | 'info' | 'notice' | 'warn' | 'error';
  /** undefined: F2B_LOG_FORMAT decides (text unless it says json). */
  logFormat?: 'text' | 'json';
  /** Where the metrics endpoint listens; null: off. */
  metrics: { host: string; port: number } | null;
  /** The fleet (type, this host's name, the plugin's options); null: none. */
  fleet: { type: string; host?: string; options: Record<string, unknown> } | null;
  /** Where the dashboard listens; null: off. */
  dashboard: { host: string; port: number } | null;
}

/** Where the dashboard listens when its config names no address: loopback only. */
export const DASHBOARD_LISTEN = '127.0.0.1:9192';

/** Where a system-wide config lives when none is found from the current directory. */
export const SYSTEM_DIR = '/etc/f2b';

export const JAIL_DEFAULTS = {
  findtime: 600,
  maxretry: 5,
  bantime: 600,
  ignoreip: [] as string[],
  ignoreself: true,
  usedns: 'warn' as const,
  actions: ['log'] as ActionInput[],
  actionTimeout: 60 as Duration,
  maxTracked: 1_000_000,
};

const duration = { oneOf: [{ type: 'number' }, { type: 'string' }] };
const jailProps = {
  findtime: duration,
  bantime: duration,
  actionTimeout: duration,
  maxretry: { type: 'integer', minimum: 1 },
  maxTracked: { type: 'integer', minimum: 1 },
  ignoreip: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
  ignoreself: { type: 'boolean' },
  timezone: { type: 'string' },
  usedns: { enum: ['yes', 'warn', 'no'] },
  bantimeIncrement: {
    type: 'object',
    additionalProperties: false,
    properties: {
      enabled: { type: 'boolean' },
      factor: { type: 'number', exclusiveMinimum: 0 },
      multipliers: { type: 'array', items: { type: 'number', exclusiveMinimum: 0 }, minItems: 1 },
      maxtime: duration,
      rndtime: duration,
      overalljails: { type: 'boolean' },
    },
  },
  actions: { type: 'array', items: { oneOf: [{ type: 'string' }, { type: 'object', required: ['type'], properties: { type: { type: 'string' } } }] } },
  port: PORT_SCHEMA,
  protocol: PROTOCOL_SCHEMA,
  tracker: {
    oneOf: [
      { type: 'string', minLength: 1 },
      { type: 'object', required: ['type'], properties: { type: { type: 'string', minLength: 1 } } },
    ],
  },
  fleet: { type: 'object', additionalProperties: false, properties: { failures: { type: 'boolean' }, bans: { type: 'boolean' } } },
  // Types as lists, not oneOf: a bad value inside is then reported at its own key path.
  range: {
    type: ['object', 'boolean'],
    additionalProperties: false,
    properties: {
      ipv4: { type: ['integer', 'boolean'], minimum: 8, maximum: 31 },
      ipv6: { type: ['integer', 'boolean'], minimum: 16, maximum: 127 },
      distinct: { type: 'integer', minimum: 2, maximum: 1_000_000 },
      within: duration,
      bantime: duration,
    },
  },
};
const source = { oneOf: [{ type: 'string' }, { type: 'object' }] };

export const CONFIG_SCHEMA: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['jails'],
  properties: {
    $schema: { type: 'string' },
    state: {
      type: 'object',
      additionalProperties: false,
      properties: { type: { type: 'string' }, path: { type: 'string', minLength: 1 }, purgeAge: duration, synchronous: { enum: ['normal', 'full'] } },
    },
    socket: { oneOf: [{ type: 'string', minLength: 1 }, { const: false }] },
    readOnlySocket: READ_ONLY_SOCKET_SCHEMA,
    recidive: {
      type: 'object',
      additionalProperties: false,
      properties: { enabled: { type: 'boolean' }, maxbans: { type: 'integer', minimum: 1 }, findtime: duration, bantime: duration, actions: jailProps.actions },
    },
    logLevel: { enum: ['debug', 'info', 'notice', 'warn', 'error'] },
    fleet: {
      type: 'object',
      required: ['type'],
      properties: { type: { type: 'string', minLength: 1 }, host: { type: 'string', minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' } },
    },
    logFormat: { enum: ['text', 'json'] },
    metrics: { type: 'object', additionalProperties: false, required: ['listen'], properties: { listen: { type: 'string', minLength: 3, maxLength: 300 } } },
    dashboard: { type: 'object', additionalProperties: false, properties: { listen: { type: 'string', minLength: 3, maxLength: 300 } } },
    plugins: {
      type: 'array',
      items: { oneOf: [{ type: 'string' }, { type: 'array', items: [{ type: 'string' }, { type: 'object' }], minItems: 1, maxItems: 2 }] },
    },
    defaults: { type: 'object', additionalProperties: false, properties: jailProps },
    filters: USER_FILTERS_SCHEMA,
    jails: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          ...jailProps,
          enabled: { type: 'boolean' },
          waitForLog: { type: 'boolean' },
          enabledIf: {
            type: 'object',
            additionalProperties: false,
            required: ['exists'],
            properties: {
              exists: {
                oneOf: [
                  { type: 'string', minLength: 1 },
                  { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
                ],
              },
            },
          },
          source,
          sources: { type: 'array', items: source, minItems: 1 },
          filter: {
            oneOf: [
              { type: 'string' },
              { type: 'object', additionalProperties: false, properties: { id: { type: 'string' }, mode: { type: 'string' }, options: { type: 'object' } } },
            ],
          },
        },
      },
    },
  },
};

/**
 * Find and load the config: `file` if given (must exist), else cosmiconfig's search from `cwd` (then
 * /etc/f2b). The config is composed — `extends`, `hosts` for this machine (or `opts.host`), `${env:NAME}`
 * — so `config` is one plain object; `chain` tells where each value came from.
 */
export async function loadConfig(
  file?: string,
  cwd = process.cwd(),
  opts: ChainOptions = {},
): Promise<{ config: F2bConfig; file: string; chain: ConfigChain } | null> {
  // Search upward from cwd (to the home directory, then ~/.config/f2b), then the system's /etc/f2b;
  // files outside the trust boundary are reported and passed over (a named --config is refused).
  const reader = opts.reader ?? new ConfigReader();
  let path: string;
  if (file) {
    path = resolvePath(cwd, file);
    if (!existsSync(path)) throw errors.F2B_ERR_CONFIG_NOT_FOUND(path);
  } else {
    const found = (await reader.search(cwd)) ?? (existsSync(SYSTEM_DIR) ? await reader.search(SYSTEM_DIR, { global: false }) : null);
    if (!found) return null;
    path = found;
  }
  const chain = await loadConfigChain(path, { ...opts, reader });
  return { config: chain.config, file: chain.file, chain };
}

/**
 * Validate and normalise; every error names the file and the key path. For a config composed by
 * `loadConfig`/`loadConfigChain`, the file and key path are those of the layer that set the bad value.
 */
export function resolveConfig(input: F2bConfig, file?: string, opts: ResolveOptions = {}): ResolvedConfig {
  const chain = input && typeof input === 'object' ? chainOf(input) : undefined;
  if (!chain) return resolvePlain(input, file, opts);
  try {
    return resolvePlain(input, file, opts);
  } catch (err) {
    if (!isF2bError(err) || !err.path) throw err;
    const origin = chain.origins.explain(err.path);
    if (!origin) throw err;
    return rethrow(relocateError(err, { file: originLabel(origin), path: origin.path }));
  }
}

function rethrow(err: F2bError): never {
  throw err;
}

export interface ResolveOptions {
  /** Chooses the source of jails that name none (default: from the plugins found from the config's directory and f2b's). */
  defaultSources?: DefaultSources;
  /** Where `port`'s service names are looked up (default /etc/services). */
  services?: ServiceNames;
}

function resolvePlain(input: F2bConfig, file?: string, opts: ResolveOptions = {}): ResolvedConfig {
  for (const key of ['extends', 'hosts'] as const) {
    if (input && typeof input === 'object' && input[key] !== undefined) {
      throw errors.F2B_ERR_CONFIG_INVALID(
        key,
        'is only understood when the config is loaded from a file',
        'Load it with loadConfig() or loadConfigChain() (as f2b does), which apply "extends" and "hosts".',
        file,
      );
    }
  }
  // Before the schema: YAML's .inf and .nan pass a JSON Schema "integer"/"number" check.
  const notFinite = nonFiniteNumber(input, '');
  if (notFinite)
    throw errors.F2B_ERR_CONFIG_INVALID(
      notFinite,
      'is not a finite number',
      `${fixFor(notFinite).replace(/\.$/, '')} (.inf and .nan are not values f2b can count with).`,
      file,
    );
  const problem = checkSchema(CONFIG_SCHEMA, input, '');
  if (problem) throw errors.F2B_ERR_CONFIG_INVALID(problem.path || '(root)', problem.problem, fixFor(problem.path), file);
  const defaults = input.defaults ?? {};
  const filters = resolveUserFilters(input.filters, file);
  const jails: JailConfig[] = [];
  // Made at the first jail without a source: only then are plugin manifests and os-release read.
  let defaultSources = opts.defaultSources;
  const services = opts.services ?? new ServiceNames();
  const chooser = () => (defaultSources ??= new DefaultSources({ searchFrom: file && !file.startsWith('(') ? [dirname(file)] : undefined }));
  for (const [name, jail] of Object.entries(input.jails)) {
    const p = `jails.${name}`;
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name)) {
      throw errors.F2B_ERR_CONFIG_INVALID(p, 'is not a valid jail name', 'Use letters, digits, "-", "_" and "." (at most 64 characters).', file);
    }
    const merged = { ...JAIL_DEFAULTS, ...defaults, ...jail };
    const sources = jail.sources ?? (jail.source !== undefined ? [jail.source] : []);
    const filter = typeof jail.filter === 'string' ? { id: jail.filter } : { id: name, ...(jail.filter ?? {}) };
    const ignoreip = typeof merged.ignoreip === 'string' ? merged.ignoreip.split(/[\s,]+/).filter(Boolean) : [...merged.ignoreip];
    ignoreip.forEach((cidr, i) => {
      if (!tryParseCidr(cidr)) throw withFile(errors.F2B_ERR_ADDRESS_INVALID(cidr, `${p}.ignoreip.${i}`), file);
    });
    if (merged.timezone !== undefined) wrap(() => assertTimezone(merged.timezone!, `${p}.timezone`), file);
    const disabledBecause = jail.enabled !== false && jail.enabledIf ? unmet(jail.enabledIf) : undefined;
    const protocols = resolveProtocols(merged.protocol, `${p}.protocol`, file);
    const ports = resolvePorts(merged.port, protocols, `${p}.port`, services, file);
    const enabled = (jail.enabled ?? true) && !disabledBecause;
    const waitForLog = jail.waitForLog ?? jail.enabledIf !== undefined;
    // No source: the one the filter's package declares for this distribution (a jail that is off needs none).
    if (sources.length === 0 && enabled && filters.some((f) => f.id === (filter.id ?? name)))
      throw errors.F2B_ERR_CONFIG_INVALID(
        `${p}.source`,
        `is missing: the jail uses the config's filter ${JSON.stringify(filter.id ?? name)}, which says nothing of where its service logs`,
        'Give the log to read: source: /var/log/… (a file or glob), or source: { type: journald, matches: ["_SYSTEMD_UNIT=….service"] }.',
        file,
      );
    const chosen = sources.length === 0 && enabled ? wrap(() => chooser().choose(name, filter.id ?? name, waitForLog), file) : undefined;
    jails.push({
      name,
      enabled,
      ...(disabledBecause ? { disabledBecause } : {}),
      waitForLog,
      sources: chosen
        ? [chosen.source]
        : sources.map((s) => (typeof s === 'string' ? { type: 'file', options: { paths: [s] } } : { type: s.type ?? 'file', options: omitType(s) })),
      ...(chosen ? { sourceReason: chosen.reason } : {}),
      filter: { id: filter.id ?? name, mode: filter.mode, options: filter.options ?? {} },
      actions: merged.actions.map((a) => (typeof a === 'string' ? { type: a, options: {} } : { type: a.type, options: omitType(a) })),
      ...(ports ? { ports } : {}),
      ...(protocols ? { protocols } : {}),
      tracker:
        typeof merged.tracker === 'string'
          ? { type: merged.tracker, options: {} }
          : merged.tracker
            ? { type: merged.tracker.type, options: omitType(merged.tracker) }
            : { type: DEFAULT_TRACKER, options: {} },
      findtime: wrap(() => parseDuration(merged.findtime, `${p}.findtime`, { positive: true }), file),
      bantime: wrap(() => parseDuration(merged.bantime, `${p}.bantime`, { allowForever: true, positive: true }), file),
      maxretry: merged.maxretry,
      ignoreip,
      ignoreself: merged.ignoreself,
      timezone: merged.timezone,
      usedns: merged.usedns,
      bantimeIncrement: resolveIncrement(merged.bantimeIncrement, `${p}.bantimeIncrement`, file),
      actionTimeout: wrap(() => positive(parseDuration(merged.actionTimeout, `${p}.actionTimeout`), `${p}.actionTimeout`), file),
      maxTracked: merged.maxTracked,
      fleet: { failures: merged.fleet?.failures ?? true, bans: merged.fleet?.bans ?? true },
      ...rangeOf(merged.range, `${p}.range`, file, () => parseDuration(merged.bantime, `${p}.bantime`, { allowForever: true, positive: true })),
    });
  }
  const plugins = (input.plugins ?? []).map((p) => (typeof p === 'string' ? { name: p, options: {} } : { name: p[0], options: p[1] ?? {} }));
  const st = input.state ?? {};
  const stateType = st.type ?? 'sqlite';
  const state = {
    type: stateType,
    options: stateType === 'memory' ? {} : { path: st.path ?? defaultPaths().db, ...(st.synchronous ? { synchronous: st.synchronous } : {}) },
    purgeAge: st.purgeAge === undefined ? 30 * 86400 : wrap(() => parseDuration(st.purgeAge, 'state.purgeAge', { positive: true }), file),
  };
  const socket = input.socket === false ? null : (input.socket ?? defaultPaths().socket);
  if (socket) wrap(() => checkSocketPath(socket, 'socket'), file);
  const readOnlySocket = wrap(() => resolveReadOnlySocket(input.readOnlySocket, socket, file), file);
  if (readOnlySocket) wrap(() => checkSocketPath(readOnlySocket.path, 'readOnlySocket.path'), file);
  const r = input.recidive;
  const recidive =
    r && r.enabled !== false
      ? {
          maxbans: r.maxbans ?? 5,
          findtime: wrap(() => parseDuration(r.findtime ?? '1d', 'recidive.findtime', { positive: true }), file),
          bantime: wrap(() => parseDuration(r.bantime ?? '1w', 'recidive.bantime', { allowForever: true, positive: true }), file),
          actions: r.actions ?? input.defaults?.actions ?? JAIL_DEFAULTS.actions,
        }
      : null;
  if (recidive && input.jails.recidive)
    throw errors.F2B_ERR_CONFIG_INVALID(
      'jails.recidive',
      'collides with the built-in repeat-offender jail',
      'Rename the jail, or configure repeat offenders under the top-level "recidive" key.',
      file,
    );
  const metrics = input.metrics ? wrap(() => parseListen(input.metrics!.listen, 'metrics.listen'), file) : null;
  const fleet = input.fleet ? { type: input.fleet.type, ...(input.fleet.host ? { host: input.fleet.host } : {}), options: omitHostAndType(input.fleet) } : null;
  const dashboard = input.dashboard ? wrap(() => parseListen(input.dashboard!.listen ?? DASHBOARD_LISTEN, 'dashboard.listen'), file) : null;
  return {
    file,
    plugins,
    jails,
    filters,
    logLevel: input.logLevel ?? 'info',
    logFormat: input.logFormat,
    metrics,
    dashboard,
    state,
    socket,
    readOnlySocket,
    recidive,
    fleet,
  };
}

/** The longest path a Unix socket can have on Linux: sun_path is 108 bytes with the final NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;

/** Refuse a socket path the kernel cannot bind, before anything starts (config check, start). */
export function checkSocketPath(path: string, keyPath = 'socket'): void {
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw errors.F2B_ERR_CONFIG_INVALID(
      keyPath,
      `is a socket path of ${bytes} bytes, longer than the ${MAX_SOCKET_PATH_BYTES} bytes a Unix socket path can have`,
      'Choose a shorter path, e.g. /run/f2b/f2b.sock.',
    );
  }
}

/** The key path of the first number that is NaN or infinite, if any. */
function nonFiniteNumber(value: unknown, path: string): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : path || '(root)';
  if (value === null || typeof value !== 'object') return undefined;
  for (const [k, v] of Object.entries(value)) {
    const found = nonFiniteNumber(v, path ? `${path}.${k}` : k);
    if (found) return found;
  }
  return undefined;
}

/** Why an `enabledIf` does not hold, or undefined when it does. */
function unmet(cond: NonNullable<JailInput['enabledIf']>): string | undefined {
  const paths = typeof cond.exists === 'string' ? [cond.exists] : cond.exists;
  if (paths.some((p) => existsSync(p))) return undefined;
  return `enabledIf: ${paths.length === 1 ? `${paths[0]} does not exist` : `none of ${paths.join(', ')} exists`}`;
}

function positive(seconds: number, path: string): number {
  if (!(seconds > 0)) throw errors.F2B_ERR_CONFIG_INVALID(path, 'must be a duration longer than 0', 'Write a duration: seconds, or 30s, 2m.');
  return seconds;
}

function omitHostAndType(o: Record<string, unknown>): Record<string, unknown> {
  const { type: _type, host: _host, ...rest } = o;
  return rest;
}

function omitType(o: Record<string, unknown>): Record<string, unknown> {
  const { type: _type, ...rest } = o;
  return rest;
}

function wrap<T>(fn: () => T, file?: string): T {
  try {
    return fn();
  } catch (err) {
    throw isF2bError(err) ? withFile(err, file) : err;
  }
}

function withFile(err: F2bError, file?: string): F2bError {
  return file && !err.file ? relocateError(err, { file }) : err;
}

function fixFor(path: string): string {
  if (/\.(findtime|bantime|actionTimeout|within)$/.test(path)) return 'Write a duration: seconds, or 10m, 1h, 1d.';
  if (/\.range\.ipv4$/.test(path)) return 'Write the prefix length of an IPv4 range (8 to 31, e.g. 24), or false.';
  if (/\.range\.ipv6$/.test(path)) return 'Write the prefix length of an IPv6 range (16 to 127, e.g. 64), or false.';
  if (/\.range\.distinct$/.test(path)) return 'Write a whole number of at least 2: how many addresses of one range must be banned.';
  if (/\.range(\.[^.]+)?$/.test(path)) return 'range takes { ipv4, ipv6, distinct, within, bantime } (see "Banning whole ranges" in the README), or false.';
  if (path === 'state.type') return 'Known store types: sqlite (the default) and memory; others come from installed store packages.';
  if (path.endsWith('.maxretry')) return 'Write a whole number of at least 1.';
  if (/\.port(\.\d+)?$/.test(path)) return 'Write ports as 22, "ssh", "1000:2000", "ssh,2222" or a list of them.';
  if (/\.protocol(\.\d+)?$/.test(path)) return 'Write tcp, udp or sctp, a list of them, or all.';
  if (/^jails\.[^.]+\.[^.]+$/.test(path))
    return 'Known jail keys: enabled, enabledIf, waitForLog, source, sources, filter, actions, port, protocol, tracker, findtime, maxretry, bantime, ignoreip, ignoreself, timezone, usedns, actionTimeout, maxTracked, fleet, range.';
  return 'See "Configuration" in the README.';
}

/**
 * The embedded default: an sshd jail on the auth log, or on the journal where there is no auth log
 * (Debian 12 without rsyslog logs sshd only to journald); dry-run action `log`.
 */
export function defaultConfig(): F2bConfig {
  const log = ['/var/log/auth.log', '/var/log/secure'].find((f) => existsSync(f));
  const journal = ['/run/systemd/journal', '/var/log/journal'].some((d) => existsSync(d));
  const source: SourceInput = log ?? (journal ? { type: 'journald', preset: 'sshd' } : '/var/log/auth.log');
  return { jails: { sshd: { source, filter: 'sshd', actions: ['log'] } } };
}

function assertTimezone(zone: string, path: string): void {
  try {
    new DateParser({ timezone: zone });
  } catch {
    throw errors.F2B_ERR_TIMEZONE_INVALID(zone, path);
  }
}

/** The jail's `range:` resolved (durations in seconds), as a spread: nothing when it is off. */
function rangeOf(value: RangeInput | boolean | undefined, path: string, file: string | undefined, jailBantime: () => number): { range?: RangeConfig } {
  if (!value) return {};
  // `range: true` is every default; `ipv4: true` the default prefix.
  const input: RangeInput = value === true ? {} : value;
  return {
    range: {
      ipv4: input.ipv4 === false ? null : typeof input.ipv4 === 'number' ? input.ipv4 : 24,
      ipv6: input.ipv6 === false ? null : typeof input.ipv6 === 'number' ? input.ipv6 : 64,
      distinct: input.distinct ?? 5,
      within: input.within === undefined ? 3600 : wrap(() => parseDuration(input.within, `${path}.within`, { positive: true }), file),
      bantime:
        input.bantime === undefined ? jailBantime() : wrap(() => parseDuration(input.bantime, `${path}.bantime`, { allowForever: true, positive: true }), file),
    },
  };
}

function resolveIncrement(inc: JailInput['bantimeIncrement'], path: string, file?: string): BantimeIncrement | undefined {
  if (!inc || inc.enabled === false) return undefined;
  return {
    factor: inc.factor ?? 2,
    multipliers: inc.multipliers,
    maxtime: inc.maxtime === undefined ? 7 * 86400 : wrap(() => parseDuration(inc.maxtime, `${path}.maxtime`, { positive: true }), file),
    rndtime: inc.rndtime === undefined ? 0 : wrap(() => parseDuration(inc.rndtime, `${path}.rndtime`), file),
    overalljails: inc.overalljails ?? false,
  };
}

export { defaultPaths };
