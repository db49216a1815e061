// Runs the f2b CLI in-process, through its bin entry as the `f2b` command does (which loads the
// small program of test-filter or of the client commands where it has one), and reports its peak
// RSS (KiB) on stderr as JSON at exit, so the benchmark can measure memory without depending on
// /usr/bin/time.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

process.on('exit', () => {
  process.stderr.write(`\n@@measure ${JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS })}\n`);
});
// The package's own command file, found by the package's name; it reads process.argv.slice(2):
// this script's arguments, the command and its options.
const cli = dirname(createRequire(import.meta.url).resolve('@f2b/cli/package.json'));
await import(pathToFileURL(join(cli, 'bin', 'f2b.js')).href);
