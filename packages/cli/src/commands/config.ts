/**
 * `f2b config print` and `f2b config check`: the config as f2b composes it (extends, hosts, env
 * references), with the file or package and key path each value came from; and a check that loads
 * everything `f2b start` would load, without starting anything.
 */
import type { Command } from 'commander';
import { dirname, relative, sep } from 'node:path';
import {
  Daemon,
  JAIL_DEFAULTS,
  defaultConfig,
  errors,
  formatDuration,
  escapeLines,
  isF2bError,
  relocateError,
  type F2bError,
  jsonText,
  loadConfig,
  originLabel,
  resolveConfig,
  type ConfigChain,
  type F2bConfig,
  type Jail,
  type ResolvedConfig,
  type ValueOrigin,
} from '@f2b/core';
import { pluginSearchStarts } from '../plugins.js';
import { refuseFail2banConfig } from '../foreign-config.js';
import { EXIT_OK, reportCliError } from '../errors.js';

type Run = <A extends unknown[]>(fn: (...args: A) => Promise<number>) => (...args: A) => Promise<void>;

export interface ConfigOptions {
  config?: string;
  host?: string;
  json?: boolean;
}

export function registerConfigCommands(program: Command, run: Run): void {
  const config = program.command('config').description('Show or check the config as f2b composes it (extends, hosts, ${env:…}).');
  // main() makes the top-level commands throw instead of exiting; these are one level deeper.
  config.exitOverride();
  config
    .command('print')
    .exitOverride()
    .description('Print the composed config and where each value came from (file or package, key path).')
    .option('-c, --config <file>', 'config file (default: searched from the current directory)')
    .option('--host <name>', 'apply the "hosts" blocks for this host name instead of this machine\'s')
    .option('--json', 'machine-readable: { file, host, files, config, origins, jails }')
    .action(run((o: ConfigOptions) => printConfig(o)));
  config
    .command('check')
    .exitOverride()
    .description('Validate the config and load every plugin it needs, without starting (exit 0 valid, 2 invalid).')
    .option('-c, --config <file>', 'config file (default: searched from the current directory)')
    .option('--host <name>', 'check as on this host name')
    .option('--json', 'machine-readable result')
    .action(run((o: ConfigOptions) => checkConfig(o)));
}

interface Loaded {
  input: F2bConfig;
  display: F2bConfig;
  file: string | undefined;
  chain: ConfigChain | null;
  host: string | undefined;
}

async function load(opts: ConfigOptions): Promise<Loaded> {
  refuseFail2banConfig(opts.config);
  const found = await loadConfig(opts.config, process.cwd(), opts.host ? { host: opts.host } : {});
  if (found) return { input: found.config, display: found.chain.display, file: found.file, chain: found.chain, host: found.chain.host };
  const input = defaultConfig();
  return { input, display: input, file: undefined, chain: null, host: opts.host };
}

export async function printConfig(opts: ConfigOptions): Promise<number> {
  const loaded = await load(opts);
  let resolved: ResolvedConfig | null = null;
  let problem: unknown = null;
  try {
    resolved = resolveConfig(loaded.input, loaded.file ?? '(embedded default)');
  } catch (err) {
    problem = err;
  }
  const jails = (resolved?.jails ?? []).map((j) => ({
    name: j.name,
    enabled: j.enabled,
    ...(j.disabledBecause ? { disabledBecause: j.disabledBecause } : {}),
    ...chosenSource(j),
  }));
  if (opts.json) {
    const origins: Record<string, ValueOrigin> = {};
    for (const e of loaded.chain?.origins.entries() ?? []) origins[e.path] = e.origin;
    process.stdout.write(
      jsonText({
        file: loaded.file ?? null,
        host: loaded.host ?? null,
        files: loaded.chain?.files ?? [],
        config: loaded.display,
        origins,
        jails,
        valid: problem === null,
        effectiveDefaults: effectiveDefaultValues(loaded.display),
      }) + '\n',
    );
  } else {
    process.stdout.write(escapeLines(renderText(loaded, jails) + chosenSources(jails) + effectiveDefaults(loaded.display)));
  }
  return problem === null ? EXIT_OK : reportCliError(problem);
}

