/**
 * Real Postfix and Dovecot for the mail labs, each a private instance inside the lab's server
 * namespace: own config directory, queue, state and log file under a temp directory, listening only
 * on the lab's documentation address. Nothing of the host's mail setup is read or changed (Postfix
 * gets `-c <dir>`, Dovecot `-c <file>`; both log to their own file: Postfix through postlogd's
 * `maillog_file`, Dovecot through `log_path`).
 *
 * Users: Dovecot authenticates `alice@example.com` from a passwd-file of ours, and Postfix asks
 * Dovecot (SASL) — the setup of most Debian mail servers.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVER, which } from '../netns-lab.js';
import { waitFor } from './lab-kit.js';

export const MAIL_USER = 'alice@example.com';
export const MAIL_PASSWORD = 'correct-horse-42';
export const MAIL_DOMAIN = 'example.com';

/** Why the mail daemons cannot run here, or null. */
export function mailDaemonsUnavailable(): string | null {
  const missing = ['postfix', 'postmap', 'dovecot', 'swaks'].filter((p) => !which(p));
  if (!existsSync('/usr/lib/postfix/sbin/postlogd')) missing.push('postlogd (postfix ≥ 3.4)');
  if (missing.length) return `missing programs: ${missing.join(', ')} (apt install postfix dovecot-imapd dovecot-pop3d swaks)`;
  for (const u of ['postfix', 'dovecot', 'dovenull']) {
    if (spawnSync('id', [u]).status !== 0) return `missing system user ${u} (installed with postfix/dovecot-core)`;
  }
  return null;
}

function idOf(user: string): { uid: number; gid: number } {
  const out = spawnSync('id', [user], { encoding: 'utf8' }).stdout;
  return { uid: Number(/uid=(\d+)/.exec(out)![1]), gid: Number(/gid=(\d+)/.exec(out)![1]) };
}

function spawnInNs(ns: string, args: string[], outFile: string): ChildProcess {
  const out = openSync(outFile, 'a');
  const c = spawn('ip', ['netns', 'exec', ns, ...args], { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  return c;
}

/** The last lines of a file, for error messages. */
const tail = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-15).join('\n') : `(no ${file})`);

export interface Daemon {
  log: string;
  child: ChildProcess;
  version: string;
}

/** Dovecot with IMAP and POP3 on SERVER.v4/v6 and an auth socket for Postfix at `authSocket`. */
export async function startDovecot(ns: string, dir: string): Promise<Daemon & { authSocket: string }> {
  const d = join(dir, 'dovecot');
  for (const sub of ['', 'run', 'state', 'home']) mkdirSync(join(d, sub), { recursive: true });
  chmodSync(d, 0o755);
  const vmail = idOf('dovecot');
  chownSync(join(d, 'home'), vmail.uid, vmail.gid);
  const log = join(d, 'dovecot.log');
  const authSocket = join(d, 'run', 'auth-postfix'); // base_dir-relative in the config
  writeFileSync(join(d, 'users'), `${MAIL_USER}:{PLAIN}${MAIL_PASSWORD}::::::\n`);
  writeFileSync(
    join(d, 'dovecot.conf'),
    `
protocols = imap pop3
listen = ${SERVER.v4}, ${SERVER.v6}
base_dir = ${d}/run
state_dir = ${d}/state
log_path = ${log}
info_log_path = ${log}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
auth_verbose_passwords = no
auth_failure_delay = 0
default_internal_user = dovecot
# Mail is stored as the dovecot system user (no user of the host is involved).
first_valid_uid = ${vmail.uid}
last_valid_uid = ${vmail.uid}
default_login_user = dovenull
mail_location = maildir:${d}/home/%u/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${d}/users
}
userdb {
  driver = static
  args = uid=dovecot gid=dovecot home=${d}/home/%u
}
service auth {
  unix_listener auth-postfix {
    mode = 0666
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
`,
  );
  writeFileSync(log, '');
  const child = spawnInNs(ns, ['dovecot', '-F', '-c', join(d, 'dovecot.conf')], join(d, 'dovecot.out'));
  await waitFor('dovecot to start', () => child.exitCode === null && existsSync(authSocket) && /starting up/.test(readFileSync(log, 'utf8'))).catch(
    (err: Error) => {
      throw new Error(`${err.message}:\n${tail(join(d, 'dovecot.out'))}\n${tail(log)}`);
    },
  );
  const version = spawnSync('dovecot', ['--version'], { encoding: 'utf8' }).stdout.trim().split(' ')[0]!;
  return { log, child, version, authSocket };
}

export interface PostfixOptions {
  /** Dovecot's auth socket for SASL on the submission port. */
  authSocket: string;
}

