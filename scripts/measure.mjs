// Runs the f2b CLI in-process and reports its peak RSS (KiB) on stderr as JSON at exit, so the
// benchmark can measure memory without depending on /usr/bin/time.
import { main } from '@f2b/cli';

process.on('exit', () => {
  process.stderr.write(`\n@@measure ${JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS })}\n`);
});
const code = await main(['node', 'f2b', ...process.argv.slice(2)]);
process.exitCode = code ?? 0;
