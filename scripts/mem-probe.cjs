// Loaded by scripts/bench-flood.mjs --breakdown (never by f2b itself).
// Loaded into the daemon with --require: on SIGUSR2 writes a memory breakdown (after a full GC) to $F2B_MEMPROBE_OUT.
const v8 = require('node:v8');
const fs = require('node:fs');
process.on('SIGUSR2', () => {
  if (global.gc) global.gc();
  const spaces = Object.fromEntries(
    v8.getHeapSpaceStatistics().map((s) => [s.space_name, Math.round(s.space_used_size / 1048576) + '/' + Math.round(s.space_size / 1048576)]),
  );
  const m = process.memoryUsage();
  const mib = (x) => Math.round(x / 1048576);
  fs.writeFileSync(
    process.env.F2B_MEMPROBE_OUT,
    JSON.stringify({
      rss: mib(m.rss),
      heapUsed: mib(m.heapUsed),
      heapTotal: mib(m.heapTotal),
      external: mib(m.external),
      arrayBuffers: mib(m.arrayBuffers),
      spaces,
    }) + '\n',
  );
});
