/**
 * The one escaping of f2b's output. Log lines, user names, URLs, rule ids, file names and plugin
 * manifests are written by whoever controls them, and a terminal obeys control characters: ESC and
 * CSI (U+009B) start sequences that move the cursor, recolour or hide text, rewrite the window title
 * (OSC, U+009D) or worse. So every human output shows C0 controls, DEL and C1 controls as `\xNN`,
 * and every JSON output writes DEL and C1 as `\u00NN` (JSON.stringify already does C0) — still the
 * exact same JSON value.
 */

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;
// eslint-disable-next-line no-control-regex
const CONTROLS_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;
/** What JSON.stringify leaves raw of the controls (and the two line separators some viewers break at). */
const JSON_RAW = /[\u007f-\u009f\u2028\u2029]/;
const JSON_RAWS = /[\u007f-\u009f\u2028\u2029]/g;

const hex = (c: string) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;

/** Text for a terminal or a one-line log record: every control character (newlines too) as `\xNN`. */
export function escapeControls(text: string): string {
  return CONTROL.test(text) ? text.replace(CONTROLS, hex) : text;
}

/** One log line of untrusted text (what a plugin quotes from a log or a program), controls escaped. */
export const sanitizeLine = escapeControls;

/** Text of several lines (an error and its fix): every control character but `\n` as `\xNN`. */
export function escapeLines(text: string): string {
  return CONTROL.test(text) ? text.replace(CONTROLS_BUT_NEWLINE, hex) : text;
}

/** JSON.stringify, with DEL, C1 and U+2028/U+2029 as `\u` escapes: the same value, nothing raw. */
export function jsonText(value: unknown): string {
  const s = JSON.stringify(value);
  if (s === undefined || !JSON_RAW.test(s)) return s;
  return s.replace(JSON_RAWS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A copy of a JSON-like value with every string (keys too) escaped for a terminal. */
export function escapeDeep<T>(value: T): T {
  if (typeof value === 'string') return escapeControls(value) as T;
  if (Array.isArray(value)) return value.map((v) => escapeDeep(v)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[escapeControls(k)] = escapeDeep(v);
    return out as T;
  }
  return value;
}
