/** Helpers shared by the filters of this package: the pieces every filter package shares (`@f2b/kit`). */
export { PAM_UNIX_FAILURE, SessionMap, oneAttempt as draft, pamDraft } from '@f2b/kit';
