/**
 * The client commands that talk to a running daemon over its control socket (fail2ban-client's):
 *
 *   f2b status [jail]            f2b ban <jail> <ip>        f2b unban <ip> | --all [--jail J]
 *   f2b banned [ip]              f2b reload [jail]          f2b stop            f2b ping
 *
 * Every one takes --json (the daemon's result, as JSON, on one line) and --socket <path>.
 * Exit codes: 0 done; 1 the daemon is not running, refused access, or failed; 2 bad usage (unknown
 * jail, invalid address, bad arguments).
 */
import type { Command } from 'commander';
import {
  ControlClient,
  coreErrors,
  escapeControls,
  escapeDeep,
  jsonText,
  parseIp,
  tryParseCidr,
  type BanDetail,
  type BanView,
  type FleetStatus,
} from '@f2b/core/client';
import { EXIT_FAILED, EXIT_OK } from '../errors.js';
import { call, guarded, socketPath, type ClientOptions } from '../client/connect.js';
import { formatSpan, formatTime, formatWhen, plural, safe, style, table, tree, type Style } from '../client/output.js';

type Run = <A extends unknown[]>(fn: (...args: A) => Promise<number>) => (...args: A) => Promise<void>;

interface JailStatus {
  name: string;
  filter: string;
  mode: string;
  currentlyFailed: number;
  totalFailed: number;
  currentlyBanned: number;
  totalBanned: number;
  banned: string[];
  failing: { id: string; attempts: number }[];
  lines?: number;
  evicted?: number;
  maxTracked?: number;
  more?: { banned: number; failing: number };
  watching?: boolean;
  problems?: string[];
  waitingForLog?: boolean;
}
interface StatusPage {
  items: { id: string; attempts?: number; end?: number | null }[];
  cursor: string | null;
}
interface DaemonStatus {
  jails: string[];
  count: number;
  state: {
    kind: string | null;
    location: string | null;
    available?: boolean;
    since?: number;
    error?: string;
    pendingCheckpoints?: number;
    unsavedDecisions?: number;
    failedWrites?: number;
  };
  notWatching?: { jail: string; reason: string }[];
  fleet?: FleetStatus;
}
interface BansOf {
  ip: string;
  banned: boolean;
  jails: string[];
  bans: BanDetail[];
}

/**
 * What each client command runs, with its arguments and options as commander hands them over
 * (optional arguments undefined when left out). The quick path (client/quick-args.ts) calls the
 * same functions for the command lines it reads without commander.
 */
export const CLIENT_ACTIONS = {
  status: (jail: string | undefined, o: ClientOptions & { all?: boolean }) => status(jail, o),
  ban: (jail: string, ip: string | undefined, o: ClientOptions) => (ip === undefined ? banInOnlyJail(jail, o) : ban(jail, ip, o)),
  unban: (ip: string | undefined, o: ClientOptions & { all?: boolean; jail?: string }) => unban(ip, o),
  banned: (ip: string | undefined, o: ClientOptions) => banned(ip, o),
  reload: (jail: string | undefined, o: ClientOptions) => reload(jail, o),
  stop: (o: ClientOptions & { wait?: boolean }) => stop(o),
  ping: (o: ClientOptions) => ping(o),
} satisfies Record<string, (...args: never[]) => Promise<number>>;

