#!/usr/bin/env node
/**
 * A scripted line-protocol client for the labs (SMTP, IMAP, POP3, FTP): what swaks and curl cannot do
 * on purpose (talk before the greeting, pipeline without permission, send HTTP to port 25).
 *
 *   node line-client.mjs <host> <port> <local address> '<steps JSON>'
 *
 * Steps, in order: {"send": "text"} writes at once; {"expect": "regex"} waits until the text received
 * after the last match matches (e.g. "^220 " for the end of an SMTP greeting, "^\\* OK" for IMAP);
 * {"sleep": ms} pauses (pacing against a server's timer, e.g. postscreen's greet wait);
 * {"close": true} ends the connection. Exits 0 when every step ran, 1 otherwise (a timeout or the
 * server closing first), printing what it received. Bounded: 30 s for the whole script (Dovecot delays each failed login of an address by up to 15 s).
 */
import net from 'node:net';

const [host, port, localAddress, stepsJson] = process.argv.slice(2);
const steps = JSON.parse(stepsJson);
let received = '',
  pending = '',
  i = 0,
  sleeping = false;
const sock = net.connect({ host, port: Number(port), localAddress: localAddress || undefined });
const finish = (code) => {
  process.stdout.write(received);
  sock.destroy();
  process.exit(code);
};
setTimeout(() => finish(1), 30_000).unref();

function next() {
  if (sleeping) return; // data arriving during a pause waits for its end
  while (i < steps.length) {
    const s = steps[i];
    if (s.send !== undefined) {
      sock.write(s.send);
      i++;
      continue;
    }
    if (s.close) {
      sock.end();
      i++;
      continue;
    }
    if (s.sleep !== undefined) {
      i++;
      sleeping = true;
      setTimeout(() => {
        sleeping = false;
        next();
      }, s.sleep);
      return;
    }
    if (s.expect !== undefined) {
      const m = new RegExp(s.expect, 'm').exec(pending);
      if (!m) return;
      // Keep what came after the match: the next reply may have arrived in the same packet.
      pending = pending.slice(m.index + m[0].length);
      i++;
      continue;
    }
    throw new Error(`bad step ${JSON.stringify(s)}`);
  }
  finish(0);
}

sock.on('connect', next);
sock.on('data', (d) => {
  received += d;
  pending += d;
  next();
});
sock.on('error', () => finish(1));
sock.on('close', () => finish(i >= steps.length ? 0 : 1));
