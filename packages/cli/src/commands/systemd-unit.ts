/**
 * `f2b systemd-unit`: the shipped unit (packaging/f2b.service) with `ExecStart=` naming this
 * installation's node and f2b by absolute path (and `--config` when given), ready for
 * `/etc/systemd/system/f2b.service`. The unit runs as root, so it also says, on stderr, when any of
 * those files or a directory above them could be changed by another user: root would then run code
 * that user wrote.
 */
import type { Command } from 'commander';
import { lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errors, escapeControls } from '@f2b/core';
import { EXIT_OK } from '../errors.js';
import type { Run } from '../program-base.js';

const UNIT_FILE = fileURLToPath(new URL('../../packaging/f2b.service', import.meta.url));
const BIN_FILE = fileURLToPath(new URL('../../bin/f2b.js', import.meta.url));

export interface SystemdUnitOptions {
  config?: string;
}

export function registerSystemdUnitCommand(program: Command, run: Run): void {
  program
    .command('systemd-unit')
    .description("Print the systemd unit for this installation (node's and f2b's absolute paths); install it with > /etc/systemd/system/f2b.service.")
    .option('-c, --config <file>', 'the config file the service starts with (default: found as `f2b start` finds it)')
    .action(run((o: SystemdUnitOptions) => systemdUnit(o)));
}

export async function systemdUnit(opts: SystemdUnitOptions): Promise<number> {
  const node = realpathSync(process.execPath);
  const bin = realpathSync(BIN_FILE);
  const args = [node, bin, 'start', '--foreground'];
  if (opts.config !== undefined) {
    const config = resolve(opts.config);
    if (!statOrNull(config)?.isFile()) throw errors.F2B_ERR_FILE(config, 'ENOENT');
    args.push('--config', config);
  }
  process.stdout.write(unitFor(readFileSync(UNIT_FILE, 'utf8'), args));
  for (const warning of writableByOthers([node, bin, ...(opts.config !== undefined ? [args.at(-1)!] : [])]))
    process.stderr.write(`f2b: warning: ${escapeControls(warning)}\n`);
  return EXIT_OK;
}

/** The unit text with its `ExecStart=` line (and the comment above it) replaced by `args`. */
export function unitFor(unit: string, args: readonly string[]): string {
  const lines = unit.split('\n');
  const at = lines.findIndex((l) => l.startsWith('ExecStart='));
  if (at < 0) throw new Error('packaging/f2b.service has no ExecStart= line');
  let from = at;
  while (from > 0 && lines[from - 1]!.startsWith('#')) from--;
  lines.splice(
    from,
    at - from + 1,
    '# Written by `f2b systemd-unit` for this installation: node and f2b by absolute path.',
    `ExecStart=${args.map(execArgument).join(' ')}`,
  );
  return lines.join('\n');
}

/**
 * One argument of `ExecStart=`, quoted as systemd reads it: `%` is a specifier and `$` a variable
 * to systemd, so both are doubled; quotes and backslashes are escaped. A control character (a
 * newline would end the line and start a new directive) is refused.
 */
export function execArgument(arg: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(arg))
    throw errors.F2B_ERR_USAGE(
      `The path ${escapeControls(JSON.stringify(arg))} contains a control character, which a systemd unit cannot carry.`,
      'Install node and f2b under a path without control characters.',
    );
  const escaped = arg
    .replace(/[\\"]/g, (c) => `\\${c}`)
    .replace(/%/g, '%%')
    .replace(/\$/g, '$$$$');
  return /^[A-Za-z0-9_@+=:,./-]+$/.test(arg) ? escaped : `"${escaped}"`;
}

/**
 * Each file that another user than root could replace: the file itself or any directory on the
 * way from `/` is not root's, or is writable by its group or by everyone (a sticky `/tmp`-like
 * directory included: its other users may not rename our file, but may have put it there).
 */
export function writableByOthers(files: readonly string[]): string[] {
  const out: string[] = [];
  for (const file of files) {
    for (let p = file; ; p = dirname(p)) {
      const st = lstatOrNull(p);
      if (st && (st.uid !== 0 || (st.mode & 0o022) !== 0)) {
        const who = st.uid !== 0 ? `is owned by uid ${st.uid}` : `is writable by ${st.mode & 0o002 ? 'every user' : 'its group'}`;
        out.push(
          `${p} ${who}: the unit runs ${file} as root, so that user could run code as root. Install node and f2b where only root can write (e.g. npm i -g as root under /usr/local), then run f2b systemd-unit again.`,
        );
        break;
      }
      if (p === dirname(p)) break;
    }
  }
  return out;
}

function statOrNull(p: string) {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}

function lstatOrNull(p: string) {
  try {
    return lstatSync(p);
  } catch {
    return null;
  }
}
