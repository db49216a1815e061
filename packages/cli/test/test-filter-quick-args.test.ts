/**
 * test-filter's quick path (src/test-filter/quick-args.ts) against commander: over generated command
 * lines — the usual ones and ones full of what the quick path must leave alone (help, `--`, unknown
 * options, short options with attached values, missing values, values that look like options,
 * refused choices, a third argument) — whatever the quick path reads is exactly what the commander
 * command hands its action.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { Command, CommanderError } from 'commander';
import { quickTestFilterArgs } from '../src/test-filter/quick-args.js';
import { registerTestFilterCommand } from '../src/commands/test-filter-command.js';

interface Parsed {
  args: unknown[];
  options: Record<string, unknown>;
}

/** What the commander command hands the action for `argv`, or 'error' (usage error, help). */
function commanderReads(argv: string[]): Parsed | 'error' {
  const program = new Command('f2b').exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  let got: Parsed | null = null;
  registerTestFilterCommand(program, (() =>
    (...received: unknown[]) => {
      got = { args: received.slice(0, -2), options: { ...(received[received.length - 2] as object) } };
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
  'sshd',
  'nginx-http-auth',
  '/var/log/auth.log',
  'auth.log',
  '-',
  '',
  'web app',
  '--json',
  '--annotated',
  '--explain',
  '--explain=1',
  '-c',
  '--config',
  '--config=/etc/f2b.yaml',
  '-c/etc/f2b.yaml',
  '-m',
  '--mode',
  '--mode=ddos',
  'ddos',
  '-mddos',
  '-o',
  '--option',
  '--option=x=1',
  'maxlines=2',
  '-p',
  '--pattern',
  'failure from <HOST>',
  '-i',
  '--ignore-pattern=^x',
  '--now',
  '2026-12-07T00:00:00Z',
  '--timezone',
  'Europe/Berlin',
  '--format',
  '--format=journal',
  'journal',
  'text',
  'bogus',
  '--show',
  '--show=matched',
  'missed',
  '-j',
  '--jobs',
  '2',
  '--maxretry',
  '--max-line-length=100',
  '--help',
  '-h',
  '-V',
  '--',
  '--bogus',
  '-x',
  '-jm',
];

describe('quickTestFilterArgs', () => {
  it('reads what commander reads, and leaves the rest to it', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 7 }), (rest) => {
        const line = ['test-filter', ...rest];
        const quick = quickTestFilterArgs(line);
        if (quick === null) return;
        expect(commanderReads(line), JSON.stringify(line)).toEqual({ args: quick.args, options: quick.options });
      }),
      { numRuns: 4000 },
    );
  });

  it('reads the usual command lines', () => {
    const usual = [
      ['test-filter', 'sshd', '/var/log/auth.log'],
      ['test-filter', 'sshd', '/var/log/auth.log', '--json'],
      ['test-filter', 'sshd', '-', '--mode', 'aggressive'],
      ['test-filter', 'sshd'],
      ['test-filter', 'nginx-http-auth', 'access.log', '--show', 'missed', '-o', 'a=1', '-o', 'b=2'],
      ['test-filter', '--pattern', 'failure from <HOST>', 'app.log'],
      ['test-filter', 'sshd', 'auth.log', '--annotated', '--timezone', 'UTC', '--now', '2026-12-07T00:00:00Z'],
    ];
    for (const line of usual) {
      const quick = quickTestFilterArgs(line);
      expect(quick, JSON.stringify(line)).not.toBeNull();
      expect(commanderReads(line)).toEqual({ args: quick!.args, options: quick!.options });
    }
  });

  it('leaves help, unknown options and bad lines to commander', () => {
    for (const line of [
      ['test-filter', '--help'],
      ['test-filter', 'sshd', '-h'],
      ['test-filter', 'sshd', 'a', 'b'],
      ['test-filter', 'sshd', '--format', 'xml'],
      ['test-filter', 'sshd', '--mode'],
      ['test-filter', 'sshd', '--', 'x'],
      ['test-filter', 'sshd', '-mddos'],
      ['status'],
    ])
      expect(quickTestFilterArgs(line), JSON.stringify(line)).toBeNull();
  });

  it('`f2b test-filter sshd FILE` by the quick path loads no commander, and says what the commander program says', () => {
    const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
    const dir = mkdtempSync(join(tmpdir(), 'f2b-test-filter-quick-'));
    try {
      const preload = join(dir, 'count-commander.cjs');
      writeFileSync(
        preload,
        "process.on('exit', () => process.stderr.write('LOADED ' + Object.keys(require.cache).filter((p) => p.includes('/node_modules/commander/')).length + '\\n'));",
      );
      const log = join(dir, 'auth.log');
      writeFileSync(log, 'Dec  7 10:00:00 host sshd[1]: Failed password for root from 192.0.2.7 port 22 ssh2\n');
      const run = (extra: string[]) =>
        spawnSync(process.execPath, ['--require', preload, bin, 'test-filter', 'sshd', log, '--json', '--now', '2026-12-07T12:00:00Z', ...extra], {
          encoding: 'utf8',
        });
      const quick = run([]);
      expect(quick.status).toBe(0);
      expect(quick.stderr).toContain('LOADED 0');
      // The mode with its value attached to the short option is commander's to read: the same output.
      const viaCommander = run(['-mnormal']);
      expect(viaCommander.stderr).not.toContain('LOADED 0');
      expect(viaCommander.status).toBe(0);
      expect(viaCommander.stdout).toBe(quick.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
