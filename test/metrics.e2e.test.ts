/**
 * Issue 16, metrics: a real daemon with `metrics: { listen }` serves Prometheus' text format at
 * /metrics; after an attack, a manual ban, an ignored address and an unban, the counters and gauges
 * say exactly that. Nothing else is served; a bad listen address is a config error.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { f2b, runF2b, sshdLine, startF2b, tempDir } from './helpers.js';

const tmp = tempDir('f2b-metrics-');
afterAll(() => tmp.cleanup());

/** `name{labels} value` lines → value by `name{labels}`. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

describe('the metrics endpoint', () => {
  it('counts lines, matches, failures, ignored, bans by origin, unbans, bans in force and action calls', async () => {
    const log = join(tmp.dir, 'auth.log');
    writeFileSync(log, '');
    const sock = join(tmp.dir, 'f2b.sock');
    const cfg = join(tmp.dir, 'f2b.config.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        state: { type: 'memory' },
        socket: sock,
        metrics: { listen: '127.0.0.1:0' },
        jails: {
          sshd: {
            source: { type: 'file', paths: [log], pollInterval: 50 },
            filter: 'sshd',
            maxretry: 2,
            bantime: '1h',
            ignoreself: false,
            ignoreip: ['198.51.100.0/24'],
            actions: ['log'],
          },
        },
      }),
    );
    const d = startF2b(['start', '--foreground', '--config', cfg]);
    try {
      const port = Number((await d.waitFor(/Metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/, 'stderr', 20_000))[1]);
      await d.waitFor(/Started 1 jail/, 'stderr', 20_000);
      let pid = 100;
      const line = (msg: string) => appendFileSync(log, sshdLine(msg, { pid: pid++ }));
      line('Failed password for root from 203.0.113.81 port 1 ssh2');
      line('Failed password for root from 203.0.113.81 port 2 ssh2');
      line('Failed password for root from 198.51.100.9 port 3 ssh2'); // ignoreip
      line('Accepted password for alice from 203.0.113.200 port 4 ssh2'); // read, not a failure
      await d.waitFor(/NOTICE \[sshd\] Ban 203\.0\.113\.81 /, 'stderr');
      expect((await runF2b(['ban', 'sshd', '203.0.113.82', '--socket', sock])).code).toBe(0);
      expect((await runF2b(['unban', '203.0.113.81', '--jail', 'sshd', '--socket', sock])).code).toBe(0);
      await d.waitFor(/Unban 203\.0\.113\.81/, 'stderr');
      line('Failed password for root from 203.0.113.83 port 5 ssh2'); // failing, not banned
      for (let failing = 0; failing === 0;) {
        const st = await runF2b(['status', 'sshd', '--json', '--socket', sock]);
        failing = (JSON.parse(st.stdout) as { currentlyFailed: number }).currentlyFailed;
      }

      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      const m = parse(await res.text());
      expect(m.get(`f2b_lines_total{jail="sshd",source="${log}"}`)).toBe(5);
      expect(m.get('f2b_failures_total{jail="sshd"}')).toBe(4);
      expect(m.get('f2b_ignored_total{jail="sshd",reason="ignoreip"}')).toBe(1);
      expect([...m].filter(([k]) => k.startsWith('f2b_lines_matched_total{jail="sshd",filter="sshd"')).reduce((a, [, v]) => a + v, 0)).toBe(4);
      expect(m.get('f2b_bans_total{jail="sshd",origin="local"}')).toBe(1);
      expect(m.get('f2b_bans_total{jail="sshd",origin="manual"}')).toBe(1);
      expect(m.get('f2b_unbans_total{jail="sshd",reason="manual"}')).toBe(1);
      expect(m.get('f2b_banned{jail="sshd"}')).toBe(1);
      expect(m.get('f2b_outbox_pending')).toBe(0);
      // Everything written was read; one source fails inside findtime (203.0.113.83, below maxretry).
      expect(m.get(`f2b_source_lag_bytes{jail="sshd",source="${log}"}`)).toBe(0);
      expect(m.get('f2b_tracker_entries{jail="sshd"}')).toBe(1);
      // Every ban and unban went through the log action: three calls, none failed.
      expect(m.get('f2b_action_duration_seconds_count{jail="sshd",action="log"}')).toBeGreaterThanOrEqual(3);
      expect(m.get('f2b_action_errors_total{jail="sshd",action="log"}') ?? 0).toBe(0);
      expect(m.get('f2b_process_resident_memory_bytes')).toBeGreaterThan(0);

      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status).toBe(405);
    } finally {
      await d.stop();
    }
  }, 60_000);

  it('a listen address that is not host:port is a config error with its key path', () => {
    const cfg = join(tmp.dir, 'bad.json');
    writeFileSync(
      cfg,
      JSON.stringify({ state: { type: 'memory' }, socket: false, metrics: { listen: '9191' }, jails: { x: { source: '/etc/hostname', filter: 'sshd' } } }),
    );
    const r = f2b(['config', 'check', '--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('F2B_ERR_CONFIG_INVALID');
    expect(r.stderr).toContain('metrics.listen');
  });
});
