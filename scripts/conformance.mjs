#!/usr/bin/env node
/**
 * Conformance of our filters: against our own annotated fixtures, and against fail2ban's annotated
 * sample logs, reported separately.
 *
 *   node scripts/conformance.mjs [<corpus-dir>] [--verbose] [--strict] [--filter ID]... [--core DIR]
 *
 * Loads every filter package of the workspace (`packages/filter-*`, built: dist/index.js) and every
 * installed one (packages in `node_modules`, scoped too, whose manifest says `"f2b": {"kind":
 * "filter"}`), registers them into one Core, then checks two sets of annotated logs:
 *
 * 1. **Our fixtures**: every `*.log` under a workspace filter package's `test/fixtures/` (subfolders
 *    too) whose name is one of the package's filter ids, or starts with it and `-` or `.`
 *    (`postfix.log`, `postfix-lab-3.7.log`; the longest id wins), checked with the package's settings:
 *    `test/fixtures/fixtures.json` (`{"now": ISO, "timezone": zone}`) or, without one, the standard
 *    test settings of `testFilterPackage` (now = 2024-12-31T12:00:00Z, UTC). These must be 100 %
 *    right: they are what our filters are specified to do.
 * 2. **fail2ban's corpus** in <corpus-dir> (default ../shared/corpus/fail2ban-logs beside the
 *    checkout; skipped with a note when that default is missing): for every filter id with a sample
 *    file (`<id>`, and `<id>-journal`: `sshd-journal` is checked with `sshd`), with fail2ban's test
 *    settings: now = 2005-08-14 12:00 CEST, dates without zone in Europe/Berlin. Target: 99 %.
 *
 * Prints one table per set (right/total, %, per filter id) with a total; `--verbose` prints every
 * wrong line. Exits 1 when any of our fixture lines is wrong, when the corpus total is below 99 % or a
 * filter with annotated corpus lines is below 95 %; 2 on bad usage.
 *
 * A few corpus lines contradict what our filters are specified to do (DEVIATIONS below, each with its
 * reason). They are listed, shown in their own column and left out of the corpus percentages;
 * `--strict` counts them as wrong like any other line (it changes nothing for our fixtures, which
 * have no deviations).
 * `--core DIR` checks with another build of @f2b/core (a package directory with dist/), e.g. a patched one.
 * Plain Node ESM without dependencies beyond the workspace.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const TOTAL_MIN = 99;
const FILTER_MIN = 95;
const OURS_MIN = 100;
const NOW = Date.parse('2005-08-14T12:00:00+02:00');
const TIMEZONE = 'Europe/Berlin';
/** testFilterPackage's usual settings, for fixture folders without a fixtures.json. */
const FIXTURE_DEFAULTS = { now: '2024-12-31T12:00:00Z', timezone: 'UTC' };

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Sample lines where fail2ban's annotation and our specification disagree on purpose. `contains` is
 * matched against the sample line's text, only in `file`, only for `filter`.
 */
