/** Helpers shared by the filters of this package; the pieces every filter package shares come from `@f2b/kit`. */
export { PAM_SSS_FAILURE, PAM_UNIX_FAILURE, PAM_UNIX_MORE, SessionMap, oneAttempt as draft, pamDraft } from '@f2b/kit';

/**
 * One `"key":value` pair of a flat JSON object (strings with escapes, numbers, literals). A pattern
 * that walks an object pair by pair cannot be fooled by a quoted value that imitates a key: inside
 * a JSON string every `"` is escaped.
 */
export const JSON_PAIR = '"[^"\\\\]*":(?:"(?:[^"\\\\]|\\\\.)*"|[^,"{}\\[\\]]*)';

/** A JSON string value's body (for a capture). */
export const JSON_STRING_BODY = '(?:[^"\\\\]|\\\\.)*';

/** One logfmt `key=value` pair; quoted values may contain escaped quotes and spaces. */
export const LOGFMT_PAIR = '[A-Za-z_][A-Za-z0-9_.]*=(?:"(?:[^"\\\\]|\\\\.)*"|[^ "]*)';
