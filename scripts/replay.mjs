// Full replay of a log through a jail (parse → filter → tracker → action "log" without output),
// with a clock that follows the log's own time, so findtime windows behave as they did live.
import { readFileSync } from 'node:fs';
import { Core, Jail, resolveConfig } from '@f2b/core';
import sshd from '@f2b/filter-sshd';

const [file, timezone = 'UTC', now = '2026-10-30T23:59:59Z'] = process.argv.slice(2);
const fixedNow = Date.parse(now);
let logTime = -Infinity;
const clock = { now: () => (logTime === -Infinity ? fixedNow : logTime), setTimer: () => ({ cancel() {} }) };
const core = new Core({ clock, logLevel: 'error' });
core.use(sshd());
let bans = 0;
core.use({
  meta: { name: 'f2b:replay' },
  apply(api) {
    api.registerSource({ type: 'replay', create: () => ({ start: async () => {}, stop: async () => {} }) });
    api.registerAction({
      type: 'count',
      create: () => ({
        ban: async (b) => {
          bans += b.length;
        },
        unban: async () => {},
      }),
    });
  },
});
core.hooks.entry.tap('replay-clock', (e) => {
  if (e.time !== undefined && e.time > logTime) logTime = e.time;
  return e;
});
const config = resolveConfig({
  jails: { sshd: { source: { type: 'replay' }, actions: [{ type: 'count' }], timezone, maxretry: 5, findtime: '10m', bantime: '1h', ignoreself: false } },
});
const jail = new Jail(core, config.jails[0]);
await jail.start();
const started = process.hrtime.bigint();
const buf = readFileSync(file);
let start = 0,
  lines = 0,
  batch = [];
for (let nl; (nl = buf.indexOf(10, start)) !== -1; start = nl + 1) {
  batch.push(buf.subarray(start, nl));
  if (batch.length === 4096) {
    jail.lines(batch, file);
    lines += batch.length;
    batch = [];
  }
}
if (batch.length) {
  jail.lines(batch, file);
  lines += batch.length;
}
await jail.flush();
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
process.stdout.write(
  JSON.stringify({ lines, seconds, linesPerSecond: lines / seconds, bans, failures: jail.stats.failures, maxRssKiB: process.resourceUsage().maxRSS }) + '\n',
);
