import { describe, expect, it } from 'vitest';
import { pathToFileURL } from 'node:url';
import { fileURLToPath } from 'node:url';
import { F2B_ERROR, F2bError, defineErrors, exitClassOf, isF2bError, relocateError } from '../src/index.js';

const table = defineErrors({
  F2B_ERR_KIT_TEST_BAD: {
    exit: 'usage',
    make: (name: string, path?: string) => ({ message: `The thing "${name}" is bad.`, fix: `Rename "${name}".`, path }),
  },
  F2B_ERR_KIT_TEST_DOWN: {
    exit: 'failure',
    make: () => ({ message: 'The thing is down.', fix: 'Wait.' }),
  },
});

describe('defineErrors', () => {
  it('makes one factory per code, with the message, fix, details and exit class of its row', () => {
    const err = table.F2B_ERR_KIT_TEST_BAD('x', 'jails.a.b');
    expect(err).toBeInstanceOf(F2bError);
    expect(err).toMatchObject({ code: 'F2B_ERR_KIT_TEST_BAD', message: 'The thing "x" is bad.', fix: 'Rename "x".', path: 'jails.a.b', exit: 'usage' });
    expect(err.describe()).toBe('F2B_ERR_KIT_TEST_BAD: jails.a.b: The thing "x" is bad.\n  Fix: Rename "x".');
    expect(table.F2B_ERR_KIT_TEST_DOWN().exit).toBe('failure');
    expect(table.F2B_ERR_KIT_TEST_BAD.code).toBe('F2B_ERR_KIT_TEST_BAD');
  });

  it('knows the exit class of each code, also for an error rebuilt from its code alone (the control socket)', () => {
    expect(exitClassOf('F2B_ERR_KIT_TEST_BAD')).toBe('usage');
    expect(exitClassOf('F2B_ERR_KIT_TEST_DOWN')).toBe('failure');
    expect(exitClassOf('F2B_ERR_KIT_NEVER_DEFINED')).toBeUndefined();
    expect(new F2bError('F2B_ERR_KIT_TEST_BAD', 'rebuilt').exit).toBe('usage');
    expect(new F2bError('F2B_ERR_KIT_NEVER_DEFINED', 'unknown').exit).toBe('failure');
  });

  it('relocates an error to the file and key path that wrote the value, keeping the rest', () => {
    const err = relocateError(table.F2B_ERR_KIT_TEST_BAD('x', 'a'), { file: '/etc/f2b/base.yaml', path: 'jails.x' });
    expect(err).toMatchObject({
      code: 'F2B_ERR_KIT_TEST_BAD',
      message: 'The thing "x" is bad.',
      fix: 'Rename "x".',
      file: '/etc/f2b/base.yaml',
      path: 'jails.x',
      exit: 'usage',
    });
  });
});

describe('isF2bError', () => {
  it('recognises an error of another copy of the kit by its brand, where instanceof does not', async () => {
    // A second instance of the module, as a plugin with its own node_modules/@f2b/kit would load.
    const url = pathToFileURL(fileURLToPath(new URL('../src/errors.ts', import.meta.url))).href;
    const copy = (await import(`${url}?copy=2`)) as typeof import('../src/errors.js');
    const foreign = new copy.F2bError('F2B_ERR_KIT_TEST_BAD', 'from the copy');
    expect(copy.F2bError).not.toBe(F2bError);
    expect(foreign instanceof F2bError).toBe(false);
    expect(isF2bError(foreign)).toBe(true);
    expect(F2B_ERROR).toBe(Symbol.for('f2b.error'));
  });

  it('does not take look-alikes for f2b errors (no duck typing)', () => {
    const lookalike = Object.assign(new Error('x'), { code: 'F2B_ERR_USAGE', fix: 'y' });
    expect(isF2bError(lookalike)).toBe(false);
    expect(isF2bError({ code: 'F2B_ERR_USAGE', message: 'x' })).toBe(false);
    expect(isF2bError(null)).toBe(false);
    expect(isF2bError('F2B_ERR_USAGE')).toBe(false);
  });
});
