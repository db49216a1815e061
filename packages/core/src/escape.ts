/** Escaping lives in `@f2b/kit` (plugins import it from there); the core's modules import it here. */
export { escapeControls, escapeDeep, escapeLines, jsonText, sanitizeLine } from '@f2b/kit/client';
