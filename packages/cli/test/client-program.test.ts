/**
 * bin.ts runs the client commands through their own small program (client-program.ts): it must
 * have exactly the commands CLIENT_COMMANDS names, each the same as in the whole program.
 */
import { describe, expect, it } from 'vitest';
import { buildClientProgram } from '../src/client-program.js';
import { buildProgram } from '../src/program.js';
import { CLIENT_COMMANDS } from '../src/client/commands.js';

describe('the client program', () => {
  it('has the client commands, as the whole program has them', () => {
    const client = buildClientProgram(), whole = buildProgram();
    expect(client.commands.map((c) => c.name()).sort()).toEqual([...CLIENT_COMMANDS].sort());
    for (const name of CLIENT_COMMANDS) {
      const a = client.commands.find((c) => c.name() === name)!, b = whole.commands.find((c) => c.name() === name)!;
      expect(a.helpInformation()).toBe(b.helpInformation());
    }
    expect(client.helpInformation().split('\n')[0]).toBe(whole.helpInformation().split('\n')[0]);
  });
});
