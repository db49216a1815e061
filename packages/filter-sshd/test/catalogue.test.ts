/**
 * The message catalogue (CATALOGUE.md): every entry's samples, in every log form — the rendered
 * fixture (syslog file, RFC 3339, journal short form) and `journalctl -o json` records — give the
 * failures and attempts the list names.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FilterRunner, journalRecordToEntry } from '@f2b/core';
import { checkAnnotatedLog, parseAnnotatedLog } from '@f2b/core/testing';
import { sshdFilter } from '../src/index.js';
// A plain ESM script (the list's reader and the renderer), untyped: its values are cast below.
import { FORMS, readCatalogue } from './catalogue/render.mjs';

interface Entry {
  match: boolean;
  host?: string;
  attempts?: number;
  desc: string;
  message: string;
}
interface Block {
  options: { mode?: string }[];
  entries: Entry[];
}

const FIXTURE = fileURLToPath(new URL('./fixtures/sshd-catalogue.log', import.meta.url));
const settings = JSON.parse(readFileSync(new URL('./fixtures/fixtures.json', import.meta.url), 'utf8')) as { now: string; timezone: string };
const NOW = Date.parse(settings.now);
const blocks = readCatalogue() as Block[];

describe('sshd message catalogue', () => {
  it('is rendered from the list (run test/catalogue/render.mjs after editing sshd.txt)', () => {
    const lines = parseAnnotatedLog(FIXTURE).flatMap((b) => b.lines);
    const entries = blocks.flatMap((b) => b.entries);
    expect(lines.length).toBe(entries.length * FORMS.length);
    expect(lines.slice(0, entries.length).map((l) => l.text.replace(/^\S+ +\d+ \S+ \S+ /, ''))).toEqual(entries.map((e) => e.message));
  });

  it('gets every rendered line right: address, time and attempts', () => {
    const report = checkAnnotatedLog(sshdFilter, FIXTURE, { now: NOW, timezone: settings.timezone });
    expect(report.skippedReasons).toEqual([]);
    const wrong = report.results.filter((r) => !r.ok).map((r) => `${r.lineNo} ${JSON.stringify(r.run)}: ${r.problems.join('; ')}\n    ${r.text}`);
    expect(wrong).toEqual([]);
    const attempts = new Map<number, unknown>();
    for (const l of parseAnnotatedLog(FIXTURE).flatMap((b) => b.lines)) attempts.set(l.lineNo, l.annotation?.extra.attempts);
    const miscounted = report.results
      .filter((r) => typeof attempts.get(r.lineNo) === 'number' && r.failures.reduce((n, f) => n + f.attempts, 0) !== attempts.get(r.lineNo))
      .map(
        (r) =>
          `${r.lineNo} ${JSON.stringify(r.run)}: expected ${String(attempts.get(r.lineNo))} attempts, got ${r.failures.reduce((n, f) => n + f.attempts, 0)}\n    ${r.text}`,
      );
    expect(miscounted).toEqual([]);
    expect(report.total).toBeGreaterThan(400);
  });

  it('reads the same from journalctl -o json records', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const block of blocks) {
      for (const options of block.options) {
        const runner = new FilterRunner(sshdFilter, { mode: options.mode });
        block.entries.forEach((e, i) => {
          const tag = /^([^[\s]+)\[([0-9]+)\]: (.*)$/s.exec(e.message);
          if (!tag) throw new Error(`catalogue message without a syslog tag: ${e.message}`);
          const time = NOW - 3_600_000 + i * 1000;
          const entry = journalRecordToEntry({
            MESSAGE: tag[3]!,
            SYSLOG_IDENTIFIER: tag[1]!,
            _PID: tag[2]!,
            _HOSTNAME: 'gw1',
            __REALTIME_TIMESTAMP: String(time * 1000),
            PRIORITY: '6',
            SYSLOG_FACILITY: '10',
          });
          if (!entry) throw new Error(`no entry for ${e.message}`);
          const failures = runner.process(entry, NOW);
          checked += 1;
          const where = `${JSON.stringify(options)} ${e.message}`;
          if (!e.match) {
            if (failures.length > 0) problems.push(`${where}: expected no match, got ${failures.map((f) => f.id).join(', ')}`);
            return;
          }
          const got = failures.reduce((n, f) => n + f.attempts, 0);
          if (!failures.some((f) => f.id === e.host) || got !== e.attempts) {
            problems.push(`${where}: expected ${e.host} with ${e.attempts}, got ${failures.map((f) => `${f.id}×${f.attempts}`).join(', ') || 'nothing'}`);
          } else if (failures.some((f) => f.time !== time)) problems.push(`${where}: not the record's time`);
        });
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(100);
  });
});
