/**
 * A minimal FTP client for the labs, run with node inside a namespace: one control connection from a
 * given source address, a list of USER/PASS attempts, QUIT. It prints the server's replies (for
 * debugging) and never interprets them: the episode script states what the attempts should cause.
 */
import type { NetLab, RunResult } from '../netns-lab.js';

const CLIENT = `
const net = require('net');
const [host, port, from, json] = process.argv.slice(1);
const attempts = JSON.parse(json);
const s = net.connect({ host, port: Number(port), localAddress: from });
let buf = '', out = '';
const queue = [];
for (const [u, p] of attempts) { queue.push('USER ' + u); if (p !== null) queue.push('PASS ' + p); }
queue.push('QUIT');
const lines = () => { const i = buf.indexOf('\\n'); if (i < 0) return null; const l = buf.slice(0, i + 1); buf = buf.slice(i + 1); return l; };
s.setTimeout(8000, () => s.destroy());
s.on('data', (d) => {
  buf += d;
  for (let l = lines(); l !== null; l = lines()) {
    out += l;
    // a final reply line is "ddd " (multi-line replies continue with "ddd-")
    if (/^[0-9]{3} /.test(l)) { const next = queue.shift(); if (next !== undefined) s.write(next + '\\r\\n'); }
  }
});
s.on('close', () => { process.stdout.write(out); process.exit(0); });
s.on('error', (e) => { process.stdout.write(out + 'error ' + e.code); process.exit(0); });
`;

/** USER/PASS attempts over one control connection (`pass: null` sends only USER). */
export function ftpLogin(net: NetLab, ns: string, from: string, host: string, port: number, attempts: [string, string | null][]): Promise<RunResult> {
  return net.runIn(ns, process.execPath, ['-e', CLIENT, host, String(port), from, JSON.stringify(attempts)], { timeoutMs: 30_000 });
}
