/**
 * f2b.config(5) is made from the config schema and the description table beside it: every key the
 * schema accepts is described, nothing described is a key the schema has not, and `defaults` holds
 * exactly the jail keys it says it does.
 */
import { describe, expect, it } from 'vitest';
import { CONFIG_SCHEMA } from '../src/config.js';
import { schemaKeys } from '../src/config/schema-keys.js';
import { COMPOSITION_KEYS, CONFIG_KEYS } from '../src/config/descriptions.js';

describe('the config keys and their descriptions', () => {
  const keys = schemaKeys(CONFIG_SCHEMA);
  const paths = keys.map((k) => k.path);

  it('reads every key off the schema, nested objects and oneOf alternatives included', () => {
    expect(paths).toEqual(
      expect.arrayContaining(['state.path', 'readOnlySocket.mode', 'jails.<name>.filter.mode', 'jails.<name>.range.ipv4', 'jails.<name>.enabledIf.exists']),
    );
    expect(keys.find((k) => k.path === 'logLevel')).toEqual({ path: 'logLevel', types: ['string'], values: ['debug', 'info', 'notice', 'warn', 'error'] });
    expect(keys.find((k) => k.path === 'socket')).toEqual({ path: 'socket', types: ['string', 'boolean'], values: [false] });
    expect(new Set(paths).size).toBe(paths.length);
  });

  it('describes every key of the schema, and only those', () => {
    expect(paths.filter((p) => !(p in CONFIG_KEYS))).toEqual([]);
    expect(Object.keys(CONFIG_KEYS).filter((p) => !paths.includes(p))).toEqual([]);
    for (const [path, d] of Object.entries({ ...CONFIG_KEYS, ...COMPOSITION_KEYS })) {
      expect(d.text, path).toMatch(/^\S.*[.)]$/s);
    }
    // The composition keys are read before the schema: never keys of it.
    for (const k of Object.keys(COMPOSITION_KEYS)) expect(paths).not.toContain(k);
  });

  it('defaults takes the jail keys, except those its description names', () => {
    const props = (CONFIG_SCHEMA.properties as Record<string, { properties: Record<string, unknown> }>).defaults.properties;
    const jailKeys = paths.filter((p) => /^jails\.<name>\.[^.]+$/.test(p)).map((p) => p.split('.')[2]!);
    const excluded = ['enabled', 'enabledIf', 'waitForLog', 'source', 'sources', 'filter'];
    expect(Object.keys(props).sort()).toEqual(jailKeys.filter((k) => !excluded.includes(k)).sort());
    for (const k of excluded) expect(CONFIG_KEYS.defaults!.text).toContain(k);
  });
});
