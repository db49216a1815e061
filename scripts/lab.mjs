#!/usr/bin/env node
/**
 * Real-daemon labs: runs a service's lab (`test/labs/<service>.lab.test.ts`) — the daemon from Debian
 * in network namespaces, scripted attackers and an innocent client — and writes what the daemon
 * logged as a fixture of the filter package (`packages/<pkg>/test/fixtures/lab/<service>-<version>.*`),
 * so a new version of the software can be captured again.
 *
 *   npm run lab -- <service>...     capture (needs root; the lab says what else it needs)
 *   npm run lab -- --list           the services that have a lab
 *
 * A service is a lab file; adding `test/labs/<name>.lab.test.ts` adds the subcommand. CI runs the
 * same files as ordinary tests (they check, without writing).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const labsDir = join(root, 'test', 'labs');
const services = readdirSync(labsDir)
  .filter((f) => f.endsWith('.lab.test.ts'))
  .map((f) => f.slice(0, -'.lab.test.ts'.length))
  .sort();

const args = process.argv.slice(2);
if (args.length === 0 || args.includes('--help') || args.includes('-h')) {
  process.stderr.write(`usage: npm run lab -- <service>... | --list\nservices: ${services.join(', ')}\n`);
  process.exit(args.length === 0 ? 2 : 0);
}
if (args.includes('--list')) {
  process.stdout.write(`${services.join('\n')}\n`);
  process.exit(0);
}
const unknown = args.filter((a) => !services.includes(a));
if (unknown.length > 0) {
  process.stderr.write(`lab: no lab for ${unknown.join(', ')} (there are: ${services.join(', ')})\n`);
  process.exit(2);
}
if (process.getuid?.() !== 0) process.stderr.write('lab: not root: the labs need network namespaces and will skip\n');

const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const build = spawnSync(npx, ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const files = args.map((s) => join('test', 'labs', `${s}.lab.test.ts`));
const r = spawnSync(npx, ['vitest', 'run', ...files], { cwd: root, stdio: 'inherit', env: { ...process.env, F2B_LAB_CAPTURE: '1', F2B_LAB_WRITE: '1' } });
process.exit(r.status ?? 1);
