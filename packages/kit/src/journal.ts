/**
 * journald records (`journalctl -o json`) as entries. Used by `@f2b/source-journald` and by the
 * core (`f2b test-filter --format journal`), so it lives here: the plugin imports it without the
 * core. MESSAGE may be a string, or an array of bytes when it is not valid UTF-8 (journalctl's
 * encoding of binary fields); very long messages are cut.
 */
import { isUtf8 } from 'node:buffer';

/**
 * One log record as filters see it — the core's `LogEntry` is this type (kit has no dependency on
 * the core, so the shape is stated here once). Byte fields stay `Buffer`s: the hot path never decodes them.
 */
export interface JournalEntry {
  /** The whole line as read (no trailing newline). */
  readonly raw: Buffer;
  /** The message part: after `prog[pid]: ` for syslog/journal lines, else the line without its date. */
  readonly message: Buffer;
  /** Time of the record in epoch milliseconds; `undefined` when no date was found. */
  readonly time: number | undefined;
  /** The syslog/journal host name field, when the format has one. */
  readonly host?: string;
  /** The program / syslog identifier (`sshd`, `sshd-session`, `postfix/smtpd`). */
  readonly program?: string;
  readonly pid?: number;
  /** systemd unit, from the journal. */
  readonly unit?: string;
  /** Name of the date format that matched (for statistics and `test-filter`). */
  readonly dateFormat?: string;
  /** Where the line came from (file path, `journal`, `-`). */
  readonly origin?: string;
}

export type JournalRecord = Record<string, unknown>;

const MAX_MESSAGE = 64 * 1024;

function field(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((b) => typeof b === 'number')) return Buffer.from(v as number[]).toString('utf8');
  return undefined;
}

function bytes(v: unknown): Buffer | undefined {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (Array.isArray(v) && v.every((b) => typeof b === 'number' && b >= 0 && b < 256)) return Buffer.from(v as number[]);
  return undefined;
}

function int(v: unknown): number | undefined {
  const s = field(v);
  if (s === undefined || !/^[0-9]{1,10}$/.test(s)) return undefined;
  return Number(s);
}

/** A binary value (array of byte numbers) as opposed to a list of values. */
function isBytes(v: unknown[]): boolean {
  return v.every((b) => typeof b === 'number');
}

const SINGLE_FIELDS = ['SYSLOG_IDENTIFIER', '_COMM', 'SYSLOG_PID', '_PID', '_HOSTNAME', '__REALTIME_TIMESTAMP', '_SOURCE_REALTIME_TIMESTAMP', '_SYSTEMD_UNIT'];

/**
 * Fold fields that occur more than once in a record — journalctl prints those as an array of
 * values — into one value: MESSAGE values joined by newlines, other fields the first value.
 * Returns the record itself when there is nothing to fold.
 */
export function normalizeRecord(record: JournalRecord): JournalRecord {
  let out: JournalRecord | null = null;
  const msg = record.MESSAGE;
  if (Array.isArray(msg) && msg.length > 0 && !isBytes(msg)) {
    const parts = msg.map(bytes).filter((b): b is Buffer => b !== undefined);
    if (parts.length === 0) return record; // nothing usable: the record has no message
    const joined: Buffer[] = [];
    parts.forEach((p, i) => {
      if (i > 0) joined.push(Buffer.from('\n'));
      joined.push(p);
    });
    const all = Buffer.concat(joined);
    out = { ...record, MESSAGE: isUtf8(all) ? all.toString('utf8') : Array.from(all) };
  }
  for (const key of SINGLE_FIELDS) {
    const v = record[key];
    if (Array.isArray(v) && v.length > 0 && !isBytes(v)) {
      out ??= { ...record };
      out[key] = v[0];
    }
  }
  return out ?? record;
}

export function journalRecordToEntry(input: JournalRecord, origin = 'journal'): JournalEntry | null {
  const record = normalizeRecord(input);
  let message = bytes(record.MESSAGE);
  if (!message) return null;
  if (message.length > MAX_MESSAGE) message = message.subarray(0, MAX_MESSAGE);
  const program = field(record.SYSLOG_IDENTIFIER) ?? field(record._COMM);
  const pid = int(record.SYSLOG_PID) ?? int(record._PID);
  const host = field(record._HOSTNAME);
  const ts = field(record.__REALTIME_TIMESTAMP) ?? field(record._SOURCE_REALTIME_TIMESTAMP);
  const time = ts && /^[0-9]{1,20}$/.test(ts) ? Math.floor(Number(ts) / 1000) : undefined;
  // `raw` is the journal's short form, which is also what our `lines` show in ban records.
  const head = `${host ?? 'localhost'} ${program ?? 'unknown'}${pid !== undefined ? `[${pid}]` : ''}: `;
  return {
    raw: Buffer.concat([Buffer.from(head, 'utf8'), message]),
    message,
    time,
    host,
    program,
    pid,
    unit: field(record._SYSTEMD_UNIT),
    dateFormat: 'journal',
    origin,
  };
}

/** Parse one `journalctl -o json` line; null for anything that is not a JSON object. */
export function parseJournalJsonLine(line: Buffer | string, origin?: string): JournalEntry | null {
  let record: unknown;
  try {
    record = JSON.parse(typeof line === 'string' ? line : line.toString('utf8'));
  } catch {
    return null;
  }
  if (!record || typeof record !== 'object' || Array.isArray(record)) return null;
  return journalRecordToEntry(record as JournalRecord, origin);
}
