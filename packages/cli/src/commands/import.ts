/**
 * `f2b import fail2ban [DIR]`: read fail2ban's jail configuration (default /etc/fail2ban) and show
 * the f2b config it amounts to — a dry summary by default, the YAML with `--print`, the file with
 * `--write FILE` (never over an existing file without `--force`). Exit 0: everything enabled was
 * imported; 1: the config was made but some settings have no equivalent (listed with file:line and
 * a fix); 2: bad usage or an unreadable directory.
 */
import type { Command } from 'commander';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { errors, escapeLines, jsonText } from '@f2b/core';
import { assertImportable, importFail2ban } from '../import/fail2ban/importer.js';
import { renderReport, renderYaml } from '../import/fail2ban/render.js';
import { KnownIds } from '../known-ids.js';
import { EXIT_FAILED, EXIT_OK } from '../errors.js';

type Run = <A extends unknown[]>(fn: (...args: A) => Promise<number>) => (...args: A) => Promise<void>;

export const FAIL2BAN_DIR = '/etc/fail2ban';

export interface ImportOptions {
  write?: string;
  force?: boolean;
  print?: boolean;
  json?: boolean;
}

export function registerImportCommand(program: Command, run: Run): void {
  const imp = program.command('import').description("Import another tool's configuration as an f2b config.");
  imp.exitOverride();
  imp
    .command('fail2ban')
    .exitOverride()
    .description(
      "Read fail2ban's jail.conf, jail.d/*.conf, jail.local, jail.d/*.local (as fail2ban does) and show the f2b config they amount to, with what has no equivalent.",
    )
    .argument('[dir]', "fail2ban's configuration directory", FAIL2BAN_DIR)
    .option('--write <file>', 'write the config (YAML) to this file; refuses an existing file without --force')
    .option('--force', 'with --write: replace an existing file')
    .option('--print', 'print the config (YAML) on stdout and the report on stderr')
    .option('--json', 'machine-readable: { config, jails, notes, files }')
    .addHelpText(
      'after',
      '\nExit codes: 0 everything enabled imported; 1 imported, but some settings have no f2b equivalent (listed); 2 bad usage or unreadable configuration.\nSee docs/migration.md.',
    )
    .action(run((dir: string, o: ImportOptions) => importCommand(dir, o)));
}

export async function importCommand(dir: string, opts: ImportOptions): Promise<number> {
  if (opts.force && !opts.write) throw errors.F2B_ERR_USAGE('--force only applies to --write.', 'Add --write FILE, or leave --force out.');
  assertImportable(dir);
  const result = importFail2ban(dir, await KnownIds.discover());
  const yaml = renderYaml(result);
  const code = result.notes.some((n) => n.level === 'unmapped') ? EXIT_FAILED : EXIT_OK;
  if (opts.json) {
    process.stdout.write(
      jsonText({
        dir: result.dir,
        files: result.files,
        config: result.config,
        notEnabled: result.notEnabled,
        jails: result.jails.map((j) => ({ name: j.name, section: j.section, enabled: j.enabled })),
        notes: result.notes,
        ...(opts.write ? { written: resolve(opts.write) } : {}),
      }) + '\n',
    );
    if (opts.write) writeConfig(resolve(opts.write), yaml, opts.force === true);
    return code;
  }
  if (opts.write) {
    const file = resolve(opts.write);
    writeConfig(file, yaml, opts.force === true);
    process.stdout.write(escapeLines(renderReport(result, file)));
    return code;
  }
  if (opts.print) {
    // The YAML is made safe by its writer (quoted values, comments without control characters).
    process.stdout.write(yaml);
    process.stderr.write(escapeLines(renderReport(result)));
    return code;
  }
  process.stdout.write(escapeLines(renderReport(result)));
  return code;
}

/**
 * Create `file` with the config, or refuse when it exists (checked by the open itself, so nothing
 * can appear in between); with `force`, replace it atomically (a temporary file renamed over it).
 */
function writeConfig(file: string, text: string, force: boolean): void {
  const target = force ? join(dirname(file), `.${basename(file)}.${process.pid}.tmp`) : file;
  let fd: number;
  try {
    fd = openSync(target, 'wx', 0o644);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && !force) throw errors.F2B_ERR_FILE_EXISTS(file);
    throw errors.F2B_ERR_FILE(target, code, err, 'written');
  }
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (force) {
    try {
      renameSync(target, file);
    } catch (err) {
      rmSync(target, { force: true });
      throw errors.F2B_ERR_FILE(file, (err as NodeJS.ErrnoException).code, err, 'written');
    }
  }
}
