/**
 * `@f2b/kit`: the helpers a plugin package may import at run time. It has no dependencies, so a
 * plugin that imports it (and only types from `@f2b/core`) installs in seconds and never brings a
 * second copy of the core or a native build. The core depends on this package and re-exports it.
 */
export const KIT_VERSION = '0.2.0';
export {
  F2B_ERROR,
  F2bError,
  defineErrors,
  exitClassOf,
  isF2bError,
  quote,
  relocateError,
  type ErrorFactory,
  type ErrorSpec,
  type ErrorTable,
  type ErrorText,
  type ExitClass,
  type F2bErrorDetails,
} from './errors.js';
export { messageOf } from './message.js';
export { kitErrors } from './kit-errors.js';
export {
  IpSet,
  cidrContains,
  formatIp,
  isLoopback,
  looksLikeHostname,
  normalizeIp,
  parseCidr,
  parseIp,
  tryParseCidr,
  widen,
  type Cidr,
  type IpAddress,
} from './ip.js';
export { MAX_DURATION_SECONDS, MONTH_SECONDS, YEAR_SECONDS, durationOptionMs, formatDuration, parseDuration, type ParseDurationOptions } from './duration.js';
export { escapeControls, escapeDeep, escapeLines, jsonText, sanitizeLine } from './escape.js';
export { systemClock, type Clock, type TimerHandle } from './clock.js';
export { ThrottledWarning } from './throttled-warning.js';
export { FailureStreak, FailureStreaks, backoffDelay, type StreakEnd } from './failure-streak.js';
export { ActionHealth, type ActionHealthOptions, type HealthContext } from './action-health.js';
export { SessionMap, oneAttempt, oneAttemptReducer, type AttemptDraft, type MatchLike } from './reducer.js';
export { ACCESS_LOG_QUOTED, ACCESS_LOG_START, PAM_SSS_FAILURE, PAM_UNIX_FAILURE, PAM_UNIX_MORE, pamDraft } from './fragments.js';
export { banText, localIsoTime, unbanText, type BanOrigin, type BanTextInput } from './ban-text.js';
export { escalatedBantime, type BantimeEscalation } from './bantime.js';
export { BanBook, type BanBookOptions, type BookBan, type BookUnban } from './ban-book.js';
export { BanExpiries } from './ban-expiries.js';
export { AddressSlots, Column } from './address-slots.js';
export { addressHash, addressWord, indexInsert, indexRemove } from './address-index.js';
export { SerialBatcher } from './serial-batcher.js';
export { OldestFirst } from './oldest-first.js';
export { withJailPorts, type JailPortsContext } from './jail-ports.js';
export { journalRecordToEntry, normalizeRecord, parseJournalJsonLine, type JournalEntry, type JournalRecord } from './journal.js';