const DEVIATIONS = [
  {
    filter: 'nginx-limit-req',
    file: 'nginx-limit-req',
    contains: ' delaying request, excess: ',
    reason: 'nginx-limit-req counts requests nginx rejected (`limiting requests`), not the `delaying request` warnings of a burst it let through (issue 7)',
  },
  {
    filter: 'sshd',
    file: 'sshd-journal',
    contains: 'ssh2: from 10.10.1.2 port 55555 ssh2',
    reason:
      'sshd: two readings, each naming a different address (text after `ssh2: ` forged, or a user name ending in `ssh2:`); we match neither rather than risk banning the forged one',
  },
  {
    filter: 'sshd',
    file: 'sshd-journal',
    contains: 'ssh1: ruser from 1.2.3.4',
    reason: 'sshd: ambiguous against a forged user name on daemons that log no port; not matched rather than risk banning the forged address',
  },
  {
    filter: 'sshd',
    file: 'sshd',
    contains: 'ssh1: ruser from 1.2.3.4',
    reason: 'sshd: ambiguous against a forged user name on daemons that log no port; not matched rather than risk banning the forged address',
  },
  {
    filter: 'pam-generic',
    file: 'pam-generic',
    contains: 'rhost=192.0.2.2 user=test rhost=192.0.2.152',
    reason:
      'pam-generic: two readings (a forged user= after the address, or a forged ruser= before it, as vsftpd, which sets ruser to the login name, allows); we match neither rather than risk banning the forged one',
  },
  {
    filter: 'dovecot',
    file: 'dovecot',
    contains: '@400000004c91b044077a9e94',
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
let coreDir; // --core DIR: another build of @f2b/core; by default the installed @f2b/core
const only = new Set();
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--verbose' || a === '-v') verbose = true;
  else if (a === '--strict') strict = true;
  else if (a === '--filter') {
    if (!args[i + 1]) usage('--filter needs an id');
    only.add(args[++i]);
  } else if (a === '--core') {
    if (!args[i + 1]) usage('--core needs a directory');
    coreDir = resolve(args[++i]);
  } else if (a === '--help' || a === '-h') usage();
  else if (a.startsWith('-')) usage(`unknown option ${a}`);
  else if (corpusDir === undefined) corpusDir = resolve(a);
  else usage(`unexpected argument ${a}`);
}
// Default: the shared material beside the checkout (`npm run conformance` passes no argument).
const defaultCorpus = join(root, '..', 'shared', 'corpus', 'fail2ban-logs');
if (corpusDir !== undefined && (!existsSync(corpusDir) || !statSync(corpusDir).isDirectory())) usage(`${corpusDir} is not a directory`);
if (corpusDir === undefined && existsSync(defaultCorpus)) corpusDir = defaultCorpus;

let coreModule = '@f2b/core';
let testingModule = '@f2b/core/testing';
if (coreDir !== undefined) {
  const coreEntry = join(coreDir, 'dist', 'index.js');
  const testingEntry = join(coreDir, 'dist', 'testing', 'index.js');
  if (!existsSync(coreEntry) || !existsSync(testingEntry)) usage(`${coreDir} is not built (run: npx tsc -b ${coreDir})`);
  coreModule = pathToFileURL(coreEntry).href;
  testingModule = pathToFileURL(testingEntry).href;
}
const { Core } = await import(coreModule);
const { checkAnnotatedLog } = await import(testingModule);

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
    try {
      real = realpathSync(dir);
    } catch {
      return;
    }
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
const packageDirOf = new Map(); // filter id -> package directory
const problems = [];
for (const dir of discoverPackageDirs()) {
  const manifest = readManifest(dir);
  const entry = join(dir, 'dist', 'index.js');
  if (!existsSync(entry)) {
    problems.push(`${manifest.name}: not built (${entry} is missing); run: npx tsc -b ${dir}`);
    continue;
  }
  try {
    // By name, as f2b loads a plugin (the workspace's packages are linked into node_modules).
    const mod = await import(manifest.name);
    if (typeof mod.default !== 'function') throw new Error('its default export is not a plugin factory');
    const before = new Set(core.listFilters().map((f) => f.def.id));
    core.use(mod.default());
    for (const f of core.listFilters()) {
      if (!before.has(f.def.id)) {
        packageOf.set(f.def.id, manifest.name);
        packageDirOf.set(f.def.id, dir);
      }
    }
  } catch (err) {
    problems.push(`${manifest.name}: could not be loaded: ${err?.message ?? err}`);
  }
}

// ------------------------------------------------------------------------------------------ the check
const filters = core
  .listFilters()
  .map((f) => f.def)
  .sort((a, b) => a.id.localeCompare(b.id));
const ids = new Set(filters.map((d) => d.id));
const selected = filters.filter((d) => only.size === 0 || only.has(d.id));

/** Check annotated files for one filter; deviations apply only to the corpus. */
function checkFiles(def, files, settings, corpus) {
  let right = 0,
    total = 0,
    byDesign = 0;
  const notes = [],
    wrong = [],
    deviations = [];
  for (const file of files) {
    let report;
    try {
      report = checkAnnotatedLog(def, file, settings);
    } catch (err) {
      notes.push(`${file}: ${err?.message ?? err}`);
      continue;
    }
    for (const r of report.results) {
      // The file the line is in (a sample may include another with addFILE).
      const dev = corpus && !strict ? deviationOf(def.id, basename(r.file), r.text) : undefined;
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
  return { id: def.id, pkg: packageOf.get(def.id) ?? '?', files, right, total, byDesign, notes, wrong, deviations };
}

// ---------------------------------------------------------------- 1. our fixtures
function listLogs(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...listLogs(path));
    else if (name.endsWith('.log')) out.push(path);
  }
  return out;
}

/** The filter id a fixture file is for: its name is the id, or the id and `-…`/`.…` (longest id). */
function fixtureFilter(name, pkgIds) {
  const stem = name.slice(0, -'.log'.length);
  let best;
  for (const id of pkgIds) {
    if ((stem === id || stem.startsWith(`${id}-`) || stem.startsWith(`${id}.`)) && (!best || id.length > best.length)) best = id;
  }
  return best;
}

function fixtureSettings(fixturesDir) {
  const file = join(fixturesDir, 'fixtures.json');
  const s = existsSync(file) ? { ...FIXTURE_DEFAULTS, ...JSON.parse(readFileSync(file, 'utf8')) } : FIXTURE_DEFAULTS;
  const now = Date.parse(s.now);
  if (Number.isNaN(now)) usage(`${file}: "now" is not an ISO 8601 date`);
  return { now, timezone: s.timezone };
}

const ours = [];
const workspacePackages = join(root, 'packages');
for (const def of selected) {
  const dir = packageDirOf.get(def.id);
  // Only the workspace's own packages: an installed third-party package's fixtures are its business.
  if (!dir || !realpathSync(dir).startsWith(realpathSync(workspacePackages))) continue;
  const fixturesDir = join(dir, 'test', 'fixtures');
  if (!existsSync(fixturesDir)) {
    ours.push({ id: def.id, pkg: packageOf.get(def.id), files: [], right: 0, total: 0, notes: [], wrong: [] });
    continue;
  }
  const pkgIds = [...packageOf.entries()].filter(([, p]) => p === packageOf.get(def.id)).map(([id]) => id);
  const files = listLogs(fixturesDir).filter((f) => fixtureFilter(basename(f), pkgIds) === def.id);
  ours.push(checkFiles(def, files, fixtureSettings(fixturesDir), false));
}

// ---------------------------------------------------------------- 2. fail2ban's corpus
const corpus = [];
let corpusFiles = [];
const fileFilter = new Map(); // corpus file -> the filter that reads it: `<id>` or `<id>-journal`
if (corpusDir) {
  corpusFiles = readdirSync(corpusDir)
    .filter((f) => statSync(join(corpusDir, f)).isFile())
    .sort();
  for (const file of corpusFiles) {
    if (ids.has(file)) fileFilter.set(file, file);
    else if (file.endsWith('-journal') && ids.has(file.slice(0, -'-journal'.length))) fileFilter.set(file, file.slice(0, -'-journal'.length));
  }
  for (const def of selected) {
    const files = corpusFiles.filter((f) => fileFilter.get(f) === def.id).map((f) => join(corpusDir, f));
    // fail2ban's `attempts` is the count of its own ticket (failures of the session so far), which
    // f2b counts per authentication attempt by design: only our fixtures' `attempts` are compared.
    corpus.push(checkFiles(def, files, { now: NOW, timezone: TIMEZONE, attempts: false }, true));
  }
}

// ------------------------------------------------------------------------------------------ the report
const pct = (r, t) => (t === 0 ? '—' : `${((100 * r) / t).toFixed(1)} %`);
const all = [...ours, ...corpus];
const idWidth = Math.max(6, ...all.map((r) => r.id.length));
const pkgWidth = Math.max(7, ...all.map((r) => r.pkg.length));
const line = (id, pkg, rt, p, d = '') => `${id.padEnd(idWidth)}  ${pkg.padEnd(pkgWidth)}  ${rt.padStart(9)}  ${p.padStart(7)}  ${d.padStart(9)}`;
const rule = '-'.repeat(idWidth + pkgWidth + 35);
const w = (text) => process.stdout.write(text);

/** One table; returns its totals and the ids below `min`. */
function table(rows, min, noFiles) {
  w(`${line('filter', 'package', 'right', '%', 'by design')}\n${rule}\n`);
  let right = 0,
    total = 0,
    design = 0;
  const below = [];
  for (const r of rows) {
    if (r.total === 0) {
      w(`${line(r.id, r.pkg, r.files.length === 0 ? noFiles : '0/0', '—')}\n`);
      continue;
    }
    right += r.right;
    total += r.total;
    design += r.byDesign ?? 0;
    const p = (100 * r.right) / r.total;
    if (p < min) below.push(r.id);
    w(`${line(r.id, r.pkg, `${r.right}/${r.total}`, pct(r.right, r.total), r.byDesign ? String(r.byDesign) : '')}${p < min ? `  < ${min} %` : ''}\n`);
  }
  w(`${rule}\n${line('total', '', `${right}/${total}`, pct(right, total), design ? String(design) : '')}\n`);
  return { right, total, below };
}

w(`1. Our fixtures (packages/filter-*/test/fixtures; must be ${OURS_MIN} %)\n\n`);
const oursSum = table(ours, OURS_MIN, 'no fixture');

let corpusSum = { right: 0, total: 0, below: [] };
w(`\n2. fail2ban's corpus (target ${TOTAL_MIN} %, each filter ≥ ${FILTER_MIN} %)\n`);
if (corpusDir) {
  w(`${corpusDir}\n(now = 2005-08-14T12:00:00+02:00, timezone ${TIMEZONE})\n\n`);
  corpusSum = table(corpus, FILTER_MIN, 'no sample');
  const deviations = corpus.flatMap((r) => r.deviations);
  if (deviations.length > 0) {
    w(`\n${deviations.length} annotated line(s) left out by design (--strict counts them):\n`);
    const reasons = new Map();
    for (const d of deviations) reasons.set(`${d.id}: ${d.reason}`, (reasons.get(`${d.id}: ${d.reason}`) ?? 0) + 1);
    for (const [text, n] of reasons) w(`  ${n} × ${text}\n`);
  }
  const unread = corpusFiles.filter((f) => !fileFilter.has(f));
  if (unread.length > 0 && only.size === 0) w(`\nSample files without a filter: ${unread.join(', ')}\n`);
} else {
  w(`(skipped: ${defaultCorpus} not found; give the corpus directory as the first argument)\n`);
}
for (const p of problems) w(`\nwarning: ${p}\n`);
for (const r of all) for (const n of r.notes ?? []) w(`\nnote (${r.id}): ${n}\n`);

if (verbose) {
  for (const [title, rows, base] of [
    ['our fixtures', ours, root],
    ["fail2ban's corpus", corpus, corpusDir ?? ''],
  ]) {
    const wrong = rows.flatMap((r) => r.wrong);
    if (wrong.length === 0) continue;
    w(`\nMismatches in ${title}:\n`);
    for (const m of wrong) {
      const run = Object.keys(m.run).length > 0 ? ` ${JSON.stringify(m.run)}` : '';
      w(`\n[${m.id}] ${m.file.startsWith(base) ? m.file.slice(base.length + 1) : m.file}:${m.lineNo}${run}\n  ${m.problems.join('; ')}\n  ${m.text}\n`);
    }
  }
}

const why = [];
if (oursSum.total > 0 && oursSum.right < oursSum.total)
  why.push(`our fixtures ${pct(oursSum.right, oursSum.total)} < ${OURS_MIN} % (${oursSum.below.join(', ')})`);
const corpusPct = corpusSum.total === 0 ? 100 : (100 * corpusSum.right) / corpusSum.total;
if (corpusDir && corpusPct < TOTAL_MIN) why.push(`corpus total ${corpusPct.toFixed(1)} % < ${TOTAL_MIN} %`);
if (corpusSum.below.length > 0) why.push(`corpus below ${FILTER_MIN} %: ${corpusSum.below.join(', ')}`);
w(why.length > 0 ? `\nFAIL: ${why.join('; ')}\n` : '\nOK\n');
process.exit(why.length > 0 ? 1 : 0);