/** Add the client commands to the program. */
export function registerControlCommands(program: Command, run: Run): void {
  const common = (cmd: Command) =>
    cmd
      .option('--json', "print the daemon's answer as JSON")
      .option('--socket <path>', 'control socket of the daemon (default: /run/f2b/f2b.sock for root; $F2B_SOCKET)')
      .option('-c, --config <file>', 'read the socket path from this config file');

  common(
    program
      .command('status')
      .description("Show the running jails, or one jail's counters and its first banned and failing addresses.")
      .argument('[jail]', 'jail name')
      .option('--all', 'with a jail: every banned and failing address, page by page (--json: one JSON object a line)'),
  ).action(run(CLIENT_ACTIONS.status));

  common(
    program
      .command('ban')
      .description('Ban an address in a jail now (by hand: rule "manual", the jail\'s bantime).')
      .usage('[jail] <ip> [options]')
      .argument('<jail>', 'jail name (may be left out when the daemon runs one jail)')
      .argument('[ip]', 'IPv4 or IPv6 address'),
  ).action(run(CLIENT_ACTIONS.ban));

  common(
    program
      .command('unban')
      .description('Lift the ban of an address (in every jail, or --jail), or every ban with --all.')
      .argument('[ip]', 'IPv4 or IPv6 address')
      .option('--all', 'unban every address')
      .option('--jail <name>', 'only in this jail'),
  ).action(run(CLIENT_ACTIONS.unban));

  common(
    program.command('banned').description('List the bans in force, or show why and until when one address is banned.').argument('[ip]', 'IPv4 or IPv6 address'),
  ).action(run(CLIENT_ACTIONS.banned));

  common(
    program
      .command('reload')
      .description('Re-read the config file and reload the jails, keeping bans (a jail name reloads every jail).')
      .argument('[jail]', 'jail name (checked; every jail is reloaded)'),
  ).action(run(CLIENT_ACTIONS.reload));

  common(
    program
      .command('stop')
      .description('Stop the daemon (bans stay recorded and are restored at the next start) and wait for it to exit.')
      .option('--no-wait', 'return once the daemon has accepted the command'),
  ).action(run(CLIENT_ACTIONS.stop));

  common(program.command('ping').description('Check that the daemon is running and answers.')).action(run(CLIENT_ACTIONS.ping));
}

function print(text: string): void {
  process.stdout.write(text);
}

function printJson(value: unknown): number {
  print(jsonText(value) + '\n');
  return EXIT_OK;
}

/**
 * The daemon's answer as the command prints it: exact for --json, and for people with every string
 * escaped — jail names, rule ids and ban lines come from configs and logs others write.
 */
async function ask<T>(o: ClientOptions, command: string, args?: Record<string, unknown>): Promise<T> {
  const r = await call<T>(o, command, args);
  return o.json ? r : escapeDeep(r);
}

/** Check an address before asking the daemon (exit 2 even when it is not running). */
async function address(text: string): Promise<string> {
  const ip = parseIp(text);
  if (!ip) throw (await coreErrors()).F2B_ERR_ADDRESS_INVALID(text);
  return ip.text;
}

/** An address, or a network (`198.51.100.0/24`) naming a range ban: for unban and banned. */
function addressOrNetwork(text: string): Promise<string> {
  const net = text.includes('/') ? tryParseCidr(text) : null;
  return net ? Promise.resolve(net.text) : address(text);
}

