/**
 * bin.ts runs the client commands and test-filter through small programs of their own
 * (client-program.ts, test-filter-program.ts): each must have exactly its commands, each the same
 * as in the whole program.
 */
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildClientProgram } from '../src/client-program.js';
import { buildTestFilterProgram } from '../src/test-filter-program.js';
import { buildProgram } from '../src/program.js';
import { CLIENT_COMMANDS } from '../src/client/commands.js';

function sameAsWhole(small: Command, names: readonly string[]): void {
  const whole = buildProgram();
  expect(small.commands.map((c) => c.name()).sort()).toEqual([...names].sort());
  for (const name of names) {
    const a = small.commands.find((c) => c.name() === name)!,
      b = whole.commands.find((c) => c.name() === name)!;
    expect(a.helpInformation()).toBe(b.helpInformation());
  }
  expect(small.helpInformation().split('\n')[0]).toBe(whole.helpInformation().split('\n')[0]);
}

describe('the small programs', () => {
  it('the client program has the client commands, as the whole program has them', () => {
    sameAsWhole(buildClientProgram(), CLIENT_COMMANDS);
  });

  it('the test-filter program has test-filter, as the whole program has it', () => {
    sameAsWhole(buildTestFilterProgram(), ['test-filter']);
  });
});
