/** journald records as entries live in `@f2b/kit` (the journald source imports them without the core). */
import { journalRecordToEntry as toEntry, parseJournalJsonLine as parseLine, normalizeRecord, type JournalRecord } from '@f2b/kit';
import type { LogEntry } from './types.js';

export { normalizeRecord, type JournalRecord };
// Typed as the core's LogEntry: kit's JournalEntry must stay assignable to it.
export const journalRecordToEntry: (record: JournalRecord, origin?: string) => LogEntry | null = toEntry;
export const parseJournalJsonLine: (line: Buffer | string, origin?: string) => LogEntry | null = parseLine;