export function status(jail: string | undefined, o: ClientOptions & { all?: boolean }): Promise<number> {
  return guarded(async () => {
    const st = style();
    if (jail === undefined) {
      const r = await ask<DaemonStatus>(o, 'status');
      if (o.json) return printJson(r);
      print(
        tree(
          'Status',
          [
            { label: 'Number of jail', value: String(r.count) },
            { label: 'Jail list', value: r.jails.join(', ') },
            { label: 'State', value: r.state.kind ? `${r.state.kind} ${safe(r.state.location)}` : '(none)' },
            ...(r.state.available === false
              ? [
                  {
                    label: 'State store',
                    value: st.red(
                      `UNAVAILABLE since ${formatTime(r.state.since ?? Date.now())}: ${safe(r.state.error ?? 'unknown error')}; ` +
                        `${r.state.pendingCheckpoints ?? 0} checkpoint(s) with ${r.state.unsavedDecisions ?? 0} ban(s)/unban(s) kept in memory, retried`,
                    ),
                  },
                ]
              : []),
            ...(r.notWatching ?? []).map((n) => ({ label: `Not watching: ${safe(n.jail)}`, value: st.red(safe(n.reason)) })),
            ...(r.fleet ? [describeFleet(r.fleet, st)] : []),
          ],
          st,
        ),
      );
      return EXIT_OK;
    }
    if (o.all) return statusAll(jail, o);
    const r = await ask<JailStatus>(o, 'status', { jail });
    if (o.json) return printJson(r);
    const more = (n: number | undefined) => (n ? ` ${st.dim(`… and ${n} more (f2b status ${safe(jail)} --all)`)}` : '');
    const count = (n: number, color: (s: string) => string) => (n > 0 ? color(String(n)) : String(n));
    const watch =
      r.watching === false
        ? st.red(`no${r.waitingForLog ? ' (waiting for its log)' : ''}: ${safe((r.problems ?? []).join('; '))}`)
        : r.problems?.length
          ? st.yellow(`yes, but ${safe(r.problems.join('; '))}`)
          : 'yes';
    print(
      tree(
        `Status for the jail: ${r.name}`,
        [
          // Only when something is wrong: a jail that watches nothing protects nothing.
          ...(watch === 'yes' ? [] : [{ label: 'Watching', value: watch }]),
          {
            label: 'Filter',
            children: [
              { label: 'Currently failed', value: count(r.currentlyFailed, st.yellow) },
              { label: 'Total failed', value: String(r.totalFailed) },
              ...(r.failing.length > 0
                ? [{ label: 'Failing IP list', value: r.failing.map((f) => `${st.yellow(safe(f.id))} (${f.attempts})`).join(' ') + more(r.more?.failing) }]
                : []),
              ...(r.evicted ? [{ label: 'Forgotten (maxTracked)', value: st.yellow(`${r.evicted} (at most ${r.maxTracked} tracked)`) }] : []),
            ],
          },
          {
            label: 'Actions',
            children: [
              { label: 'Currently banned', value: count(r.currentlyBanned, st.red) },
              { label: 'Total banned', value: String(r.totalBanned) },
              { label: 'Banned IP list', value: r.banned.map((ip) => st.red(safe(ip))).join(' ') + more(r.more?.banned) },
            ],
          },
        ],
        st,
      ),
    );
    return EXIT_OK;
  });
}

/**
 * Every banned and failing address of a jail, a page at a time over one connection: the daemon never
 * builds the whole list, and the first lines appear at once.
 */
async function statusAll(jail: string, o: ClientOptions): Promise<number> {
  const client = await ControlClient.connect(await socketPath(o));
  try {
    for (const list of ['banned', 'failing'] as const) {
      if (!o.json) print(`${list === 'banned' ? 'Banned' : 'Failing'}:\n`);
      let cursor: string | null | undefined;
      do {
        const page: StatusPage = await client.request<StatusPage>('status', { jail, list, ...(cursor ? { cursor } : {}) });
        let out = '';
        for (const it of page.items) {
          out += o.json
            ? JSON.stringify({ list, ...it }) + '\n'
            : `  ${safe(it.id)}${it.attempts !== undefined ? ` ${it.attempts}` : ''}${it.end !== undefined ? ` ${it.end === null ? 'permanent' : formatTime(it.end)}` : ''}\n`;
        }
        print(out);
        cursor = page.cursor;
      } while (cursor);
    }
  } finally {
    client.close();
  }
  return EXIT_OK;
}

/** `f2b ban IP`: the daemon's one jail, or a usage error naming the jail argument and the jails. */
export function banInOnlyJail(ip: string, o: ClientOptions): Promise<number> {
  return guarded(async () => {
    if (!parseIp(ip)) {
      throw (await coreErrors()).F2B_ERR_USAGE(
        `"f2b ban" needs the jail and the address to ban; "${ip}" is only one of them.`,
        'Run `f2b ban JAIL IP`, e.g. `f2b ban sshd 203.0.113.9` (`f2b status` lists the jails).',
      );
    }
    const r = await call<DaemonStatus>(o, 'status');
    if (r.jails.length !== 1) {
      throw (await coreErrors()).F2B_ERR_USAGE(
        `"f2b ban ${ip}" does not say in which jail: the daemon runs ${r.jails.length} jails (${r.jails.join(', ')}).`,
        `Name the jail first: \`f2b ban ${r.jails[0] ?? 'JAIL'} ${ip}\`.`,
      );
    }
    return ban(r.jails[0]!, ip, o);
  });
}

