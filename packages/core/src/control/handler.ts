/**
 * The commands of the control socket, carried out on a running `Daemon`:
 *
 *   ping                      → { pong, version, pid, uptime, protocol }
 *   status                    → { jails, count, state: { kind, location } }
 *   status  { jail, limit? }  → fail2ban-client's `status <jail>`: counters, and the first `limit`
 *                               (100) banned and failing ids (most attempts first), `more` counts
 *   status  { jail, list, cursor?, limit? } → one page (`limit`, 1000) of every `banned` or `failing`
 *                               id: { items, cursor } — pass `cursor` back for the next page; null at the end
 *   ban     { jail, ip }      → the ban (or the one in force: { already: true })
 *   unban   { ip, jail? } | { all: true, jail? } → { unbanned: [{ jail, id }] }
 *   banned                    → every ban in force: [{ jail, id, start, end, count, rule }]
 *   banned  { ip }            → the bans of one address, active and past, with rule and lines (a
 *                               range ban covering it too); `ip` may be a network (a range ban)
 *   explain { ip }            → why an address is banned or not, jail by jail (explain.ts)
 *   reload  { jail? }         → re-read the config file and reload (always every jail: see below)
 *   stop                      → answers, then stops the daemon
 *
 * Commands that change state (ban, unban, reload) run one at a time, so a `ban` never lands in a jail
 * that a concurrent reload is replacing. Times are epoch milliseconds.
 *
 * `reload { jail }` reloads the whole configuration: `Daemon.reload` swaps all jails at once, keeping
 * bans and read positions, so reloading one jail alone would gain nothing. The name is checked (it must
 * exist before or after the reload) and returned as `requested`.
 */
import { parseIp, tryParseCidr, type IpAddress } from '../ip.js';
import { errors, isF2bError } from '../errors.js';
import type { Daemon } from '../daemon.js';
import type { ResolvedConfig } from '../config.js';
import type { Jail } from '../jail.js';
import type { Ban } from '../types.js';
import { controlErrors } from './errors.js';
import { SUPPORTED_VERSIONS } from './protocol.js';
import { explainAddress } from './explain.js';

export interface ControlContext {
  /** Run `fn` once the response to this request has been written (e.g. stop after saying so). */
  afterResponse(fn: () => void): void;
  /** The peer's uid (SO_PEERCRED), when known. */
  uid?: number | null;
}

export interface ControlHandler {
  handle(cmd: string, args: Record<string, unknown>, ctx: ControlContext): Promise<unknown>;
}

export interface ControlCommandsOptions {
  daemon: Daemon;
  /** Re-read the config from its file (`reload`); without it `reload` is refused. */
  reloadConfig?: () => Promise<ResolvedConfig>;
  /** Stop the daemon (`stop`), called after the answer was sent; without it `stop` is refused. */
  stop?: () => void;
  /** Version reported by `ping` (default: the core's). */
  version?: string;
}

export const CONTROL_COMMANDS = ['ping', 'status', 'ban', 'unban', 'banned', 'explain', 'reload', 'stop'] as const;
export type ControlCommand = (typeof CONTROL_COMMANDS)[number];

const USAGE: Record<ControlCommand, string> = {
  ping: 'ping takes no arguments: {}.',
  status: 'status takes {}, {"jail": "<name>", "limit"?: n} or {"jail": "<name>", "list": "banned" | "failing", "cursor"?: "…", "limit"?: n}.',
  ban: 'ban takes {"jail": "<name>", "ip": "<address>"}.',
  unban: 'unban takes {"ip": "<address>"} or {"all": true}, optionally with "jail": "<name>".',
  banned: 'banned takes {} or {"ip": "<address>"}.',
  explain: 'explain takes {"ip": "<address>"}.',
  reload: 'reload takes {} or {"jail": "<name>"}.',
  stop: 'stop takes no arguments: {}.',
};

/** Page sizes of `status { list }`. */
const PAGE = 1000;
const MAX_PAGE = 10_000;
const MAX_CURSORS = 16;
const CURSOR_TTL_MS = 60_000;

export interface BanView {
  jail: string;
  id: string;
  start: number;
  end: number | null;
  count: number;
  rule: string | null;
  /** The fleet host that decided the ban (received from the fleet); null: this host. */
  origin: string | null;
}

