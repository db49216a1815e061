#!/usr/bin/env node
/**
 * Conformance of our filters against fail2ban's annotated sample logs.
 *
 *   node scripts/conformance.mjs [<corpus-dir>] [--verbose] [--strict] [--filter ID]... [--core DIR]
 *
 * <corpus-dir> defaults to ../shared/corpus/fail2ban-logs beside the checkout.
 * Loads every filter package of the workspace (`packages/filter-*`, built: dist/index.js) and every
 * installed one (packages in `node_modules`, scoped too, whose manifest says `"f2b": {"kind":
 * "filter"}`), registers them into one Core, and for every filter id that has a sample file in
 * <corpus-dir> (`<id>`, and `<id>-journal`: `sshd-journal` is checked with `sshd`) runs
 * `checkAnnotatedLog` with fail2ban's test settings: now = 2005-08-14 12:00 CEST, dates without zone
 * in Europe/Berlin.
 *
 * Prints one row per filter (right/total, %) and a total; `--verbose` prints every wrong line. Exits 1
 * when the total is below 99 % or any filter with annotated lines is below 95 %, 2 on bad usage.
 *
 * A few sample lines contradict what our filters are specified to do (DEVIATIONS below, each with its
 * reason). They are listed, shown in their own column and left out of the percentages; `--strict`
 * counts them as wrong like any other line.
 * `--core DIR` checks with another build of @f2b/core (a package directory with dist/), e.g. a patched one.
 * Plain Node ESM without dependencies beyond the workspace.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const TOTAL_MIN = 99;
const FILTER_MIN = 95;
const NOW = Date.parse('2005-08-14T12:00:00+02:00');
const TIMEZONE = 'Europe/Berlin';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Sample lines where fail2ban's annotation and our specification disagree on purpose. `contains` is
 * matched against the sample line's text, only in `file`, only for `filter`.
 */
const DEVIATIONS = [
  {
    filter: 'nginx-limit-req', file: 'nginx-limit-req', contains: ' delaying request, excess: ',
    reason: 'nginx-limit-req counts requests nginx rejected (`limiting requests`), not the `delaying request` warnings of a burst it let through (issue 7)',
  },
  {
    filter: 'sshd', file: 'sshd-journal', contains: 'ssh2: from 10.10.1.2 port 55555 ssh2',
    reason: 'sshd: two readings, each naming a different address (text after `ssh2: ` forged, or a user name ending in `ssh2:`); we match neither rather than risk banning the forged one',
  },
  {
    filter: 'sshd', file: 'sshd-journal', contains: 'ssh1: ruser from 1.2.3.4',
    reason: 'sshd: ambiguous against a forged user name on daemons that log no port; not matched rather than risk banning the forged address',
  },
  {
    filter: 'sshd', file: 'sshd', contains: 'ssh1: ruser from 1.2.3.4',
    reason: 'sshd: ambiguous against a forged user name on daemons that log no port; not matched rather than risk banning the forged address',
  },
  {
    filter: 'dovecot', file: 'dovecot', contains: '@400000004c91b044077a9e94',
    reason: 'TAI64N labels count 10 s ahead of Unix time (2^62 + 10 + seconds); we subtract them as tai64nlocal does, the annotation does not',
  },
];

function deviationOf(filter, file, text) {
  return DEVIATIONS.find((d) => d.filter === filter && d.file === file && text.includes(d.contains));
}

function usage(message) {
  if (message) process.stderr.write(`conformance: ${message}\n`);
  process.stderr.write('usage: node scripts/conformance.mjs [<corpus-dir>] [--verbose] [--strict] [--filter ID]... [--core DIR]\n');
  process.exit(2);
}

// ------------------------------------------------------------------------------------------ arguments
const args = process.argv.slice(2);
let corpusDir;
let verbose = false;
let strict = false;
let coreDir = join(root, 'packages', 'core');
const only = new Set();
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--verbose' || a === '-v') verbose = true;
  else if (a === '--strict') strict = true;
  else if (a === '--filter') { if (!args[i + 1]) usage('--filter needs an id'); only.add(args[++i]); }
  else if (a === '--core') { if (!args[i + 1]) usage('--core needs a directory'); coreDir = resolve(args[++i]); }
  else if (a === '--help' || a === '-h') usage();
  else if (a.startsWith('-')) usage(`unknown option ${a}`);
  else if (corpusDir === undefined) corpusDir = resolve(a);
  else usage(`unexpected argument ${a}`);
}
// Default: the shared material beside the checkout (`npm run conformance` passes no argument).
if (!corpusDir && existsSync(join(root, '..', 'shared', 'corpus', 'fail2ban-logs'))) corpusDir = join(root, '..', 'shared', 'corpus', 'fail2ban-logs');
if (!corpusDir) usage('the corpus directory is required (default ../shared/corpus/fail2ban-logs is missing)');
if (!existsSync(corpusDir) || !statSync(corpusDir).isDirectory()) usage(`${corpusDir} is not a directory`);

