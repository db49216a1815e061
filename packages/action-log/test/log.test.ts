import { describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActionTester } from '@f2b/core/testing';
import logAction, { formatBan, type LogActionInstance } from '../src/index.js';

describe('@f2b/action-log', () => {
  it('records bans and unbans in order and prints one line each', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const t = new ActionTester({ plugin: logAction(), type: 'log', jail: 'sshd' });
      await t.applyBans('192.0.2.1', '2001:db8::1');
      await t.applyUnbans('192.0.2.1');
      const events = (t.instance as LogActionInstance).events;
      expect(events.map((e) => `${e.type} ${e.id}`)).toEqual(['ban 192.0.2.1', 'ban 2001:db8::1', 'unban 192.0.2.1']);
      const printed = write.mock.calls.map((c) => String(c[0]));
      expect(printed[0]).toMatch(/^\[sshd\] Ban 192\.0\.2\.1 until \d{4}-\d\d-\d\dT/);
      expect(printed[2]).toBe('[sshd] Unban 192.0.2.1 (expired)\n');
    } finally {
      write.mockRestore();
    }
  });

  it('appends JSON lines to a file when asked, and can stay quiet on stdout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'f2b-action-log-'));
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const file = join(dir, 'bans.jsonl');
      const t = new ActionTester({ plugin: logAction(), type: 'log', options: { file, stdout: false } });
      await t.applyBans('198.51.100.7');
      const [rec] = readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(rec).toMatchObject({ event: 'ban', id: '198.51.100.7', jail: 'test' });
      expect(write).not.toHaveBeenCalled();
    } finally {
      write.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects unknown options with the option path', () => {
    expect(() => new ActionTester({ plugin: logAction(), pluginOptions: { colour: true }, type: 'log' })).toThrow(/F2B_ERR_PLUGIN_OPTIONS|colour/);
  });

  it('formats permanent bans', () => {
    expect(formatBan({ jail: 'j', id: '192.0.2.1', start: 0, end: null, count: 2, failures: 5 })).toContain('forever');
  });
});
