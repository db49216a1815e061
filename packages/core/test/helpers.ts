/** Shared helpers of the core tests. */
import { expect } from 'vitest';
import { F2bError } from '../src/errors.js';

/** The F2bError a promise rejects with; fails the test if it resolves or rejects with anything else. */
export async function rejected(p: Promise<unknown>): Promise<F2bError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(F2bError);
    return err as F2bError;
  }
  throw new Error('expected an F2bError, the promise resolved');
}
