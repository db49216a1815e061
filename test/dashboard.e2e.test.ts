/**
 * Issue 16, the dashboard, end to end in headless Chromium (Debian's `chromium`, driven by
 * playwright-core; no browser is downloaded): a real daemon with `dashboard: { listen }` and a jail
 * on a temp log; attack lines written while the page is open appear in it live (no reload); search
 * and sort of the bans work; the address panel shows an attacker's lines as text (a user name made
 * of markup stays text); the plot of the attacked jail has its colours on screen and an idle
 * jail's has none (read from a screenshot). Then, without a browser: the security headers, GET
 * only, loopback Host only, no path outside the page's files, sharing the metrics server, and the
 * errors for a bad or busy address.
 *
 * F2B_DASHBOARD_SCREENSHOT=docs/dashboard.png writes the page's screenshot for the README.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { ROOT, f2b, sshdLine, startF2b, tempDir } from './helpers.js';
import { countColour, decodePng, rowsWithColour } from './png.js';

const CHROMIUM = '/usr/bin/chromium';
const noBrowser = existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing (apt-get install chromium)`;
if (noBrowser) console.log(`skipping the dashboard's browser test: ${noBrowser}`);

const tmp = tempDir('f2b-dashboard-');
afterAll(() => tmp.cleanup());

/** The colours of the plot's series (style.css: --failures, --bans). */
const FAILURES = '#e8590c';
const BANS = '#1864ab';
const HOSTILE_USER = '<img/src=x/onerror=window.pwned=1>';

function config(name: string, extra: Record<string, unknown>) {
  const logs = { sshd: join(tmp.dir, `${name}-auth.log`), idle: join(tmp.dir, `${name}-idle.log`) };
  for (const l of Object.values(logs)) writeFileSync(l, '');
  const file = join(tmp.dir, `${name}.json`);
  const jail = (log: string) => ({
    source: { type: 'file', paths: [log], pollInterval: 50 },
    filter: 'sshd',
    maxretry: 3,
    findtime: '1h',
    bantime: '1h',
    ignoreself: false,
    actions: ['log'],
  });
  writeFileSync(file, JSON.stringify({ state: { type: 'memory' }, socket: false, ...extra, jails: { sshd: jail(logs.sshd), idle: jail(logs.idle) } }));
  return { file, log: logs.sshd };
}