export function ban(jail: string, ip: string, o: ClientOptions): Promise<number> {
  return guarded(async () => {
    const r = await ask<{ already: boolean; ban: BanView }>(o, 'ban', { jail, ip: await address(ip) });
    if (o.json) return printJson(r);
    const st = style();
    const until = r.ban.end === null ? 'permanently' : `until ${formatTime(r.ban.end)} (in ${formatSpan(r.ban.end - Date.now())})`;
    print(
      r.already
        ? `${st.red(r.ban.id)} is already banned in ${st.bold(r.ban.jail)} ${until}.\n`
        : `Banned ${st.red(r.ban.id)} in ${st.bold(r.ban.jail)} ${until}.\n`,
    );
    return EXIT_OK;
  });
}

export function unban(ip: string | undefined, o: ClientOptions & { all?: boolean; jail?: string }): Promise<number> {
  return guarded(async () => {
    if ((ip === undefined) === !o.all) {
      throw (await coreErrors()).F2B_ERR_USAGE(
        'Give either an address or --all to "f2b unban".',
        'Run `f2b unban 192.0.2.10`, `f2b unban --all` or `f2b unban --all --jail sshd`.',
      );
    }
    const args: Record<string, unknown> = ip === undefined ? { all: true } : { ip: await addressOrNetwork(ip) };
    if (o.jail !== undefined) args.jail = o.jail;
    const r = await ask<{ unbanned: { jail: string; id: string }[] }>(o, 'unban', args);
    if (o.json) return printJson(r);
    const st = style();
    const where = o.jail === undefined ? '' : ` in ${escapeControls(o.jail)}`;
    if (r.unbanned.length === 0) {
      print(ip === undefined ? `Nothing was banned${where}.\n` : `${await addressOrNetwork(ip)} was not banned${where || ' (in any jail)'}.\n`);
    } else if (ip !== undefined) {
      print(`Unbanned ${st.green(await addressOrNetwork(ip))} in ${r.unbanned.map((u) => st.bold(u.jail)).join(', ')}.\n`);
    } else {
      print(`Unbanned ${plural(r.unbanned.length, 'ban')}:\n`);
      print(
        table(
          ['JAIL', 'ADDRESS'],
          r.unbanned.map((u) => [u.jail, st.green(u.id)]),
          st,
        ),
      );
    }
    return EXIT_OK;
  });
}

export function banned(ip: string | undefined, o: ClientOptions): Promise<number> {
  return guarded(async () => {
    const st = style();
    if (ip === undefined) {
      const list = await ask<BanView[]>(o, 'banned');
      if (o.json) return printJson(list);
      if (list.length === 0) {
        print('No address is banned.\n');
        return EXIT_OK;
      }
      const now = Date.now();
      print(
        table(
          ['JAIL', 'ADDRESS', 'SINCE', 'UNTIL', 'BANS', 'RULE'],
          list.map((b) => [b.jail, st.red(b.id), formatWhen(b.start, now), formatWhen(b.end, now), String(b.count), safe(b.rule ?? '')]),
          st,
        ),
      );
      print(`${plural(list.length, 'ban')} in force.\n`);
      return EXIT_OK;
    }
    const r = await ask<BansOf>(o, 'banned', { ip: await addressOrNetwork(ip) });
    if (o.json) return printJson(r);
    print(describeBans(r, st));
    return EXIT_OK;
  });
}

/** The fleet's lines of `f2b status`: everything in it came from the daemon and Redis, so escaped. */
function describeFleet(f: FleetStatus, st: Style) {
  const now = Date.now();
  const lag = f.lag.lastMs === null ? 'none received yet' : `${f.lag.lastMs} ms (largest ${f.lag.maxMs} ms)`;
  return {
    label: 'Fleet',
    children: [
      { label: 'Name', value: `${safe(f.name)} (${safe(f.type)}${f.url ? ` ${safe(f.url)}` : ''}), this host ${safe(f.host)}` },
      {
        label: 'Connected',
        value: f.connected ? st.green('yes') : st.red(`no${f.error ? `: ${safe(f.error)}` : ''}; deciding alone, ${f.queued} message(s) queued`),
      },
      {
        label: 'Hosts seen',
        value: f.hosts.length === 0 ? '(none)' : f.hosts.map((h) => `${safe(h.host)} (${formatSpan(Math.max(0, now - h.seen))} ago)`).join(', '),
      },
      { label: 'Lag', value: lag },
      { label: 'Messages', value: `${f.published} published, ${f.received} received, ${f.refused} refused` },
    ],
  };
}