export async function checkConfig(opts: ConfigOptions): Promise<number> {
  const loaded = await load(opts);
  const config = resolveConfig(loaded.input, loaded.file ?? '(embedded default)');
  // Load what `f2b start` would: plugins, filters (modes, options), sources and actions (options).
  const daemon = new Daemon({ searchFrom: pluginSearchStarts(loaded.file), logLevel: 'silent' });
  let jails: Jail[];
  try {
    jails = await daemon.load(config);
    await daemon.checkState(config); // the state path: usable, writable, not a directory
    await checkWatching(jails);
  } catch (err) {
    // A plugin problem at `jails.x.actions.0`: say which file set that value.
    const origin = isF2bError(err) && err.path && !err.file ? loaded.chain?.origins.explain(err.path) : undefined;
    if (!origin) throw err;
    throw relocateError(err as F2bError, { file: originLabel(origin), path: origin.path });
  }
  const on = config.jails.filter((j) => j.enabled);
  const off = config.jails.filter((j) => !j.enabled);
  const notes = (name: string) => jails.find((j) => j.name === name)?.watchProblems() ?? [];
  if (opts.json) {
    process.stdout.write(
      jsonText({
        valid: true,
        file: loaded.file ?? null,
        host: loaded.host ?? null,
        jails: config.jails.map((j) => ({
          name: j.name,
          enabled: j.enabled,
          ...(j.disabledBecause ? { disabledBecause: j.disabledBecause } : {}),
          ...chosenSource(j),
          ...(notes(j.name).length > 0 ? { warnings: notes(j.name) } : {}),
        })),
      }) + '\n',
    );
    return EXIT_OK;
  }
  const where = loaded.file ?? 'the embedded default config';
  process.stdout.write(escapeLines(`Config OK: ${where}${loaded.host ? ` (host ${loaded.host})` : ''}\n`));
  process.stdout.write(escapeLines(`  ${on.length} jail(s) on${on.length ? `: ${on.map((j) => j.name).join(', ')}` : ''}\n`));
  for (const j of on) if (j.sourceReason) process.stdout.write(escapeLines(`  source of ${j.name}: ${sourceText(j.sources[0]!)} (${j.sourceReason})\n`));
  for (const j of on) for (const n of notes(j.name)) process.stdout.write(escapeLines(`  warning: ${j.name}: ${n}\n`));
  for (const j of off) process.stdout.write(escapeLines(`  off: ${j.name}${j.disabledBecause ? ` (${j.disabledBecause})` : ''}\n`));
  return EXIT_OK;
}

type JailSource = ResolvedConfig['jails'][number]['sources'][number];

/** The source f2b chose for a jail that names none, and why (`config print --json`, `config check --json`). */
function chosenSource(j: ResolvedConfig['jails'][number]): { source?: { type: string; options: Record<string, unknown>; reason: string } } {
  return j.sourceReason && j.sources[0] ? { source: { ...j.sources[0], reason: j.sourceReason } } : {};
}

/** A file source as its paths; another as its type (the reason names its options: the journal's matches). */
function sourceText(s: JailSource): string {
  const paths = s.options.paths;
  return s.type === 'file' && Array.isArray(paths) ? paths.join(', ') : `{ type: ${s.type} }`;
}

/** The `# source` lines of `config print` for jails that name none. */
function chosenSources(jails: { name: string; source?: JailSource & { reason: string } }[]): string {
  const rows = jails.filter((j) => j.source).map((j) => `#   ${j.name}: ${sourceText(j.source!)}  (${j.source!.reason})`);
  return rows.length ? ['# sources of jails that name none (from their filter package, for this machine):', ...rows].join('\n') + '\n' : '';
}

/**
 * A jail whose sources watch nothing (no file matches its paths, no journal) would protect nothing:
 * an error naming the source, unless the jail may wait for its log (`waitForLog`, `enabledIf`).
 */
