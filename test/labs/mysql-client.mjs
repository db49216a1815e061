#!/usr/bin/env node
/**
 * A minimal MySQL/MariaDB protocol client for the labs: one login with mysql_native_password from a
 * chosen local address (the mariadb client cannot bind one), then QUIT. What the server answered is
 * printed (`ok`, `error <code> <message>`, `switch <plugin>`).
 *
 *   node mysql-client.mjs <host> <port> <local address> <user> <password|-> [<database>]
 *
 * `-` sends no password (`using password: NO`). Bounded: 10 s.
 */
import net from 'node:net';
import { createHash } from 'node:crypto';

const [host, port, localAddress, user, password, database] = process.argv.slice(2);
const sha1 = (...parts) => createHash('sha1').update(Buffer.concat(parts)).digest();
const sock = net.connect({ host, port: Number(port), localAddress });
const done = (text, code = 0) => {
  process.stdout.write(`${text}\n`);
  sock.destroy();
  process.exit(code);
};
setTimeout(() => done('timeout', 1), 10_000).unref();
sock.on('error', (e) => done(`socket error ${e.code}`, 1));

let buf = Buffer.alloc(0);
let state = 'greeting';
const packet = (seq, payload) => Buffer.concat([Buffer.from([payload.length & 0xff, (payload.length >> 8) & 0xff, payload.length >> 16, seq]), payload]);

sock.on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  while (buf.length >= 4) {
    const len = buf[0] | (buf[1] << 8) | (buf[2] << 16);
    if (buf.length < 4 + len) return;
    const seq = buf[3];
    const body = buf.subarray(4, 4 + len);
    buf = buf.subarray(4 + len);
    if (state === 'greeting') {
      // protocol 10: version NUL, thread id, 8 bytes of scramble, filler, caps, charset, status, caps, length, 10 reserved, the rest of the scramble
      let p = body.indexOf(0, 1) + 1 + 4;
      const part1 = body.subarray(p, p + 8);
      p += 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10;
      const part2 = body.subarray(p, body.indexOf(0, p));
      const scramble = Buffer.concat([part1, part2]).subarray(0, 20);
      const auth =
        password === '-'
          ? Buffer.alloc(0)
          : (() => {
              const h1 = sha1(Buffer.from(password));
              const h2 = sha1(scramble, sha1(h1));
              return Buffer.from(h1.map((b, i) => b ^ h2[i]));
            })();
      // CLIENT_LONG_PASSWORD | CONNECT_WITH_DB | PROTOCOL_41 | SECURE_CONNECTION | PLUGIN_AUTH
      const caps = 0x1 | (database ? 0x8 : 0) | 0x200 | 0x8000 | 0x80000;
      const head = Buffer.alloc(32);
      head.writeUInt32LE(caps, 0);
      head.writeUInt32LE(1 << 24, 4);
      head[8] = 33;
      const payload = Buffer.concat([
        head,
        Buffer.from(`${user}\0`),
        Buffer.from([auth.length]),
        auth,
        database ? Buffer.from(`${database}\0`) : Buffer.alloc(0),
        Buffer.from('mysql_native_password\0'),
      ]);
      sock.write(packet(seq + 1, payload));
      state = 'auth';
      continue;
    }
    if (body[0] === 0x00) {
      sock.write(packet(0, Buffer.from([0x01])));
      return done('ok');
    }
    if (body[0] === 0xff) return done(`error ${body.readUInt16LE(1)} ${body.subarray(9).toString()}`);
    if (body[0] === 0xfe) return done(`switch ${body.subarray(1, body.indexOf(0, 1)).toString()}`);
    return done(`unexpected packet ${body[0]}`, 1);
  }
});
