import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { EntryParser, FilterRunner } from '@f2b/core';
import { checkInvalidBytes } from '@f2b/core/testing';
import { sshdFilter } from '../src/index.js';

const SAMPLE = fileURLToPath(new URL('./fixtures/sshd.log', import.meta.url));
const NOW = Date.parse('2024-06-01T12:00:00Z');

describe('sshd with bytes that are not UTF-8', () => {
  it('counts a user name that is one invalid byte, or Latin-1', () => {
    const parser = new EntryParser({ timezone: 'UTC', now: () => NOW });
    const runner = new FilterRunner(sshdFilter);
    const hosts = (line: string) => runner.process(parser.parse(Buffer.from(line, 'latin1')), NOW).map((f) => [f.id, f.captures.user]);
    expect(hosts('Jan  5 01:31:41 www sshd[1643]: Failed password for \xff from 203.0.113.5 port 22 ssh2')).toEqual([['203.0.113.5', '\uFFFD']]);
    expect(hosts('Jan  5 01:31:42 www sshd[1644]: Invalid user \xe9t\xe9 from 203.0.113.6 port 22')).toEqual([['203.0.113.6', '\uFFFDt\uFFFD']]);
  });

  it('gives the same answers on its sample log with invalid bytes in every user name', () => {
    const report = checkInvalidBytes(sshdFilter, SAMPLE, { now: NOW, timezone: 'Europe/Berlin' });
    expect(report.mutated).toBeGreaterThan(100);
    expect(report.differences).toEqual([]);
  });
});