export interface BanDetail extends BanView {
  failures: number;
  lines: string[];
  active: boolean;
}

export class ControlCommands implements ControlHandler {
  private readonly opts: ControlCommandsOptions;
  private readonly startedAt = Date.now();
  /** Tail of the queue of state-changing commands. */
  private mutations: Promise<unknown> = Promise.resolve();
  private stopping = false;
  /** Open pages of `status { list }`: cursor → the live iterator it continues. */
  private readonly cursors = new Map<string, { jail: Jail; list: string; it: Iterator<unknown>; used: number }>();
  private cursorSeq = 0;

  constructor(opts: ControlCommandsOptions) {
    this.opts = opts;
  }

  private get daemon(): Daemon {
    return this.opts.daemon;
  }

  async handle(cmd: string, args: Record<string, unknown>, ctx: ControlContext): Promise<unknown> {
    if (this.stopping) throw controlErrors.F2B_ERR_CONTROL_STOPPING();
    switch (cmd) {
      case 'ping':
        check(cmd, args, {});
        return this.ping();
      case 'status': {
        check(cmd, args, { jail: 'string', list: 'string', cursor: 'string', limit: 'number' });
        const limit = args.limit as number | undefined;
        if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= MAX_PAGE))
          throw controlErrors.F2B_ERR_CONTROL_BAD_ARGS(cmd, `"limit" must be a whole number from 1 to ${MAX_PAGE}`, USAGE.status);
        if (args.list === undefined && args.cursor === undefined) return this.status(args.jail as string | undefined, limit);
        if (args.jail === undefined || (args.list !== 'banned' && args.list !== 'failing'))
          throw controlErrors.F2B_ERR_CONTROL_BAD_ARGS(cmd, 'paging needs "jail" and "list": "banned" or "failing"', USAGE.status);
        return this.page(args.jail as string, args.list, args.cursor as string | undefined, limit ?? PAGE);
      }
      case 'ban':
        check(cmd, args, { jail: 'string', ip: 'string' }, ['jail', 'ip']);
        return this.exclusive(() => this.ban(args.jail as string, args.ip as string));
      case 'unban': {
        check(cmd, args, { ip: 'string', all: 'boolean', jail: 'string' });
        if ((args.ip === undefined) === (args.all !== true)) throw controlErrors.F2B_ERR_CONTROL_BAD_ARGS(cmd, 'give either "ip" or "all": true', USAGE.unban);
        return this.exclusive(() => this.unban(args.ip as string | undefined, args.jail as string | undefined));
      }
      case 'banned':
        check(cmd, args, { ip: 'string' });
        return args.ip === undefined ? this.activeBans() : this.bansOf(args.ip as string);
      case 'explain':
        check(cmd, args, { ip: 'string' }, ['ip']);
        return explainAddress(this.daemon, address(args.ip as string));
      case 'reload':
        check(cmd, args, { jail: 'string' });
        return this.reload(args.jail as string | undefined);
      case 'stop': {
        check(cmd, args, {});
        const stop = this.opts.stop;
        if (!stop) throw controlErrors.F2B_ERR_CONTROL_UNSUPPORTED('stop');
        this.stopping = true;
        ctx.afterResponse(stop);
        return { stopping: true, pid: process.pid };
      }
      default:
        throw controlErrors.F2B_ERR_CONTROL_UNKNOWN_COMMAND(cmd, CONTROL_COMMANDS);
    }
  }

  /** Re-read the config and reload every jail; queued with the other state-changing commands (SIGHUP uses it too). */
  reload(jail?: string): Promise<{ reloaded: string[]; requested: string | null }> {
    const reloadConfig = this.opts.reloadConfig;
    if (!reloadConfig) return Promise.reject(controlErrors.F2B_ERR_CONTROL_UNSUPPORTED('reload'));
    return this.exclusive(async () => {
      try {
        const config = await reloadConfig();
        if (jail !== undefined && !this.daemon.jail(jail) && !config.jails.some((j) => j.enabled && j.name === jail)) {
          throw controlErrors.F2B_ERR_CONTROL_UNKNOWN_JAIL(
            jail,
            this.daemon.jails.map((j) => j.name),
          );
        }
        await this.daemon.reload(config);
      } catch (err) {
        // A broken config must not take down running jails: the old ones keep running.
        const what = isF2bError(err) ? `${err.code}: ${err.message}` : String(err);
        this.daemon.core.logger.error(`Reload failed; the previous configuration stays in force (${what})`);
        throw err;
      }
      return { reloaded: this.daemon.jails.map((j) => j.name), requested: jail ?? null };
    });
  }

  /** Resolves once no state-changing command is running (before stopping the daemon). */
  async idle(): Promise<void> {
    for (;;) {
      const tail = this.mutations;
      await tail.catch(() => {});
      if (tail === this.mutations) return;
    }
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.mutations.catch(() => {}).then(fn);
    this.mutations = run;
    return run;
  }

  private ping() {
    return {
      pong: true,
      version: this.opts.version ?? this.daemon.core.version,
      pid: process.pid,
      uptime: Math.round((Date.now() - this.startedAt) / 1000),
      protocol: SUPPORTED_VERSIONS,
    };
  }

  private status(name?: string, limit?: number) {
    if (name === undefined) {
      const store = this.daemon.store;
      return {
        jails: this.daemon.jails.map((j) => j.name),
        count: this.daemon.jails.length,
        state: { kind: store?.kind ?? null, location: store?.location ?? null, ...this.daemon.storeHealth.snapshot() },
        // Jails that protect nothing right now, with the reason (a missing log, no journal).
        notWatching: this.daemon.jails.filter((j) => !j.watching).map((j) => ({ jail: j.name, reason: j.watchProblems().join('; ') })),
        ...(this.daemon.fleet ? { fleet: this.daemon.fleet.status() } : {}),
      };
    }
    return this.jail(name).status(limit);
  }

  /**
   * One page of a jail's banned or failing ids. The daemon keeps a live iterator per cursor (a few,
   * for a short while), so paging through a million ids costs the daemon a page at a time.
   */
  private page(jailName: string, list: 'banned' | 'failing', cursor: string | undefined, limit: number) {
    const jail = this.jail(jailName);
    this.dropStaleCursors();
    let it: Iterator<unknown>;
    if (cursor === undefined) it = jail.listing(list);
    else {
      const c = this.cursors.get(cursor);
      if (!c || c.jail !== jail || c.list !== list)
        throw controlErrors.F2B_ERR_CONTROL_BAD_ARGS('status', `the cursor ${JSON.stringify(cursor)} is unknown or expired`, 'Start again without "cursor".');
      this.cursors.delete(cursor);
      it = c.it;
    }
    const items: unknown[] = [];
    while (items.length < limit) {
      const r = it.next();
      if (r.done) return { items, cursor: null };
      items.push(r.value);
    }
    const next = `${++this.cursorSeq}`;
    this.cursors.set(next, { jail, list, it, used: Date.now() });
    while (this.cursors.size > MAX_CURSORS) this.cursors.delete(this.cursors.keys().next().value!);
    return { items, cursor: next };
  }

  private dropStaleCursors(): void {
    const old = Date.now() - CURSOR_TTL_MS;
    for (const [k, c] of this.cursors) if (c.used < old) this.cursors.delete(k);
  }

  private async ban(jailName: string, ipText: string) {
    const jail = this.jail(jailName);
    // Refused before "already banned": a store from before the refusal may still hold such a ban.
    const ip = jail.bannable(address(ipText));
    const current = jail.banOf(ip);
    if (current) return { already: true, ban: view(current) };
    const ban = jail.ban(ip);
    await jail.flush(); // answer once the actions have it
    return { already: false, ban: view(ban) };
  }

  private async unban(ipText: string | undefined, jailName: string | undefined) {
    const jails = jailName === undefined ? this.daemon.jails : [this.jail(jailName)];
    // A network (CIDR) is the id of a network ban: a range ban, or one recovered from a firewall.
    const ip = ipText === undefined ? undefined : target(ipText);
    const unbanned: { jail: string; id: string }[] = [];
    for (const jail of jails) {
      // All of them: a copy first, as unbanning changes what the live listing walks.
      const targets = ip === undefined ? [...jail.bans()].map((b) => b.ip ?? b.id) : [ip];
      for (const target of targets) {
        if (jail.unban(target)) unbanned.push({ jail: jail.name, id: typeof target === 'string' ? target : target.text });
      }
    }
    await Promise.all(jails.map((j) => j.flush()));
    return { unbanned };
  }

  private activeBans(): BanView[] {
    const out: BanView[] = [];
    for (const jail of this.daemon.jails) for (const b of jail.bans()) out.push(view(b));
    return out.sort((a, b) => a.jail.localeCompare(b.jail) || a.start - b.start || a.id.localeCompare(b.id));
  }

  /**
   * The bans of an address — its own, and a range ban in force that covers it — or of a network
   * (`198.51.100.0/24`: a range ban, with the bans that caused it in its lines).
   */
  private async bansOf(ipText: string) {
    const t = target(ipText);
    const id = typeof t === 'string' ? t : t.text;
    const history = this.daemon.store ? await this.daemon.store.bansOf(id) : [];
    const active: Ban[] = [];
    for (const jail of this.daemon.jails) {
      const own = typeof t === 'string' ? jail.networkBanOf(t) : jail.banOf(t);
      if (own) active.push(own);
      const range = typeof t === 'string' ? undefined : jail.networkBanOf(t);
      if (range) active.push(range);
    }
    const isActive = (b: Ban) => active.some((a) => a.jail === b.jail && a.id === b.id && a.start === b.start);
    const bans: BanDetail[] = history.map((b) => detail(b, isActive(b)));
    // A ban in force the store does not know (no store, or written after this read), or a range's: still show it.
    for (const b of active) {
      if (!bans.some((d) => d.active && d.jail === b.jail && d.id === b.id)) bans.unshift(detail(b, true));
    }
    bans.sort((a, b) => Number(b.active) - Number(a.active) || b.start - a.start);
    return { ip: id, banned: active.length > 0, jails: [...new Set(active.map((b) => b.jail))], bans };
  }

  private jail(name: string): Jail {
    const jail = this.daemon.jail(name);
    if (!jail)
      throw controlErrors.F2B_ERR_CONTROL_UNKNOWN_JAIL(
        name,
        this.daemon.jails.map((j) => j.name),
      );
    return jail;
  }
}

