/**
 * Does a journald jail watch anything? journalctl happily follows a journal that does not exist (no
 * journald, an empty or mistyped `directory`, `files` that match nothing) and prints nothing, forever.
 * So before reading, look: are there journal files where the options point, is journald running
 * (for the local journal), and did any entry match the jail's matches within the last findtime?
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import type { PluginApi, SourceCheckContext, SourceWatch } from '@f2b/core';
import { resolveOptions, type JournaldSourceOptions, type OptionsApi } from './options.js';

/** Where journald keeps the local journal (volatile, persistent). */
export const JOURNAL_DIRS = ['/run/log/journal', '/var/log/journal'];
/** journald's socket: present while journald runs. */
export const JOURNALD_SOCKET = '/run/systemd/journal/socket';
const QUERY_TIMEOUT_MS = 10_000;

export interface JournalCheckEnv {
  journalDirs?: readonly string[];
  journaldSocket?: string;
}

/** `api`: the plugin's — its errors for the options, its clock for "the last findtime". */
export async function checkJournal(
  raw: JournaldSourceOptions,
  ctx: SourceCheckContext,
  api: OptionsApi & Pick<PluginApi, 'clock'>,
  env: JournalCheckEnv = {},
): Promise<SourceWatch> {
  const opts = resolveOptions(raw, ctx.jail, api);
  const where = journalFiles(raw, env);
  if (where.count === 0) return { watching: false, reason: where.none };
  const warnings: string[] = [];
  const socket = env.journaldSocket ?? JOURNALD_SOCKET;
  if (raw.directory === undefined && raw.files === undefined && !existsSync(socket)) {
    warnings.push(`journald is not running (no ${socket}): old entries can be read, but no new ones will arrive`);
  }
  const since = Math.floor(api.clock.now() / 1000) - ctx.findtime;
  // The newest matching entry since then (journalctl's own matching: the same options and matches).
  const r = await query(opts.journalctlPath, [
    ...opts.baseArgs,
    `--since=@${since}`,
    '--lines=1',
    '--quiet',
    ...(opts.matches.length > 0 ? ['--', ...opts.matches] : []),
  ]);
  if (r.error) warnings.push(`could not query the journal (${r.error})`);
  else if (r.stdout.trim() === '') {
    warnings.push(`no journal entry ${opts.matches.length > 0 ? `matched ${opts.matches.join(' ')} ` : ''}in the last ${ctx.findtime} s (${where.label})`);
  }
  return warnings.length > 0 ? { watching: true, reason: warnings.join('; ') } : { watching: true };
}

/** How many journal files the options point at, and how to say that there are none. */
function journalFiles(raw: JournaldSourceOptions, env: JournalCheckEnv): { count: number; none: string; label: string } {
  if (raw.files !== undefined) {
    // journalctl expands the globs itself; a file that exists is enough to read something.
    const count = raw.files.filter((f) => /[*?[]/.test(f) || existsSync(f)).length;
    return { count, none: `none of the journal files ${raw.files.join(', ')} exists`, label: raw.files.join(', ') };
  }
  if (raw.directory !== undefined) {
    const count = countJournals(raw.directory, 1);
    return {
      count,
      label: raw.directory,
      none: existsSync(raw.directory)
        ? `the directory ${raw.directory} holds no journal files (*.journal)`
        : `the journal directory ${raw.directory} does not exist`,
    };
  }
  const dirs = env.journalDirs ?? JOURNAL_DIRS;
  const count = dirs.reduce((n, d) => n + countJournals(d, 1), 0);
  return {
    count,
    label: 'the system journal',
    none: `there is no journal to read: no journal files in ${dirs.join(' or ')} (is systemd-journald running, and may f2b read its files?)`,
  };
}

/** Journal files in `dir` and up to `depth` levels below (journald's `<machine-id>/` subdirectories). */
function countJournals(dir: string, depth: number): number {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  let n = 0;
  for (const e of entries) {
    if (e.isFile() && /\.journal~?$/.test(e.name)) n++;
    else if (e.isDirectory() && depth > 0) n += countJournals(join(dir, e.name), depth - 1);
  }
  return n;
}

function query(cmd: string, args: string[]): Promise<{ stdout: string; error?: string }> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let child;
    try {
      child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      resolve({ stdout: '', error: err instanceof Error ? err.message : String(err) });
      return;
    }
    // A real-time guard against a hung journalctl, not a time the jail reasons about: Node's timer.
    // eslint-disable-next-line no-restricted-globals -- a kill guard on a real child process
    const timer = setTimeout(() => child.kill('SIGKILL'), QUERY_TIMEOUT_MS);
    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length < 1 << 20) stdout += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString('utf8');
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ stdout: '', error: `${cmd}: ${err.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // journalctl exits 1 with "-- No entries --" suppressed by --quiet on some versions: empty is the answer.
      if (code === 0 || (code === 1 && stdout === '' && stderr.trim() === '')) resolve({ stdout });
      else resolve({ stdout, error: `${cmd} exited with ${code ?? signal}${stderr.trim() ? `: ${JSON.stringify(stderr.trim().split('\n')[0])}` : ''}` });
    });
  });
}
