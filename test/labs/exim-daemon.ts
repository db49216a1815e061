/**
 * Real Exim for the exim lab: Debian's exim4-daemon-light, which conflicts with postfix as a package,
 * so it is unpacked, never installed (`apt-get download exim4-daemon-light libidn12` + `dpkg-deb -x`
 * into $F2B_LAB_DEBS/exim4, default /opt/f2b-lab/exim4; .ci/run does it). It runs as a private
 * instance in the lab's server namespace: our config (`-C`), spool and logs under the lab's temp
 * directory, listening only on the lab's documentation addresses, and the `Debian-exim` user the
 * binary was built for exists only in the server's mount namespace (netns-lab's bind-mounted
 * /etc/passwd). Exim writes every line twice: its own mainlog and syslog (a private rsyslogd), the
 * two forms the `exim` filter reads.
 *
 * Users: `alice@example.com` authenticates (PLAIN and LOGIN, a fixed password in the config);
 * `alice` and `postmaster` at example.com are the only recipients. Mail is queued, never delivered.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVER, netnsUnavailable, startSyslogServer, type NetLab } from '../netns-lab.js';
import { waitFor } from './lab-kit.js';
import { MAIL_DOMAIN, MAIL_PASSWORD, MAIL_USER } from './mail-daemons.js';

const DEBS = process.env.F2B_LAB_DEBS ?? '/opt/f2b-lab';
const ROOT = join(DEBS, 'exim4');
const EXIM = join(ROOT, 'usr/sbin/exim4');
const LIBS = join(ROOT, 'usr/lib/x86_64-linux-gnu');
/** The uid of `Debian-exim` inside the lab's mount namespace (it does not exist on the host). */
const EXIM_UID = 64991;

/** Why the exim lab cannot run here, or null. */
export function eximUnavailable(): string | null {
  return netnsUnavailable({
    programs: [EXIM, 'rsyslogd', 'openssl', 'swaks'],
    hint: `apt install rsyslog openssl swaks; exim4-daemon-light and libidn12 unpacked into ${ROOT} (see .ci/run)`,
  });
}

/**
 * The Debian version of the unpacked package (`4.96-15+deb12u11`), from its changelog's first line
 * (`exim -bV` cannot say it outside the lab: it looks up `Debian-exim` first).
 */
export function eximVersion(): string {
  const changelog = join(ROOT, 'usr/share/doc/exim4-daemon-light/changelog.Debian.gz');
  if (!existsSync(changelog)) return '?';
  const r = spawnSync('sh', ['-c', 'gzip -dc "$1" | head -1', 'sh', changelog], { encoding: 'utf8' });
  return /\(([^)]+)\)/.exec(r.stdout)?.[1] ?? '?';
}

function config(dir: string): string {
  const auth = (user: string, pass: string) => `\${if and {{eq{${user}}{${MAIL_USER}}}{eq{${pass}}{${MAIL_PASSWORD}}}}}`;
  return `
primary_hostname = mx.${MAIL_DOMAIN}
domainlist local_domains = ${MAIL_DOMAIN}
spool_directory = ${dir}/spool
log_file_path = ${dir}/log/%slog : syslog
pid_file_path = ${dir}/exim.pid
local_interfaces = <; ${SERVER.v4}.25 ; ${SERVER.v6}.25 ; ${SERVER.v4}.587 ; ${SERVER.v6}.587
# The lab has no DNS and no identd: no lookups, no waiting.
host_lookup =
rfc1413_hosts =
rfc1413_query_timeout = 0s
# Early talkers are protocol errors (Exim >= 4.94 accepts them from hosts it offers PIPE_CONNECT to).
pipelining_connect_advertise_hosts =
log_selector = +incoming_interface +smtp_no_mail +smtp_protocol_error +smtp_syntax_error
acl_smtp_connect = acl_connect
acl_smtp_rcpt = acl_rcpt
auth_advertise_hosts = *
tls_advertise_hosts =
queue_only = true
keep_environment =
never_users =
smtp_banner = mx.${MAIL_DOMAIN} ESMTP

begin acl
acl_connect:
  # Holds the greeting for the client that talks first, so its early input is seen.
  accept hosts = 192.0.2.13
         delay = 1s
  accept

acl_rcpt:
  deny   domains = +local_domains
         !verify = recipient
  accept authenticated = *
  deny   message = relay not permitted
         !domains = +local_domains
  accept

begin routers
lab_users:
  driver = accept
  domains = +local_domains
  local_parts = alice : postmaster
  transport = devnull

begin transports
devnull:
  driver = appendfile
  file = /dev/null

begin authenticators
plain:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = ${auth('$auth2', '$auth3')}
  server_set_id = $auth2

login:
  driver = plaintext
  public_name = LOGIN
  server_prompts = Username:: : Password::
  server_condition = ${auth('$auth1', '$auth2')}
  server_set_id = $auth1
`;
}

export interface EximLab {
  mainlog: string;
  syslog: string;
  version: string;
}

/** Exim on 25 and 587 in the lab's server namespace, logging to its mainlog and to syslog. */
export async function startExim(net: NetLab): Promise<EximLab> {
  const d = join(net.dir, 'exim');
  for (const sub of ['', 'spool', 'log']) mkdirSync(join(d, sub), { recursive: true });
  for (const sub of ['spool', 'log']) chownSync(join(d, sub), EXIM_UID, EXIM_UID);
  const conf = join(d, 'exim.conf');
  writeFileSync(conf, config(d), { mode: 0o644 });
  const mainlog = join(d, 'log', 'mainlog');
  const syslog = join(net.dir, 'syslog');
  writeFileSync(syslog, '');
  startSyslogServer(net, {
    command: ['env', `LD_LIBRARY_PATH=${LIBS}`, EXIM, '-bdf', '-C', conf],
    rsyslogRules: [`mail.* action(type="omfile" file="${syslog}" fileCreateMode="0644")`],
    users: [{ name: 'Debian-exim', password: 'x', uid: EXIM_UID, home: join(d, 'spool'), shell: '/usr/sbin/nologin' }],
  });
  const started = () => existsSync(mainlog) && /daemon started/.test(readFileSync(mainlog, 'utf8'));
  await waitFor('exim to start', started, 15_000).catch((err: Error) => {
    const out = join(net.dir, 'server.out');
    const panic = join(d, 'log', 'paniclog');
    throw new Error(`${err.message}:\n${existsSync(out) ? readFileSync(out, 'utf8') : ''}\n${existsSync(panic) ? readFileSync(panic, 'utf8') : ''}`);
  });
  return { mainlog, syslog, version: eximVersion() };
}