/**
 * Postfix with postscreen on port 25 (pregreet test enforced, so clients that talk first are caught)
 * handing clients to smtpd, and a submission service on 587 with SASL through Dovecot.
 */
export async function startPostfix(ns: string, dir: string, opts: PostfixOptions): Promise<Daemon> {
  const d = join(dir, 'postfix');
  for (const sub of ['', 'conf', 'queue', 'data']) mkdirSync(join(d, sub), { recursive: true });
  chmodSync(d, 0o755);
  const log = join(d, 'maillog');
  writeFileSync(
    join(d, 'conf', 'main.cf'),
    `
compatibility_level = 3.6
queue_directory = ${d}/queue
data_directory = ${d}/data
maillog_file = ${log}
maillog_file_prefixes = ${dir}
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.${MAIL_DOMAIN}
mydomain = ${MAIL_DOMAIN}
mydestination = ${MAIL_DOMAIN}
inet_interfaces = ${SERVER.v4}, ${SERVER.v6}
inet_protocols = all
mynetworks = 127.0.0.0/8
local_recipient_maps = hash:${d}/conf/recipients
alias_maps =
alias_database =
smtpd_banner = $myhostname ESMTP
smtpd_helo_required = yes
smtpd_helo_restrictions = reject_invalid_helo_hostname, reject_non_fqdn_helo_hostname
smtpd_sender_restrictions = reject_non_fqdn_sender
smtpd_recipient_restrictions = reject_unauth_pipelining, permit_sasl_authenticated, reject_unauth_destination
smtpd_soft_error_limit = 10
smtpd_hard_error_limit = 20
smtpd_error_sleep_time = 0
smtpd_sasl_type = dovecot
smtpd_sasl_path = ${opts.authSocket}
disable_dns_lookups = yes
smtp_dns_support_level = disabled
# Nothing leaves the lab: mail for other domains is accepted and discarded.
default_transport = discard:lab
relay_transport = discard:lab
local_transport = discard:lab
postscreen_greet_wait = 1s
postscreen_greet_action = enforce
postscreen_dnsbl_sites =
postscreen_cache_map = btree:${d}/data/postscreen_cache
`,
  );
  writeFileSync(
    join(d, 'conf', 'master.cf'),
    `
smtp       inet  n - n - 1 postscreen
smtpd      pass  - - n - - smtpd
submission inet  n - n - - smtpd -o syslog_name=postfix/submission -o smtpd_sasl_auth_enable=yes -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject
dnsblog    unix  - - n - 0 dnsblog
tlsproxy   unix  - - n - 0 tlsproxy
pickup     unix  n - n 60 1 pickup
cleanup    unix  n - n - 0 cleanup
qmgr       unix  n - n 300 1 qmgr
rewrite    unix  - - n - - trivial-rewrite
bounce     unix  - - n - 0 bounce
defer      unix  - - n - 0 bounce
trace      unix  - - n - 0 bounce
verify     unix  - - n - 1 verify
proxymap   unix  - - n - - proxymap
error      unix  - - n - - error
retry      unix  - - n - - error
discard    unix  - - n - - discard
anvil      unix  - - n - 1 anvil
scache     unix  - - n - 1 scache
postlog    unix-dgram n - n - 1 postlogd
`,
  );
  writeFileSync(join(d, 'conf', 'recipients'), `${MAIL_USER} ok\npostmaster@${MAIL_DOMAIN} ok\n`);
  // postmap reads a main.cf: not /etc/postfix's (Debian's postfix installed with "No configuration"
  // has none) nor the lab's (its inet_interfaces exist only in the namespace), an empty one of its own.
  mkdirSync(join(d, 'postmap'), { recursive: true });
  writeFileSync(join(d, 'postmap', 'main.cf'), '');
  const postmap = spawnSync('postmap', ['-c', join(d, 'postmap'), join(d, 'conf', 'recipients')], { encoding: 'utf8' });
  if (postmap.status !== 0) throw new Error(`postmap failed: ${postmap.stderr}`);
  const pf = idOf('postfix');
  chownSync(join(d, 'data'), pf.uid, pf.gid);
  writeFileSync(log, '');
  chmodSync(log, 0o644);
  const child = spawnInNs(ns, ['postfix', '-c', join(d, 'conf'), 'start-fg'], join(d, 'postfix.out'));
  await waitFor('postfix to start', () => child.exitCode === null && /daemon started/.test(readFileSync(log, 'utf8'))).catch((err: Error) => {
    throw new Error(`${err.message}:\n${tail(join(d, 'postfix.out'))}\n${tail(log)}`);
  });
  const version = spawnSync('postconf', ['-h', '-d', 'mail_version'], { encoding: 'utf8' }).stdout.trim();
  return { log, child, version };
}