/** GET with a chosen Host header (fetch will not send one of ours). */
function get(
  port: number,
  path: string,
  opts: { host?: string; method?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: { host: opts.host ?? `127.0.0.1:${port}` } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => done({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe.skipIf(noBrowser !== null)('the dashboard in Chromium', () => {
  it('shows bans as they happen, searches and sorts them, explains an address, and plots the attacks', async () => {
    const cfg = config('page', { dashboard: { listen: '127.0.0.1:0' } });
    const d = startF2b(['start', '--foreground', '--config', cfg.file]);
    let browser: Browser | null = null;
    try {
      const port = Number((await d.waitFor(/Dashboard on http:\/\/127\.0\.0\.1:(\d+)\//, 'stderr', 20_000))[1]);
      await d.waitFor(/Started 2 jail/, 'stderr', 20_000);
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
      });
      // A blocked script, style or connection would be a CSP violation: reported, never silent.
      await page.addInitScript(() =>
        document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`)),
      );
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForSelector('#live.on');
      await page.waitForSelector('#bans tbody td.empty');

      let pid = 300;
      const line = (msg: string) => appendFileSync(cfg.log, sshdLine(msg, { pid: pid++ }));
      // Read before the bans waited for below: a line only sshd's ddos rules count (mode normal here).
      line('Connection closed by 198.51.100.20 port 3999 [preauth]');
      for (let i = 0; i < 3; i++) line(`Failed password for root from 203.0.113.81 port ${1000 + i} ssh2`);
      for (let i = 0; i < 3; i++) line(`Failed password for invalid user ${HOSTILE_USER} from 203.0.113.82 port ${2000 + i} ssh2`);
      for (let i = 0; i < 3; i++) line(`Failed password for root from 2001:db8::7 port ${3000 + i} ssh2`);
      line('Failed password for root from 198.51.100.20 port 4000 ssh2'); // one attempt: failing, not banned
      for (const ip of ['203.0.113.81', '203.0.113.82', '2001:db8::7'])
        await d.waitFor(new RegExp(`NOTICE \\[sshd\\] Ban ${ip.replace(/\./g, '\\.')} `), 'stderr');

      // Live: the page was not reloaded.
      const addresses = () => page.$$eval('#bans tbody td.ip', (tds) => tds.map((td) => td.textContent));
      await page.waitForFunction(() => document.querySelectorAll('#bans tbody td.ip').length === 3);
      await page.waitForFunction(() => document.querySelector('#jails tr[data-jail="sshd"]')?.children[2]?.textContent === '3');

      await page.fill('#ban-search', '2001:db8');
      await page.waitForFunction(() => document.querySelectorAll('#bans tbody td.ip').length === 1);
      expect(await addresses()).toEqual(['2001:db8::7']);
      expect(await page.textContent('#bans-count')).toBe('(1 of 3)');
      await page.fill('#ban-search', '');
      await page.waitForFunction(() => document.querySelectorAll('#bans tbody td.ip').length === 3);
      await page.click('#bans th[data-sort="ip"]');
      await page.waitForSelector('#bans th[data-sort="ip"].asc');
      await page.waitForFunction(() => document.querySelector('#bans tbody td.ip')?.textContent === '203.0.113.81');
      expect(await addresses()).toEqual(['203.0.113.81', '203.0.113.82', '2001:db8::7']);
      await page.click('#bans th[data-sort="ip"]');
      await page.waitForFunction(() => document.querySelector('#bans tbody td.ip')?.textContent === '2001:db8::7');
      expect(await addresses()).toEqual(['2001:db8::7', '203.0.113.82', '203.0.113.81']);

      // Top offenders and ranges, rule hits.
      expect(await page.$$eval('#offenders tbody td.ip', (tds) => tds.length)).toBe(3);
      expect(await page.textContent('#ranges tbody tr:first-child')).toContain('203.0.113.0/24');
      await page.waitForFunction(() => document.querySelector('#rules [data-jail="sshd"] tbody tr') !== null);
      expect(await page.textContent('#rules [data-jail="sshd"] tbody')).toMatch(/\d/);

      // The address panel: the hostile user name is shown, as text, and ran nothing.
      await page.click('#bans a.ip:text-is("203.0.113.82")');
      await page.waitForSelector('#address [data-jail="sshd"] pre.lines');
      expect(await page.textContent('#address [data-jail="sshd"] pre.lines')).toContain(HOSTILE_USER);
      expect(await page.$$('#address img')).toHaveLength(0);
      expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
      await page.fill('#address-input', '198.51.100.20');
      await page.click('#address-form button');
      await page.waitForFunction(() => document.querySelector('#address strong')?.textContent === '198.51.100.20');
      const panel = await page.textContent('#address [data-jail="sshd"]');
      expect(panel).toContain('Not banned; 1 of 3 attempt(s)');
      expect(panel).toContain('198.51.100.20 port 4000');
      expect(panel).toContain('Not counted in mode normal: closed-preauth (counted in mode ddos or aggressive):');
      expect(panel).toContain('198.51.100.20 port 3999 [preauth]');

      // The plots, on screen: in the attacked jail's canvas both series rise from zero (their colours
      // span many rows); the idle jail's are flat lines at zero.
      await page.waitForFunction(() => document.querySelectorAll('#charts .chart canvas').length === 2);
      const attacked = decodePng(await page.locator('#charts .chart[data-jail="sshd"] canvas').screenshot());
      const idle = decodePng(await page.locator('#charts .chart[data-jail="idle"] canvas').screenshot());
      expect(attacked.width).toBeGreaterThan(300);
      const plotRows = attacked.height / 2;
      expect(rowsWithColour(attacked, FAILURES)).toBeGreaterThan(plotRows / 2);
      expect(rowsWithColour(attacked, BANS)).toBeGreaterThan(plotRows / 4);
      expect(countColour(attacked, BANS)).toBeGreaterThan(100);
      expect(rowsWithColour(idle, FAILURES)).toBeLessThanOrEqual(4);
      expect(rowsWithColour(idle, FAILURES)).toBeGreaterThan(0); // the line at zero is drawn
      expect(rowsWithColour(idle, BANS)).toBeLessThanOrEqual(4);

      const shot = process.env.F2B_DASHBOARD_SCREENSHOT;
      if (shot) {
        await page.click('#bans th[data-sort="start"]');
        await page.fill('#address-input', '203.0.113.82');
        await page.click('#address-form button');
        await page.waitForFunction(() => document.querySelector('#address strong')?.textContent === '203.0.113.82');
        await page.screenshot({ path: resolve(ROOT, shot), fullPage: true });
      }
      expect(problems).toEqual([]); // no CSP violation, no script error
      // The policy is enforced: an inline script (what an injection would add) does not run.
      await page.evaluate(() => {
        const s = document.createElement('script');
        s.textContent = 'window.inlineRan = 1';
        document.body.append(s);
      });
      expect(await page.evaluate(() => (window as unknown as { inlineRan?: number }).inlineRan)).toBeUndefined();
      await expect.poll(() => problems.join('\n')).toContain('CSP violation: script-src');
    } finally {
      await browser?.close();
      await d.stop();
    }
  }, 60_000);
});

describe('the dashboard over HTTP', () => {
  it('shares the metrics server, answers GET only, with strict headers, to loopback Host names, from its own files', async () => {
    const cfg = config('http', { metrics: { listen: '127.0.0.1:0' }, dashboard: { listen: '127.0.0.1:0' } });
    const d = startF2b(['start', '--foreground', '--config', cfg.file]);
    try {
      const port = Number((await d.waitFor(/Dashboard on http:\/\/127\.0\.0\.1:(\d+)\/ \(with the metrics\)/, 'stderr', 20_000))[1]);
      await d.waitFor(/Started/, 'stderr', 20_000);
      expect(d.stderr()).toContain(`Metrics on http://127.0.0.1:${port}/metrics`);
      expect((await get(port, '/metrics')).body).toContain('f2b_failures_total');

      const page = await get(port, '/');
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      const csp = String(page.headers['content-security-policy']);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(page.headers['x-content-type-options']).toBe('nosniff');
      expect(page.body).not.toMatch(/<script>|<script(?![^>]*\bsrc=)[^>]*>|\son\w+=/); // no inline script or handler
      expect((await get(port, '/vendor/uPlot.iife.min.js')).body).toContain('uPlot');

      const overview = await get(port, '/api/overview');
      expect(overview.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(overview.headers['content-security-policy']).toBe(csp);
      expect(JSON.parse(overview.body).jails.map((j: { name: string }) => j.name)).toEqual(['sshd', 'idle']);
      expect((await get(port, '/api/bans?sort=nonsense')).status).toBe(400);
      expect((await get(port, '/api/address?ip=not-an-ip')).status).toBe(400);

      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
        const r = await get(port, '/api/overview', { method });
        expect(r.status).toBe(405);
        expect(r.headers.allow).toBe('GET, HEAD');
      }
      // DNS rebinding: a name that points at 127.0.0.1 is not a loopback name.
      expect((await get(port, '/api/bans', { host: `attacker.example:${port}` })).status).toBe(403);
      expect((await get(port, '/api/bans', { host: `localhost:${port}` })).status).toBe(200);
      for (const path of [
        '/../package.json',
        '/%2e%2e/package.json',
        '/vendor/../../package.json',
        '/vendor/..%2f..%2fpackage.json',
        '/public/index.html',
        '/index.html/',
        '//etc/passwd',
      ]) {
        expect((await get(port, path)).status, path).toBe(404);
      }
    } finally {
      await d.stop();
    }
  }, 60_000);

  it('a listen address that is not host:port is a config error; a busy one stops the start with F2B_ERR_DASHBOARD_LISTEN', async () => {
    const bad = config('bad', { dashboard: { listen: '9192' } });
    const r = f2b(['config', 'check', '--config', bad.file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('F2B_ERR_CONFIG_INVALID');
    expect(r.stderr).toContain('dashboard.listen');

    const holder = createServer();
    await new Promise<void>((ok) => holder.listen(0, '127.0.0.1', () => ok()));
    const taken = (holder.address() as { port: number }).port;
    try {
      const busy = config('busy', { dashboard: { listen: `127.0.0.1:${taken}` } });
      const s = f2b(['start', '--foreground', '--config', busy.file], { timeoutMs: 30_000 });
      expect(s.code).toBe(1);
      expect(s.stderr).toContain('F2B_ERR_DASHBOARD_LISTEN');
      expect(s.stderr).toContain(`127.0.0.1:${taken}: EADDRINUSE`);
      expect(s.stderr).toContain('dashboard.listen');
    } finally {
      holder.close();
    }
  }, 60_000);
});

describe('the attacks over time across a restart', () => {
  it('are counted when they happen and saved in the SQLite store: a restart neither loses nor recounts them', async () => {
    const cfg = config('restart', {
      state: { path: join(tmp.dir, 'restart.db') },
      socket: join(tmp.dir, 'restart.sock'),
      dashboard: { listen: '127.0.0.1:0' },
    });
    const minuteOf = (a: { failures: number[]; bans: number[] }) => ({ failures: a.failures.reduce((x, y) => x + y), bans: a.bans.reduce((x, y) => x + y) });
    const activity = async (port: number) => {
      const r = JSON.parse((await get(port, '/api/activity?scale=minute')).body) as { jails: { name: string; failures: number[]; bans: number[] }[] };
      return minuteOf(r.jails.find((j) => j.name === 'sshd')!);
    };
    let d = startF2b(['start', '--foreground', '--config', cfg.file]);
    try {
      let port = Number((await d.waitFor(/Dashboard on http:\/\/127\.0\.0\.1:(\d+)\//, 'stderr', 20_000))[1]);
      await d.waitFor(/Started 2 jail/, 'stderr', 20_000);
      for (let i = 0; i < 3; i++) appendFileSync(cfg.log, sshdLine(`Failed password for root from 203.0.113.60 port ${7000 + i} ssh2`, { pid: 700 + i }));
      await d.waitFor(/\[sshd\] Ban 203\.0\.113\.60 /, 'stderr');
      expect(await activity(port)).toEqual({ failures: 3, bans: 1 });
      await d.stop();

      // The ban in force is restored at start (no new ban), the log is not read again: same counts.
      d = startF2b(['start', '--foreground', '--config', cfg.file]);
      port = Number((await d.waitFor(/Dashboard on http:\/\/127\.0\.0\.1:(\d+)\//, 'stderr', 20_000))[1]);
      await d.waitFor(/Started 2 jail/, 'stderr', 20_000);
      expect(d.stderr()).toContain('Restored 1 active ban(s).');
      expect(await activity(port)).toEqual({ failures: 3, bans: 1 });
      // Lifting the ban does not take it out of the plot.
      expect(f2b(['unban', '203.0.113.60', '--config', cfg.file]).code).toBe(0);
      await d.waitFor(/\[sshd\] Unban 203\.0\.113\.60/, 'stderr');
      expect(await activity(port)).toEqual({ failures: 3, bans: 1 });
    } finally {
      await d.stop();
    }
  }, 60_000);
});