async function checkWatching(jails: readonly Jail[]): Promise<void> {
  for (const jail of jails) {
    const watch = await jail.checkSources();
    if (jail.watching || jail.config.waitForLog) continue;
    const first = watch.findIndex((w) => !w.watching);
    throw errors.F2B_ERR_JAIL_WATCHES_NOTHING(jail.name, jail.watchProblems(), `jails.${jail.name}.sources.${Math.max(0, first)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Text rendering: YAML (values as JSON, which YAML reads too) with a `# from` comment per leaf.
// ---------------------------------------------------------------------------------------------

function renderText(loaded: Loaded, jails: { name: string; enabled: boolean; disabledBecause?: string }[]): string {
  const head: string[] = [];
  const baseDir = loaded.file ? dirname(loaded.file) : process.cwd();
  const label = (o: { file: string; package?: string }) => o.package ?? shortPath(o.file, baseDir);
  if (loaded.chain) {
    head.push(`# f2b config: ${loaded.chain.file} (host ${loaded.chain.host})`);
    head.push('# files, lowest precedence first:');
    for (const f of loaded.chain.files) {
      head.push(`#   ${f.package ? `${f.package} (${f.file})` : f.file}${f.hosts.length ? `  + hosts: ${f.hosts.join(', ')}` : ''}`);
    }
  } else {
    head.push('# f2b config: no config file found; this is the embedded default');
  }
  const rows: { text: string; note?: string }[] = [];
  const off = new Map(jails.filter((j) => !j.enabled).map((j) => [j.name, j.disabledBecause ?? 'enabled: false']));
  const noteFor = (segments: string[]): string | undefined => {
    if (!loaded.chain) return '(embedded default)';
    const o = loaded.chain.origins.get(segments);
    if (!o) return undefined;
    return `from ${label(o)}: ${o.path}${o.env ? ` (env ${o.env.join(', ')})` : ''}`;
  };
  const walk = (value: unknown, segments: string[], indent: string) => {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const path = [...segments, k];
      const key = `${indent}${yamlKey(k)}:`;
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) {
        const isJail = segments.length === 1 && segments[0] === 'jails';
        rows.push({ text: key, note: isJail && off.has(k) ? `off: ${off.get(k)}` : undefined });
        walk(v, path, indent + '  ');
      } else {
        rows.push({ text: `${key} ${JSON.stringify(v)}`, note: noteFor(path) });
      }
    }
  };
  walk(loaded.display, [], '');
  const width = Math.min(60, Math.max(...rows.map((r) => r.text.length)));
  const body = rows.map((r) => (r.note ? `${r.text.padEnd(width)}  # ${r.note}` : r.text));
  return [...head, ...body].join('\n') + '\n';
}

/**
 * What every jail gets where neither it nor `defaults` says otherwise: f2b's own defaults, and the
 * config's `defaults` over them, with where each came from. Given the display form of the config, so
 * `${env:…}` references stay references (a secret is never printed).
 */
function effectiveDefaultValues(input: F2bConfig): Record<string, { value: unknown; from: 'defaults' | 'f2b' }> {
  const out: Record<string, { value: unknown; from: 'defaults' | 'f2b' }> = {};
  const set = (input.defaults ?? {}) as Record<string, unknown>;
  const builtin: Record<string, unknown> = {
    ...JAIL_DEFAULTS,
    findtime: formatDuration(JAIL_DEFAULTS.findtime),
    bantime: formatDuration(JAIL_DEFAULTS.bantime),
    actionTimeout: formatDuration(Number(JAIL_DEFAULTS.actionTimeout)),
    tracker: 'default',
  };
  for (const [k, v] of Object.entries(builtin)) out[k] = k in set ? { value: set[k], from: 'defaults' } : { value: v, from: 'f2b' };
  for (const [k, v] of Object.entries(set)) if (!(k in out)) out[k] = { value: v, from: 'defaults' };
  return out;
}

function effectiveDefaults(input: F2bConfig): string {
  const rows = Object.entries(effectiveDefaultValues(input)).map(
    ([k, e]) => `#   ${k}: ${JSON.stringify(e.value)}${e.from === 'f2b' ? "  (f2b's default)" : '  (defaults)'}`,
  );
  return ["# effective defaults of every jail (a jail's own value wins):", ...rows].join('\n') + '\n';
}

function yamlKey(k: string): string {
  return /^[A-Za-z0-9_][A-Za-z0-9_./-]*$/.test(k) ? k : JSON.stringify(k);
}

function shortPath(file: string, baseDir: string): string {
  const rel = relative(baseDir, file);
  return rel && !rel.startsWith('..') && !rel.startsWith(sep) ? rel : file;
}
