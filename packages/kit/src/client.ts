/**
 * `@f2b/kit/client`: the part of the kit a program that only talks to the daemon needs (the
 * errors, the escaping of output, addresses, local times) — 6 modules instead of the kit's 17.
 * `@f2b/core/client` (`f2b ping`, `status`, `banned`) is built on it: each module costs a client
 * command about a millisecond of start-up. The same modules as the whole kit's, so the same
 * classes (an F2bError from here is one from `@f2b/kit`).
 */
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
export { normalizeIp, parseIp, tryParseCidr, type Cidr, type IpAddress } from './ip.js';
export { escapeControls, escapeDeep, escapeLines, jsonText, sanitizeLine } from './escape.js';
export { localIsoTime } from './ban-text.js';