const coreEntry = join(coreDir, 'dist', 'index.js');
const testingEntry = join(coreDir, 'dist', 'testing', 'index.js');
if (!existsSync(coreEntry) || !existsSync(testingEntry)) usage(`${coreDir} is not built (run: npx tsc -b packages/core)`);
const { Core } = await import(pathToFileURL(coreEntry).href);
const { checkAnnotatedLog } = await import(pathToFileURL(testingEntry).href);

// ------------------------------------------------------------------------------------------ discovery
function readManifest(dir) {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  } catch {
    return null;
  }
}

/** Package directories that declare filters: the workspace's packages/filter-*, then node_modules. */
function discoverPackageDirs() {
  const found = new Map(); // realpath -> dir
  const add = (dir) => {
    const m = readManifest(dir);
    if (!m || m.f2b?.kind !== 'filter') return;
    let real;
    try { real = realpathSync(dir); } catch { return; }
    if (!found.has(real)) found.set(real, dir);
  };
  const pkgs = join(root, 'packages');
  if (existsSync(pkgs)) {
    for (const name of readdirSync(pkgs).sort()) if (name.startsWith('filter-')) add(join(pkgs, name));
  }
  const nm = join(root, 'node_modules');
  if (existsSync(nm)) {
    for (const name of readdirSync(nm).sort()) {
      if (name.startsWith('.')) continue;
      if (name.startsWith('@')) {
        for (const sub of readdirSync(join(nm, name)).sort()) add(join(nm, name, sub));
      } else {
        add(join(nm, name));
      }
    }
  }
  return [...found.values()];
}

const core = new Core({ logLevel: 'silent' });
const packageOf = new Map(); // filter id -> package name
const problems = [];
for (const dir of discoverPackageDirs()) {
  const manifest = readManifest(dir);
  const entry = join(dir, 'dist', 'index.js');
  if (!existsSync(entry)) {
    problems.push(`${manifest.name}: not built (${entry} is missing); run: npx tsc -b ${dir}`);
    continue;
  }
  try {
    const mod = await import(pathToFileURL(entry).href);
    if (typeof mod.default !== 'function') throw new Error('its default export is not a plugin factory');
    const before = new Set(core.listFilters().map((f) => f.def.id));
    core.use(mod.default());
    for (const f of core.listFilters()) if (!before.has(f.def.id)) packageOf.set(f.def.id, manifest.name);
  } catch (err) {
    problems.push(`${manifest.name}: could not be loaded: ${err?.message ?? err}`);
  }
}

// ------------------------------------------------------------------------------------------ the check
const corpusFiles = readdirSync(corpusDir).filter((f) => statSync(join(corpusDir, f)).isFile()).sort();
const filters = core.listFilters().map((f) => f.def).sort((a, b) => a.id.localeCompare(b.id));
const ids = new Set(filters.map((d) => d.id));
/** Corpus file -> the filter that reads it: `<id>` or `<id>-journal`. */
const fileFilter = new Map();
for (const file of corpusFiles) {
  if (ids.has(file)) fileFilter.set(file, file);
  else if (file.endsWith('-journal') && ids.has(file.slice(0, -'-journal'.length))) fileFilter.set(file, file.slice(0, -'-journal'.length));
}

const rows = [];
const wrong = [];
const deviations = [];
for (const def of filters) {
  if (only.size > 0 && !only.has(def.id)) continue;
  const files = corpusFiles.filter((f) => fileFilter.get(f) === def.id);
  if (files.length === 0) {
    rows.push({ id: def.id, pkg: packageOf.get(def.id) ?? '?', files: [], right: 0, total: 0 });
    continue;
  }
  let right = 0, total = 0, byDesign = 0;
  const notes = [];
  for (const file of files) {
    let report;
    try {
      report = checkAnnotatedLog(def, join(corpusDir, file), { now: NOW, timezone: TIMEZONE });
    } catch (err) {
      notes.push(`${file}: ${err?.message ?? err}`);
      continue;
    }
    for (const r of report.results) {
      // The file the line is in (a sample may include another with addFILE).
      const dev = strict ? undefined : deviationOf(def.id, basename(r.file), r.text);
      if (dev) {
        byDesign++;
        deviations.push({ id: def.id, reason: dev.reason, ...r });
        continue;
      }
      total++;
      if (r.ok) right++;
      else wrong.push({ id: def.id, ...r });
    }
    notes.push(...report.skippedReasons);
  }
  rows.push({ id: def.id, pkg: packageOf.get(def.id) ?? '?', files, right, total, byDesign, notes });
}

