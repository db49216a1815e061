/**
 * `journalctl -o json` records → the entries filters see. Kit's `journalRecordToEntry` (the core's
 * too) does the conversion (fields given more than once folded, MESSAGE as string or byte array,
 * long messages cut); this module adds cursor handling and line parsing.
 */
import type { JournalRecord, LogEntry } from '@f2b/core';
import { journalRecordToEntry, normalizeRecord } from '@f2b/kit';

/** One parsed record → entry (null when it has no usable MESSAGE). */
export function recordToEntry(record: JournalRecord, origin = 'journal'): LogEntry | null {
  return journalRecordToEntry(record, origin);
}

export { normalizeRecord };

/** The `__CURSOR` of a record, if it has one. */
export function recordCursor(record: JournalRecord): string | undefined {
  const c = record.__CURSOR;
  return typeof c === 'string' && c.length > 0 ? c : undefined;
}

/** Parse one line of `journalctl -o json`; null for anything that is not a JSON object. */
export function parseRecord(line: Buffer): JournalRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(line.toString('utf8'));
  } catch {
    return null;
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JournalRecord) : null;
}
