/**
 * Real journal files for tests: entries are written in the Journal Export Format and turned into a
 * journal file by Debian's `systemd-journal-remote` (package systemd-journal-remote), then read back
 * with the real journalctl. No mocks.
 *
 * Export Format (systemd.io/JOURNAL_EXPORT_FORMATS): one `KEY=value` line per field, a blank line
 * after each entry. A value that is not printable UTF-8 or contains a newline is written binary:
 * `KEY\n`, its length as a little-endian 64-bit integer, the bytes, `\n`. `__REALTIME_TIMESTAMP`,
 * `__MONOTONIC_TIMESTAMP` (µs) and `_BOOT_ID` are the entry's address fields.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const JOURNAL_REMOTE = ['/lib/systemd/systemd-journal-remote', '/usr/lib/systemd/systemd-journal-remote'].find((p) => {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
});

function onPath(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() || undefined : undefined;
}

export const JOURNALCTL = onPath('journalctl');

/** Why journal tests can't run here, or null when they can. */
export function journalToolsMissing(): string | null {
  const missing = [
    ...(JOURNALCTL ? [] : ['journalctl (apt-get install systemd)']),
    ...(JOURNAL_REMOTE ? [] : ['systemd-journal-remote (apt-get install systemd-journal-remote)']),
  ];
  return missing.length > 0 ? `journal tests skipped: missing ${missing.join(' and ')}` : null;
}

export type FieldValue = string | Buffer | number;
export type ExportEntry = Record<string, FieldValue | undefined>;

// eslint-disable-next-line no-control-regex
const NEEDS_BINARY = /[\x00-\x08\x0a-\x1f\x7f]/;

/** Serialise entries in the Journal Export Format. */
export function exportFormat(entries: readonly ExportEntry[]): Buffer {
  const out: Buffer[] = [];
  for (const e of entries) {
    for (const [key, raw] of Object.entries(e)) {
      if (raw === undefined) continue;
      const value = typeof raw === 'number' ? String(raw) : raw;
      const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
      const binary = typeof value !== 'string' || NEEDS_BINARY.test(value);
      if (!binary) {
        out.push(Buffer.from(`${key}=`), bytes, Buffer.from('\n'));
      } else {
        const len = Buffer.alloc(8);
        len.writeBigUInt64LE(BigInt(bytes.length));
        out.push(Buffer.from(`${key}\n`), len, bytes, Buffer.from('\n'));
      }
    }
    out.push(Buffer.from('\n'));
  }
  return Buffer.concat(out);
}

export interface EntryOptions {
  identifier?: string;
  pid?: number;
  unit?: string | null;
  host?: string;
  /** Epoch ms (default now). */
  time?: number;
  extra?: ExportEntry;
}

/**
 * A journal directory in a unique temp dir. Timestamps only grow (realtime from the clock, never
 * repeated; monotonic from a counter) and every entry shares one boot id, so journalctl orders the
 * entries of all files in this directory the way they were written.
 */
export class TestJournal {
  readonly dir: string;
  readonly bootId = randomBytes(16).toString('hex');
  private lastRealtime = 0;
  private monotonic = 1_000_000;
  private seq = 0;

  constructor(prefix = 'f2b-journal-') {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
  }

  /** An entry as journald would store a syslog message. */
  entry(message: string | Buffer, o: EntryOptions = {}): ExportEntry {
    const realtime = Math.max((o.time ?? Date.now()) * 1000, this.lastRealtime + 1);
    this.lastRealtime = realtime;
    this.monotonic += 1000;
    this.seq++;
    return {
      __REALTIME_TIMESTAMP: realtime,
      __MONOTONIC_TIMESTAMP: this.monotonic,
      _BOOT_ID: this.bootId,
      _HOSTNAME: o.host ?? 'testhost',
      _TRANSPORT: 'syslog',
      PRIORITY: 6,
      SYSLOG_FACILITY: 4,
      SYSLOG_IDENTIFIER: o.identifier ?? 'sshd',
      _PID: o.pid ?? 4000 + this.seq,
      _COMM: o.identifier ?? 'sshd',
      _SYSTEMD_UNIT: o.unit === null ? undefined : (o.unit ?? 'ssh.service'),
      MESSAGE: message,
      ...o.extra,
    };
  }

  /** Write entries into `file` (appended when it exists) with systemd-journal-remote. */
  write(entries: readonly ExportEntry[], file = 'test.journal'): void {
    if (!JOURNAL_REMOTE) throw new Error('systemd-journal-remote is not installed');
    const r = spawnSync(JOURNAL_REMOTE, [`--output=${join(this.dir, file)}`, '-'], { input: exportFormat(entries), encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`systemd-journal-remote failed (${r.status}): ${r.stderr}`);
  }

  /** Shorthand: one sshd-like entry per message. */
  log(messages: readonly string[], o: EntryOptions & { file?: string } = {}): void {
    this.write(
      messages.map((m) => this.entry(m, o)),
      o.file,
    );
  }

  /** `journalctl -o json` of this directory, parsed (for checks). */
  read(extra: string[] = []): Record<string, unknown>[] {
    const r = spawnSync(JOURNALCTL ?? 'journalctl', [`--directory=${this.dir}`, '--output=json', '--all', '--no-pager', ...extra], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    if (r.status !== 0) throw new Error(`journalctl failed (${r.status}): ${r.stderr}`);
    return r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