// ------------------------------------------------------------------------------------------ the report
const pct = (r, t) => (t === 0 ? '—' : `${((100 * r) / t).toFixed(1)} %`);
const idWidth = Math.max(6, ...rows.map((r) => r.id.length));
const pkgWidth = Math.max(7, ...rows.map((r) => r.pkg.length));
const line = (id, pkg, rt, p, d = '') => `${id.padEnd(idWidth)}  ${pkg.padEnd(pkgWidth)}  ${rt.padStart(9)}  ${p.padStart(7)}  ${d.padStart(9)}`;

process.stdout.write(`Conformance against ${corpusDir}\n(now = 2005-08-14T12:00:00+02:00, timezone ${TIMEZONE})\n\n`);
process.stdout.write(`${line('filter', 'package', 'right', '%', 'by design')}\n${'-'.repeat(idWidth + pkgWidth + 35)}\n`);
let sumRight = 0, sumTotal = 0, sumDesign = 0;
const below = [];
for (const r of rows) {
  if (r.total === 0) {
    process.stdout.write(`${line(r.id, r.pkg, r.files.length === 0 ? 'no sample' : '0/0', '—')}\n`);
    continue;
  }
  sumRight += r.right;
  sumTotal += r.total;
  sumDesign += r.byDesign;
  const p = (100 * r.right) / r.total;
  if (p < FILTER_MIN) below.push(r.id);
  process.stdout.write(`${line(r.id, r.pkg, `${r.right}/${r.total}`, pct(r.right, r.total), r.byDesign ? String(r.byDesign) : '')}${p < FILTER_MIN ? `  < ${FILTER_MIN} %` : ''}\n`);
}
process.stdout.write(`${'-'.repeat(idWidth + pkgWidth + 35)}\n${line('total', '', `${sumRight}/${sumTotal}`, pct(sumRight, sumTotal), sumDesign ? String(sumDesign) : '')}\n`);
if (deviations.length > 0) {
  process.stdout.write(`\n${deviations.length} annotated line(s) left out by design (--strict counts them):\n`);
  const reasons = new Map();
  for (const d of deviations) reasons.set(`${d.id}: ${d.reason}`, (reasons.get(`${d.id}: ${d.reason}`) ?? 0) + 1);
  for (const [text, n] of reasons) process.stdout.write(`  ${n} × ${text}\n`);
}

const unread = corpusFiles.filter((f) => !fileFilter.has(f));
if (unread.length > 0 && only.size === 0) process.stdout.write(`\nSample files without a filter: ${unread.join(', ')}\n`);
for (const p of problems) process.stdout.write(`\nwarning: ${p}\n`);
for (const r of rows) for (const n of r.notes ?? []) process.stdout.write(`\nnote (${r.id}): ${n}\n`);

if (verbose && wrong.length > 0) {
  process.stdout.write('\nMismatches:\n');
  for (const w of wrong) {
    const run = Object.keys(w.run).length > 0 ? ` ${JSON.stringify(w.run)}` : '';
    process.stdout.write(`\n[${w.id}] ${w.file.slice(corpusDir.length + 1)}:${w.lineNo}${run}\n  ${w.problems.join('; ')}\n  ${w.text}\n`);
  }
}

const totalPct = sumTotal === 0 ? 0 : (100 * sumRight) / sumTotal;
const failed = totalPct < TOTAL_MIN || below.length > 0;
if (failed) {
  const why = [];
  if (totalPct < TOTAL_MIN) why.push(`total ${totalPct.toFixed(1)} % < ${TOTAL_MIN} %`);
  if (below.length > 0) why.push(`below ${FILTER_MIN} %: ${below.join(', ')}`);
  process.stdout.write(`\nFAIL: ${why.join('; ')}\n`);
} else {
  process.stdout.write('\nOK\n');
}
process.exit(failed ? 1 : 0);
