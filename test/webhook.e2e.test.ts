/**
 * `@f2b/action-webhook` end to end: the real `f2b` daemon, finding the plugin by its short name
 * (`webhook` → `@f2b/action-webhook`), tails an sshd log and posts the ban to an HTTP server on
 * loopback (started in this test), with a token header read from a file that never appears in its
 * output; a server answering 503 first is retried; `f2b plugins` lists the package.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { f2b, sshdLine, startF2b, tempDir, type RunningF2b, until } from './helpers.js';

const TOKEN = 'e2e-webhook-token-3b9f1c';

describe('f2b with the webhook action', () => {
  const tmp = tempDir('f2b-webhook-e2e-');
  const log = join(tmp.dir, 'auth.log');
  const cfgFile = join(tmp.dir, 'f2b.config.json');
  const received: { url: string; headers: IncomingHttpHeaders; body: Record<string, unknown> }[] = [];
  let answered = 0;
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => {
      text += d.toString();
    });
    req.on('end', () => {
      received.push({ url: req.url!, headers: req.headers, body: JSON.parse(text) as Record<string, unknown> });
      res.statusCode = answered++ === 0 ? 503 : 200;
      res.end();
    });
  });
  let daemon: RunningF2b;

  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/f2b`;
    writeFileSync(join(tmp.dir, 'token'), `${TOKEN}\n`, { mode: 0o600 });
    writeFileSync(log, '');
    writeFileSync(
      cfgFile,
      JSON.stringify({
        state: { path: join(tmp.dir, 'f2b.db') },
        socket: join(tmp.dir, 'f2b.sock'),
        jails: {
          sshd: {
            source: { type: 'file', paths: [log], pollInterval: 50 },
            filter: 'sshd',
            maxretry: 2,
            bantime: '1h',
            ignoreself: false,
            actions: [
              { type: 'webhook', url, host: 'e2e-host', backoffMs: 50, headers: { Authorization: { file: join(tmp.dir, 'token'), prefix: 'Bearer ' } } },
            ],
          },
        },
      }),
    );
    daemon = startF2b(['start', '--foreground', '--config', cfgFile]);
    await daemon.waitFor(/Started 1 jail/, 'stderr', 20_000);
  }, 30_000);

  afterAll(async () => {
    await daemon?.stop();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    tmp.cleanup();
  });

  it('is listed by f2b plugins', () => {
    const r = f2b(['plugins', '--json']);
    const found = (JSON.parse(r.stdout) as { plugins: { name: string; kind: string; compatible: boolean }[] }).plugins.find(
      (p) => p.name === '@f2b/action-webhook',
    );
    expect(found).toMatchObject({ kind: 'action', compatible: true });
  });

  it('posts the ban (retrying a 503) with the token header, and never prints the token', async () => {
    for (let i = 0; i < 2; i++) appendFileSync(log, sshdLine(`Failed password for root from 198.51.100.61 port ${43000 + i} ssh2`, { pid: 200 + i }));
    await until('the ban to be delivered', () => answered >= 2);
    expect(received).toHaveLength(2);
    expect(received[1]!.url).toBe('/hooks/f2b');
    expect(received[1]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(received[1]!.body).toMatchObject({ event: 'ban', jail: 'sshd', ip: '198.51.100.61', family: 'inet4', bantime: 3600, failures: 2, host: 'e2e-host' });
    expect(daemon.stdout() + daemon.stderr()).not.toContain(TOKEN);
  });
});