/** The address a command names, parsed once here (F2B_ERR_ADDRESS_INVALID if it is not one). */
function address(text: string): IpAddress {
  const ip = parseIp(text.trim());
  if (!ip) throw errors.F2B_ERR_ADDRESS_INVALID(text);
  return ip;
}

/** An address, or a network (canonical CIDR text) naming a network ban; F2B_ERR_ADDRESS_INVALID otherwise. */
function target(text: string): IpAddress | string {
  const ip = parseIp(text.trim());
  if (ip) return ip;
  const net = text.includes('/') ? tryParseCidr(text) : null;
  if (!net) throw errors.F2B_ERR_ADDRESS_INVALID(text);
  return net.text;
}

function view(b: Ban): BanView {
  return { jail: b.jail, id: b.id, start: b.start, end: b.end, count: b.count, rule: b.rule ?? null, origin: b.origin ?? fleetOrigin(b.rule) };
}

/** A ban received from the fleet has the rule `fleet:<host>` (what a store keeps of its origin). */
function fleetOrigin(rule: string | undefined): string | null {
  return rule?.startsWith('fleet:') ? rule.slice('fleet:'.length) : null;
}

function detail(b: Ban, active: boolean): BanDetail {
  return { ...view(b), failures: b.failures, lines: [...(b.lines ?? [])], active };
}

type ArgType = 'string' | 'boolean' | 'number';

/** Args must be exactly the known keys, of the right types, with the required ones present. */
function check(cmd: ControlCommand, args: Record<string, unknown>, shape: Record<string, ArgType>, required: string[] = []): void {
  for (const [key, value] of Object.entries(args)) {
    const type = shape[key];
    if (!type) throw controlErrors.F2B_ERR_CONTROL_BAD_ARGS(cmd, `unknown argument ${JSON.stringify(key)}`, USAGE[cmd]);
    if (value !== undefined && typeof value !== type) throw controlErrors.F2B_ERR_CONTROL_BAD_ARGS(cmd, `"${key}" must be a ${type}`, USAGE[cmd]);
    if (value === '') throw controlErrors.F2B_ERR_CONTROL_BAD_ARGS(cmd, `"${key}" is empty`, USAGE[cmd]);
  }
  for (const key of required) {
    if (args[key] === undefined) throw controlErrors.F2B_ERR_CONTROL_BAD_ARGS(cmd, `"${key}" is missing`, USAGE[cmd]);
  }
}