function describeBans(r: BansOf, st: Style): string {
  const now = Date.now();
  const out: string[] = [];
  if (r.banned) out.push(`${st.red(r.ip)} is banned in ${plural(r.jails.length, 'jail')}: ${r.jails.join(', ')}.`);
  else out.push(r.bans.length > 0 ? `${st.green(r.ip)} is not banned now.` : `${st.green(r.ip)} is not banned and has no recorded bans.`);
  for (const b of r.bans) {
    out.push('');
    out.push(`${st.bold(b.jail)}  ${b.active ? st.red('banned') : st.dim('ended')}`);
    const rows: [string, string][] = [
      // A range ban that covers the address asked about (or the range asked about).
      ...(b.id !== r.ip || b.rule === 'range' ? [['range', safe(b.id)] as [string, string]] : []),
      ['since', formatWhen(b.start, now)],
      ['until', formatWhen(b.end, now)],
      ...(b.origin ? [['from', `fleet host ${safe(b.origin)}`] as [string, string]] : []),
      [
        'rule',
        `${safe(b.rule ?? '(none)')} (${b.rule === 'range' ? plural(b.failures, 'address', 'addresses') + ' banned' : plural(b.failures, 'failure')}; ban #${b.count}${b.end === null ? '' : `, ${formatSpan(b.end - b.start)}`})`,
      ],
    ];
    for (const [k, v] of rows) out.push(`  ${`${k}:`.padEnd(7)}${v}`);
    if (b.lines.length > 0) {
      // A range ban's lines are the address bans that caused it.
      out.push(`  ${b.rule === 'range' ? 'caused by:' : b.lines.length === 1 ? 'line:' : 'lines:'}`);
      for (const line of b.lines) out.push(`    ${st.dim(safe(line))}`);
    }
  }
  return out.join('\n') + '\n';
}

export function reload(jail: string | undefined, o: ClientOptions): Promise<number> {
  return guarded(async () => {
    const r = await ask<{ reloaded: string[]; requested: string | null }>(o, 'reload', jail === undefined ? {} : { jail });
    if (o.json) return printJson(r);
    const names = r.reloaded.length > 0 ? `: ${r.reloaded.join(', ')}` : '';
    const note = r.requested ? ` (f2b reloads every jail together; ${r.requested} included)` : '';
    print(`Reloaded the configuration, ${plural(r.reloaded.length, 'jail')}${names}${note}.\n`);
    return EXIT_OK;
  });
}

export function stop(o: ClientOptions & { wait?: boolean }): Promise<number> {
  return guarded(async () => {
    const r = await ask<{ stopping: boolean; pid: number }>(o, 'stop');
    const exited = o.wait === false ? true : await processExit(r.pid, 30_000);
    if (o.json) {
      printJson({ ...r, exited });
      return exited ? EXIT_OK : EXIT_FAILED;
    }
    if (o.wait === false) print(`f2b (pid ${r.pid}) is stopping.\n`);
    else if (exited) print(`f2b (pid ${r.pid}) stopped.\n`);
    else {
      process.stderr.write(`f2b: the daemon (pid ${r.pid}) accepted "stop" but has not exited after 30 s; see its log.\n`);
      return EXIT_FAILED;
    }
    return EXIT_OK;
  });
}

export function ping(o: ClientOptions): Promise<number> {
  return guarded(async () => {
    const r = await ask<{ pong: boolean; version: string; pid: number; uptime: number; protocol: number[] }>(o, 'ping');
    if (o.json) return printJson(r);
    print(`pong: f2b ${r.version} (pid ${r.pid}), up ${formatSpan(r.uptime * 1000)}, protocol ${r.protocol.join(', ')}.\n`);
    return EXIT_OK;
  });
}

/** Wait until a process is gone (EPERM: it exists but is not ours — still running). */
async function processExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true;
    }
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}
