/**
 * `@f2b/store-sqlite`: f2b's default state store. `state: { type: sqlite, path }` in the config.
 */
import { createRequire } from 'node:module';
import { definePlugin } from '@f2b/core';
import { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
import { checkStatePath } from './path-check.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export const sqliteStoreSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  properties: { path: { type: 'string', minLength: 1 }, synchronous: { enum: ['normal', 'full'] } },
};

export default function sqliteStore() {
  return definePlugin({
    meta: { name: '@f2b/store-sqlite', version, core: '^0.1.0', kind: 'other' },
    apply(core) {
      core.registerStore({
        type: 'sqlite', schema: sqliteStoreSchema,
        create: (options) => new SqliteStore(options as unknown as SqliteStoreOptions),
        check: (options) => checkStatePath(String(options.path)),
      });
    },
  });
}

export { SqliteStore, type SqliteStoreOptions };
export { MIGRATIONS } from './migrations.js';
export { checkStatePath, assertDatabaseWritable } from './path-check.js';
