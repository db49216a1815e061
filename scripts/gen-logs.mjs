// Deterministic generators of realistic nginx error.log and postfix mail.log files for `npm run
// bench` (the sshd input comes from ../shared/bench/gen-sshd-log.py). Seeded, streaming, our own
// text in the formats the servers write; attackers come from documentation and benchmark ranges.
//
//   node scripts/gen-logs.mjs nginx 1000000 out.log
//   node scripts/gen-logs.mjs postfix 1000000 out.log
import { createWriteStream } from 'node:fs';

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = (r, list) => list[Math.floor(r() * list.length)];
const attacker = (r) =>
  r() < 0.85
    ? `198.18.${Math.floor(r() * 16)}.${1 + Math.floor(r() * 254)}`
    : `2001:db8:${Math.floor(r() * 4096).toString(16)}::${Math.floor(r() * 65535).toString(16)}`;
const client = (r) => `203.0.113.${1 + Math.floor(r() * 254)}`;
const USERS = ['admin', 'root', 'test', 'user', 'guest', 'alice', 'bob', 'backup', 'deploy', 'www'];
const pad = (n) => String(n).padStart(2, '0');
const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function* nginx(n) {
  const r = rng(42);
  let t = Date.UTC(2026, 9, 29, 6, 0, 0);
  let conn = 1000;
  for (let i = 0; i < n; i++) {
    t += Math.floor(r() * 400);
    const d = new Date(t);
    const ts = `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
    const pid = 2800 + Math.floor(r() * 4);
    conn++;
    const x = r();
    const host = pick(r, ['www.example.com', 'shop.example.com', 'api.example.com']);
    if (x < 0.22) {
      const ip = attacker(r);
      const user = pick(r, USERS);
      const msg = r() < 0.5 ? `user "${user}" was not found in "/etc/nginx/.htpasswd"` : `user "${user}": password mismatch`;
      yield `${ts} [error] ${pid}#0: *${conn} ${msg}, client: ${ip}, server: ${host}, request: "GET /admin/ HTTP/1.1", host: "${host}"`;
    } else if (x < 0.55) {
      const path = pick(r, ['/favicon.ico', '/robots.txt', '/apple-touch-icon.png', '/static/app.js.map', '/wp-login.php']);
      yield `${ts} [error] ${pid}#0: *${conn} open() "/var/www/html${path}" failed (2: No such file or directory), client: ${client(r)}, server: ${host}, request: "GET ${path} HTTP/1.1", host: "${host}"`;
    } else if (x < 0.75) {
      yield `${ts} [error] ${pid}#0: *${conn} upstream timed out (110: Connection timed out) while reading response header from upstream, client: ${client(r)}, server: ${host}, request: "POST /api/orders HTTP/1.1", upstream: "http://127.0.0.1:8080/api/orders", host: "${host}"`;
    } else if (x < 0.9) {
      yield `${ts} [warn] ${pid}#0: *${conn} an upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/1/00/0000000001 while reading upstream, client: ${client(r)}, server: ${host}, request: "GET /download HTTP/1.1", upstream: "http://127.0.0.1:8080/download", host: "${host}"`;
    } else {
      yield `${ts} [info] ${pid}#0: *${conn} client closed connection while waiting for request, client: ${client(r)}, server: 0.0.0.0:443`;
    }
  }
}

function* postfix(n) {
  const r = rng(7);
  let t = Date.UTC(2026, 9, 29, 6, 0, 0);
  let pid = 20000;
  let queue = 0x1a2b3c;
  for (let i = 0; i < n; i++) {
    t += Math.floor(r() * 300);
    const d = new Date(t);
    const ts = `${MON[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
    const h = 'mx1';
    const x = r();
    if (r() < 0.02) pid++;
    if (x < 0.15) {
      const ip = attacker(r);
      yield `${ts} ${h} postfix/smtpd[${pid}]: warning: unknown[${ip}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6`;
    } else if (x < 0.3) {
      const ip = attacker(r);
      const rcpt = `${pick(r, USERS)}@example.org`;
      yield `${ts} ${h} postfix/smtpd[${pid}]: NOQUEUE: reject: RCPT from unknown[${ip}]: 550 5.1.1 <${rcpt}>: Recipient address rejected: User unknown in local recipient table; from=<spam@example.net> to=<${rcpt}> proto=ESMTP helo=<spammer.example.net>`;
    } else if (x < 0.45) {
      yield `${ts} ${h} postfix/smtpd[${pid}]: connect from mail-${Math.floor(r() * 999)}.example.com[${client(r)}]`;
    } else if (x < 0.6) {
      yield `${ts} ${h} postfix/smtpd[${pid}]: disconnect from mail-${Math.floor(r() * 999)}.example.com[${client(r)}] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5`;
    } else if (x < 0.75) {
      queue++;
      yield `${ts} ${h} postfix/smtpd[${pid}]: ${queue.toString(16).toUpperCase()}: client=mail-${Math.floor(r() * 999)}.example.com[${client(r)}]`;
    } else if (x < 0.85) {
      yield `${ts} ${h} postfix/qmgr[1234]: ${queue.toString(16).toUpperCase()}: from=<news@example.com>, size=${1000 + Math.floor(r() * 90000)}, nrcpt=1 (queue active)`;
    } else {
      yield `${ts} ${h} postfix/smtp[${pid + 1}]: ${queue.toString(16).toUpperCase()}: to=<${pick(r, USERS)}@example.net>, relay=mx.example.net[${client(r)}]:25, delay=0.4, delays=0.1/0/0.2/0.1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued)`;
    }
  }
}

const [kind, count, out] = process.argv.slice(2);
const gen = kind === 'nginx' ? nginx : kind === 'postfix' ? postfix : null;
if (!gen || !count || !out) {
  process.stderr.write('usage: node scripts/gen-logs.mjs nginx|postfix <lines> <out.log>\n');
  process.exit(2);
}
const stream = createWriteStream(out);
let buf = [];
for (const line of gen(Number(count))) {
  buf.push(line);
  if (buf.length === 10000) {
    if (!stream.write(buf.join('\n') + '\n')) await new Promise((r) => stream.once('drain', r));
    buf = [];
  }
}
if (buf.length > 0) stream.write(buf.join('\n') + '\n');
stream.end();
