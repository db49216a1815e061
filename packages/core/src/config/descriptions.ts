/**
 * What each config key means, beside the schema that validates it (config.ts): f2b.config(5) is
 * made from the two, and a test checks that every key of the schema is described here and that
 * nothing here is a key the schema does not have. Paths as `schemaKeys` gives them (`<name>` for a
 * key the user names). Plain text: the man page escapes it.
 */
export interface KeyDescription {
  text: string;
  /** The value when the key is left out, as a user would write it. */
  default?: string;
}

/** Keys of the composition (config/chain.ts): read and removed before the schema sees the config. */
export const COMPOSITION_KEYS: Record<string, KeyDescription> = {
  extends: {
    text: 'A config file (relative to this one) or a package name (@f2b/config-recommended), or a list of them, that this config builds on: they are merged first, in list order, this file over them. Cycles are refused.',
  },
  hosts: {
    text: 'Blocks of config keyed by host-name globs (*, ?; case-insensitive), applied over the file when they match this machine, the most specific last. extends and hosts are not allowed inside a block; f2b config print --host NAME shows what another machine gets.',
  },
};

const DURATION = ' A duration: seconds, or a number with a unit (30s, 10m, 1h, 1d, 1w, 1mo, 1y, combined as 1h30m).';

export const CONFIG_KEYS: Record<string, KeyDescription> = {
  state: { text: "Where f2b keeps its state: bans, failures inside findtime, read positions, the action outbox, the dashboard's activity." },
  'state.type': { text: 'The state store: sqlite (@f2b/store-sqlite), memory (nothing survives a restart), or a type a plugin provides.', default: 'sqlite' },
  'state.path': { text: 'The SQLite database file.', default: '/var/lib/f2b/f2b.db as root, ~/.local/state/f2b/f2b.db otherwise' },
  'state.purgeAge': { text: 'How long history (ended bans, old failures, done outbox items) is kept.' + DURATION, default: '30d' },
  'state.synchronous': { text: "SQLite's durability: normal survives a crash of the process, full also a power loss.", default: 'normal' },
  socket: {
    text: 'The control socket that f2b status, ban, unban, explain and the other client commands use; false: none.',
    default: '/run/f2b/f2b.sock as root, $XDG_RUNTIME_DIR/f2b/f2b.sock otherwise',
  },
  readOnlySocket: {
    text: 'A second control socket, group-readable, that answers only ping, status, banned and explain; false or absent: none.',
    default: 'false',
  },
  'readOnlySocket.path': { text: "Where it is made; not in the root socket's directory, which is 0700.", default: '/run/f2b-ro/f2b.sock as root' },
  'readOnlySocket.group': { text: 'The group (name or gid) that may connect.', default: "the daemon's group" },
  'readOnlySocket.mode': { text: "The socket file's mode (connecting needs write permission).", default: '0660' },
  recidive: {
    text: "Repeat offenders (fail2ban's recidive jail): an address banned maxbans times within findtime, in any jail, is banned for bantime by these actions. The jail is called recidive.",
  },
  'recidive.enabled': { text: 'Set false to turn it off while keeping the block.', default: 'true' },
  'recidive.maxbans': { text: 'Bans within findtime that make a repeat offender.', default: '5' },
  'recidive.findtime': { text: 'How far back its bans count.' + DURATION, default: '1d' },
  'recidive.bantime': { text: 'How long a repeat offender is banned; -1: forever.' + DURATION, default: '1w' },
  'recidive.actions': { text: 'The actions that ban it, as for a jail.', default: 'defaults.actions, else [log]' },
  logLevel: { text: "The daemon's log level; notice shows the ban trail (one Ban/Unban line per event), debug one Found line per failure.", default: 'info' },
  logFormat: { text: "The daemon's log lines: text for people, json for machines.", default: 'text, unless F2B_LOG_FORMAT=json' },
  fleet: {
    text: "Share bans and failures with other hosts (a fleet plugin, e.g. @f2b/fleet-redis); the plugin's own options (url, name, …) sit beside type and host.",
  },
  'fleet.type': { text: 'The fleet plugin: redis (@f2b/fleet-redis).' },
  'fleet.host': { text: "This host's name in the fleet.", default: 'the host name' },
  filters: {
    text: 'Filters written in the config, by id; a jail uses one with filter: <id> (and names its source). An id of an installed filter replaces that filter, with a warning in the log. Every pattern runs on RE2.',
  },
  'filters.<name>': { text: 'One filter: its failregex (required), ignoreregex, programs and description.' },
  'filters.<name>.failregex': {
    text: 'A pattern or a list: a line of the message (after the syslog prefix) that is a failure. Exactly one <HOST> (or <ADDR>, <IP4>, <IP6>) says where the address is; only an IP address is accepted there. RE2 syntax: no lookaround, no backreferences.',
  },
  'filters.<name>.ignoreregex': { text: 'Patterns of messages that are never a failure, tried first.' },
  'filters.<name>.programs': { text: 'The syslog program names (sshd, postfix/smtpd) whose lines the filter reads.', default: 'every program' },
  'filters.<name>.description': { text: 'What the filter is for, shown by f2b filters and test-filter.' },
  metrics: { text: 'Serve Prometheus metrics over HTTP at /metrics; off when absent.' },
  'metrics.listen': { text: 'host:port to listen on (loopback unless you mean it).' },
  dashboard: { text: 'Serve the read-only dashboard (@f2b/dashboard) over HTTP; off when absent. It may share the metrics server (same address).' },
  'dashboard.listen': { text: 'host:port to listen on; anything but loopback is warned about (the dashboard has no login).', default: '127.0.0.1:9192' },
  plugins: { text: "Plugins to load that no jail names, each a name or [name, options] (options checked against the plugin's schema).", default: '[]' },
  defaults: {
    text: "What every jail inherits (fail2ban's [DEFAULT]): any jail key below except enabled, enabledIf, waitForLog, source, sources and filter. A jail's own keys win.",
  },
  jails: { text: 'The jails, by name: each reads logs (its sources), finds failures (its filter), counts them (its tracker) and bans (its actions).' },
  'jails.<name>': { text: 'One jail; its name is the filter id unless filter says otherwise. null removes a jail an extended config defined.' },
  'jails.<name>.enabled': { text: 'Run this jail.', default: 'true' },
  'jails.<name>.enabledIf': { text: 'Run the jail only when a condition holds, checked at every start and reload.' },
  'jails.<name>.enabledIf.exists': { text: 'A path or a list of paths: the jail runs when one of them exists.' },
  'jails.<name>.waitForLog': {
    text: 'The log may not exist yet: a source that watches nothing is a warning, not an error.',
    default: 'true with enabledIf, else false',
  },
  'jails.<name>.source': {
    text: 'Where the jail reads: a path or glob (file source), or { type, ...options } (type file: paths, fromStart, pollInterval, maxLineLength; type journald: preset, matches, ...).',
    default: "where the filter's service logs on this distribution (its package's f2b.logs), else the journal",
  },
  'jails.<name>.sources': { text: 'Several sources, each as source; replaces source.' },
  'jails.<name>.filter': { text: 'The filter: an id (sshd, nginx-http-auth; f2b filters lists them) or { id, mode, options }.', default: "the jail's name" },
  'jails.<name>.filter.id': { text: 'The filter id.', default: "the jail's name" },
  'jails.<name>.filter.mode': {
    text: "The filter's mode (sshd: normal, ddos, extra, aggressive); rules of other modes count nothing, and f2b explain names the lines only they matched.",
    default: "the filter's first mode",
  },
  'jails.<name>.filter.options': { text: "The filter's options, checked against its schema (f2b test-filter --option key=value tries them)." },
  'jails.<name>.actions': {
    text: 'What a ban does: action types (log, nftables, ipset, route, cloudflare, mail, webhook, exec) or { type, ...options }; set once in defaults for every jail.',
    default: '[log]',
  },
  'jails.<name>.port': {
    text: 'The ports firewall actions ban (fail2ban\'s port): 22, ssh (from /etc/services), "1000:2000", "ssh,2222", or a list; an action\'s own ports win.',
    default: 'every port',
  },
  'jails.<name>.protocol': { text: 'The protocols of port: tcp, udp, sctp, a list, or all.', default: 'tcp' },
  'jails.<name>.findtime': { text: 'The window in which failures are counted.' + DURATION, default: '10m' },
  'jails.<name>.maxretry': { text: 'Attempts within findtime that cause a ban.', default: '5' },
  'jails.<name>.bantime': { text: 'How long a ban lasts; -1: forever.' + DURATION, default: '10m' },
  'jails.<name>.bantimeIncrement': { text: "Longer bans for addresses banned before (fail2ban's bantime.increment)." },
  'jails.<name>.bantimeIncrement.enabled': { text: 'Set false to turn it off while keeping the block.', default: 'true' },
  'jails.<name>.bantimeIncrement.factor': { text: 'The n-th ban lasts bantime x factor^(n-1).', default: '2' },
  'jails.<name>.bantimeIncrement.multipliers': { text: 'Instead of factor: the n-th ban lasts bantime x multipliers[n-1], the last one repeating.' },
  'jails.<name>.bantimeIncrement.maxtime': { text: 'The longest an escalated ban lasts.' + DURATION, default: '1w' },
  'jails.<name>.bantimeIncrement.rndtime': { text: "A random extra, so a botnet's bans do not all end together." + DURATION, default: '0' },
  'jails.<name>.bantimeIncrement.overalljails': { text: 'Count the bans of the address in every jail, not only this one.', default: 'false' },
  'jails.<name>.tracker': {
    text: 'What counts failures and decides bans: default (findtime and maxretry), or a type a plugin provides, as a name or { type, ...options } (bucket: @f2b/tracker-bucket).',
    default: 'default',
  },
  'jails.<name>.tracker.type': { text: 'The tracker type.' },
  'jails.<name>.range': {
    text: 'Ban a whole network once distinct of its addresses were banned within within: { ipv4, ipv6, distinct, within, bantime }, true for the defaults, false for off.',
    default: 'false',
  },
  'jails.<name>.range.ipv4': { text: 'Prefix length of an IPv4 range (8-31); false: IPv4 bans never ban a range.', default: '24' },
  'jails.<name>.range.ipv6': { text: 'Prefix length of an IPv6 range (16-127); false: IPv6 bans never ban a range.', default: '64' },
  'jails.<name>.range.distinct': { text: 'Different addresses of one range, banned within within, that ban it.', default: '5' },
  'jails.<name>.range.within': { text: 'How far back their bans count.' + DURATION, default: '1h' },
  'jails.<name>.range.bantime': { text: 'How long the range ban lasts; -1: forever.' + DURATION, default: "the jail's bantime" },
  'jails.<name>.ignoreip': { text: 'Addresses and CIDRs never banned: a list, or a space- or comma-separated string.', default: '[]' },
  'jails.<name>.ignoreself': { text: "Never ban this host's own addresses.", default: 'true' },
  'jails.<name>.timezone': { text: 'The IANA time zone of log dates written without an offset.', default: "the system's" },
  'jails.<name>.usedns': { text: 'Host names as failure sources: no ignores them; warn and yes resolve them and ban the addresses.', default: 'warn' },
  'jails.<name>.maxTracked': {
    text: 'The most sources the jail tracks at once (about 160 bytes each); past it the one that failed least recently is forgotten, never a banned one.',
    default: '1000000',
  },
  'jails.<name>.actionTimeout': {
    text: 'The longest wait for one action call; past it the jail goes on and the outbox retries the work.' + DURATION,
    default: '60s',
  },
  'jails.<name>.fleet': { text: 'What this jail shares with the fleet, when fleet is set.' },
  'jails.<name>.fleet.failures': { text: 'Count failures fleet-wide (maxretry across all hosts).', default: 'true' },
  'jails.<name>.fleet.bans': { text: 'Apply the bans of other hosts, and publish ours.', default: 'true' },
};
