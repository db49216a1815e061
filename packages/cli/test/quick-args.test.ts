/**
 * The client commands' quick path (src/client/quick-args.ts) against commander: for generated
 * command lines — the usual ones, and ones full of what the quick path must leave alone (help, `--`,
 * unknown and misspelt options, missing values, values that look like options, extra arguments) —
 * whatever the quick path reads is exactly what the commander program hands the command's action,
 * and what it declines commander reads or rejects on its own. The usual lines must be read quickly.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { Command, CommanderError } from 'commander';
import { quickClientArgs } from '../src/client/quick-args.js';
import { registerControlCommands } from '../src/commands/control.js';
import { CLIENT_COMMANDS } from '../src/client/commands.js';

interface Parsed {
  command: string;
  args: unknown[];
  options: Record<string, unknown>;
}

/** What the commander program hands the action for `argv`, or 'error' (usage error, help). */
function commanderReads(argv: string[]): Parsed | 'error' {
  const program = new Command('f2b').exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  let got: Parsed | null = null;
  registerControlCommands(program, (() =>
    (...received: unknown[]) => {
      const cmd = received[received.length - 1] as Command;
      got = { command: cmd.name(), args: received.slice(0, -2), options: { ...(received[received.length - 2] as object) } };
      return Promise.resolve();
    }) as never);
  for (const c of program.commands) c.exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return 'error';
    throw err;
  }
  return got ?? 'error';
}

const TOKENS = [
  ...CLIENT_COMMANDS,
  'sshd',
  '192.0.2.7',
  '198.51.100.0/24',
  'web app',
  '',
  '--json',
  '--all',
  '--socket',
  '--socket=/run/x.sock',
  '--socket=',
  '/tmp/f2b.sock',
  '-c',
  '--config',
  '--config=/etc/f2b/f2b.yaml',
  '-c/etc/f2b.yaml',
  '--jail',
  '--jail=sshd',
  '--no-wait',
  '--wait',
  '--json=1',
  '--help',
  '-h',
  '-V',
  '--',
  '-',
  '--bogus',
  '-x',
];

describe('quickClientArgs', () => {
  it('reads what commander reads, and leaves the rest to it', () => {
    const argv = fc.tuple(fc.constantFrom(...CLIENT_COMMANDS), fc.array(fc.constantFrom(...TOKENS), { maxLength: 6 }));
    fc.assert(
      fc.property(argv, ([command, rest]) => {
        const line = [command, ...rest];
        const quick = quickClientArgs(line);
        if (quick === null) return;
        expect(commanderReads(line), JSON.stringify(line)).toEqual({ command: quick.command, args: quick.args, options: quick.options });
      }),
      { numRuns: 3000 },
    );
  });

  it('reads the usual command lines', () => {
    const usual = [
      ['ping'],
      ['status'],
      ['status', 'sshd', '--json'],
      ['status', 'sshd', '--all'],
      ['banned', '--socket', '/run/f2b/f2b.sock'],
      ['banned', '192.0.2.7', '--json'],
      ['ban', 'sshd', '192.0.2.7'],
      ['unban', '--all', '--jail', 'sshd'],
      ['reload', '-c', '/etc/f2b/f2b.yaml'],
      ['stop', '--no-wait'],
      ['stop'],
    ];
    for (const line of usual) {
      const quick = quickClientArgs(line);
      expect(quick, JSON.stringify(line)).not.toBeNull();
      expect(commanderReads(line)).toEqual({ command: quick!.command, args: quick!.args, options: quick!.options });
    }
  });

  it('leaves help, unknown options and bad lines to commander', () => {
    for (const line of [
      ['ping', '--help'],
      ['status', '-h'],
      ['ping', '--bogus'],
      ['ban'],
      ['ping', 'extra'],
      ['status', '--socket'],
      ['status', '--', 'x'],
      ['start'],
    ])
      expect(quickClientArgs(line), JSON.stringify(line)).toBeNull();
  });

  it('`f2b ping` by the quick path loads no commander', () => {
    const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
    const dir = mkdtempSync(join(tmpdir(), 'f2b-quick-args-'));
    try {
      const preload = join(dir, 'count-commander.cjs');
      writeFileSync(
        preload,
        "process.on('exit', () => process.stderr.write('LOADED ' + Object.keys(require.cache).filter((p) => p.includes('/node_modules/commander/')).length + '\\n'));",
      );
      const run = spawnSync(process.execPath, ['--require', preload, bin, 'ping', '--socket', join(dir, 'none.sock')], { encoding: 'utf8' });
      expect(run.stderr).toContain('F2B_ERR_CONTROL_NOT_RUNNING');
      expect(run.stderr).toContain('LOADED 0');
      // The same command line through commander (help is commander's) loads it: the count is real.
      const help = spawnSync(process.execPath, ['--require', preload, bin, 'ping', '--help'], { encoding: 'utf8' });
      expect(help.stderr).not.toContain('LOADED 0');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
