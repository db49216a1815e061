/**
 * The error a call is expected to fail with, for tests that then look at its code, message and fix.
 * Recognised by the errors' brand (`isF2bError`), so an error from another copy of the core counts.
 */
import { isF2bError, type F2bError } from '../errors.js';

/** Run `fn`, expecting it to throw an F2bError; returns it (anything else fails the test). */
export function thrownF2bError(fn: () => unknown): F2bError {
  try {
    fn();
  } catch (err) {
    return asF2bError(err);
  }
  throw new Error('expected an F2bError, nothing was thrown');
}

/** Await `p`, expecting it to reject with an F2bError; returns it. */
export async function rejectedF2bError(p: Promise<unknown>): Promise<F2bError> {
  try {
    await p;
  } catch (err) {
    return asF2bError(err);
  }
  throw new Error('expected an F2bError, the promise resolved');
}

function asF2bError(err: unknown): F2bError {
  if (isF2bError(err)) return err;
  throw new Error(`expected an F2bError, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`, { cause: err });
}
