/**
 * A login sshd accepted is reported as a success (rule `accepted`, `success: true`) in every mode,
 * next to the failures and never as one: a tracker can forgive the address (the bucket's cancelOn).
 */
import { describe, expect, it } from 'vitest';
import { EntryParser, FilterRunner, type SuccessEvent } from '@f2b/core';
import { sshdFilter } from '../src/index.js';
import { A, L, NOW, failed } from './helpers.js';

function runWithSuccesses(lines: string[], mode?: string) {
  const successes: SuccessEvent[] = [];
  const runner = new FilterRunner(sshdFilter, { mode, onSuccess: (s) => successes.push(s) });
  const parser = new EntryParser({ timezone: 'UTC', now: () => NOW });
  const failures = lines.flatMap((l) => runner.process(parser.parse(Buffer.from(l)), NOW));
  return { failures, successes };
}

describe('sshd successes', () => {
  for (const mode of ['normal', 'aggressive', 'ddos']) {
    it(`Accepted … is a success of its address in ${mode} mode, with the user`, () => {
      const { failures, successes } = runWithSuccesses(
        [
          L(100, failed('root')),
          L(100, `Accepted password for alice from ${A} port 50000 ssh2`, 2),
          L(101, `Accepted publickey for bob from 2001:db8::7 port 50001 ssh2: ED25519 SHA256:GOOD`, 3),
        ],
        mode,
      );
      expect(successes.map((s) => [s.id, s.rule, s.captures.user])).toEqual([
        [A, 'accepted', 'alice'],
        ['2001:db8::7', 'accepted', 'bob'],
      ]);
      expect(successes[0]!.ip?.text).toBe(A);
      expect(failures.every((f) => f.rule !== 'accepted' || f.attempts > 0)).toBe(true);
    });
  }

  it('a failed login is no success', () => {
    expect(runWithSuccesses([L(100, failed('root')), L(100, failed('root'), 1)]).successes).toEqual([]);
  });
});
