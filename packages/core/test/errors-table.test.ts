import { describe, expect, it } from 'vitest';
import { errors } from '../src/errors.js';
import { controlErrors } from '../src/control/errors.js';
import { exitClassOf } from '@f2b/kit';

// The codes the CLI exited 2 for when it kept its own lists; the tables must say the same.
const USAGE = [
  'F2B_ERR_USAGE',
  'F2B_ERR_CONFIG_INVALID',
  'F2B_ERR_CONFIG_NOT_FOUND',
  'F2B_ERR_CONFIG_PARSE',
  'F2B_ERR_CONFIG_UNTRUSTED',
  'F2B_ERR_CONFIG_CODE_REFUSED',
  'F2B_ERR_CONFIG_LIMIT',
  'F2B_ERR_PLUGIN_UNTRUSTED',
  'F2B_ERR_FILTER_NOT_FOUND',
  'F2B_ERR_PLUGIN_NOT_FOUND',
  'F2B_ERR_PLUGIN_VERSION_MISMATCH',
  'F2B_ERR_PLUGIN_INVALID',
  'F2B_ERR_PLUGIN_OPTIONS',
  'F2B_ERR_MODE_UNKNOWN',
  'F2B_ERR_DURATION_INVALID',
  'F2B_ERR_ADDRESS_INVALID',
  'F2B_ERR_TIMEZONE_INVALID',
  'F2B_ERR_PATTERN_INVALID',
  'F2B_ERR_PATTERN_UNSUPPORTED',
  'F2B_ERR_FILTER_NO_HOST',
  'F2B_ERR_STATE_PATH',
  'F2B_ERR_STATE_DIR',
  'F2B_ERR_STATE_READONLY',
  'F2B_ERR_STATE_VERSION',
  'F2B_ERR_CONTROL_UNKNOWN_JAIL',
  'F2B_ERR_CONTROL_BAD_ARGS',
  'F2B_ERR_CONTROL_UNKNOWN_COMMAND',
  'F2B_ERR_SOURCE_UNKNOWN',
  'F2B_ERR_SOURCE_NOT_FOUND',
  'F2B_ERR_SOURCE_JOURNALD_MISSING',
  'F2B_ERR_JAIL_WATCHES_NOTHING',
  'F2B_ERR_NOTHING_WATCHED',
  'F2B_ERR_DASHBOARD_PAGE',
  'F2B_ERR_FILE',
  'F2B_ERR_FILE_EXISTS',
  'F2B_ERR_IMPORT_SOURCE',
  'F2B_ERR_CONFIG_FORMAT',
];

describe('the core errors table', () => {
  const rows = [...Object.values(errors), ...Object.values(controlErrors)];

  it('keys every row by its code and gives each code one exit class', () => {
    for (const [key, factory] of [...Object.entries(errors), ...Object.entries(controlErrors)]) {
      expect(factory.code).toBe(key);
      expect(key).toMatch(/^F2B_ERR_[A-Z0-9_]+$/);
      expect(exitClassOf(key)).toBe(factory.exit);
    }
  });

  it('exits 2 for exactly the usage and configuration codes', () => {
    const usage = rows
      .filter((f) => f.exit === 'usage')
      .map((f) => f.code)
      .sort();
    expect(usage).toEqual([...USAGE].sort());
  });

  it('keeps the sentences of codes with several cases', () => {
    expect(errors.F2B_ERR_DURATION_INVALID('1x', 'bantime').message).toBe('"1x" is not a duration.');
    expect(errors.F2B_ERR_DURATION_INVALID(0, 'bantime', { problem: 'is zero', fix: 'f' })).toMatchObject({
      message: 'The duration 0 is zero.',
      fix: 'f',
      path: 'bantime',
    });
    expect(errors.F2B_ERR_PATTERN_INVALID({ filter: 'sshd', rule: 'r1' }, 'missing )').message).toBe(
      'The rule "r1" of the filter "sshd" is not a valid RE2 pattern: missing ).',
    );
    expect(errors.F2B_ERR_PATTERN_INVALID('The --pattern', 'missing )').message).toBe('The --pattern is not a valid RE2 pattern: missing ).');
    expect(errors.F2B_ERR_CONFIG_NOT_FOUND('/x/b.yaml', { spec: './b.yaml', by: '/x/a.yaml', path: 'extends.0' })).toMatchObject({
      message: 'The config "./b.yaml" named in "extends" does not exist (looked for /x/b.yaml).',
      file: '/x/a.yaml',
      path: 'extends.0',
    });
    expect(errors.F2B_ERR_CONFIG_INVALID('a.b', 'is bad', 'fix it', { file: 'f.yaml', path: 'x.y' })).toMatchObject({
      message: 'The value at "a.b" is bad.',
      file: 'f.yaml',
      path: 'x.y',
    });
    expect(controlErrors.F2B_ERR_CONTROL_SOCKET('/s', { occupied: 'in the way' }).message).toBe('Cannot use "/s" as the control socket: in the way.');
    expect(controlErrors.F2B_ERR_CONTROL_SOCKET('/s', { cause: Object.assign(new Error('denied.'), { code: 'EACCES' }) })).toMatchObject({
      message: 'Cannot create the control socket "/s": denied.',
      fix: expect.stringContaining('Run f2b as root'),
    });
  });
});
