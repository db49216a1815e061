#!/usr/bin/env node
/**
 * Real daemons under scripted attack, on demand: `npm run lab -- <service>` runs the service's lab
 * (test/labs/<service>.lab.test.ts: network namespaces, the real daemon, scripted attackers and an
 * innocent client) and writes the annotated captures into the filter package's fixtures
 * (test/fixtures/lab/ of each filter package), where the package tests check them from then on. Needs root
 * and the daemon installed (see each package README). `npm run lab -- --list` lists the services.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const labs = join(root, 'test', 'labs');
const services = readdirSync(labs).filter((f) => f.endsWith('.lab.test.ts')).map((f) => f.slice(0, -'.lab.test.ts'.length)).sort();

const [service, ...rest] = process.argv.slice(2);
if (!service || service === '--list' || service === '-h' || service === '--help') {
  process.stdout.write(`usage: npm run lab -- <service>\nservices: ${services.join(', ')}\n`);
  process.exit(service ? 0 : 2);
}
if (!services.includes(service)) {
  process.stderr.write(`lab: no lab for "${service}" (services: ${services.join(', ')})\n`);
  process.exit(2);
}
const vitest = join(root, 'node_modules', '.bin', 'vitest');
if (!existsSync(vitest)) {
  process.stderr.write('lab: vitest is not installed (run npm ci)\n');
  process.exit(2);
}
const r = spawnSync(vitest, ['run', join('test', 'labs', `${service}.lab.test.ts`), ...rest], {
  cwd: root, stdio: 'inherit', env: { ...process.env, F2B_LAB_WRITE: '1' },
});
process.exit(r.status ?? 1);
