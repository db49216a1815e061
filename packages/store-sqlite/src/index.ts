/**
 * `@f2b/store-sqlite`: f2b's default state store. `state: { type: sqlite, path }` in the config.
 */
import type { F2bPlugin } from '@f2b/core';
import { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
import { checkStatePath } from './path-check.js';

export const sqliteStoreSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  properties: { path: { type: 'string', minLength: 1 }, synchronous: { enum: ['normal', 'full'] } },
};

/** The plugin (its name, version and core range are in package.json). */
export default function sqliteStore(): F2bPlugin {
  return {
    apply(api) {
      api.registerStore({
        type: 'sqlite',
        schema: sqliteStoreSchema,
        // The core's errors from the api: the plugin loads without a copy of the core.
        create: (options, ctx) => new SqliteStore({ ...(options as unknown as SqliteStoreOptions), clock: ctx.clock, errors: api.errors }),
        check: (options) => checkStatePath(String(options.path), api.errors),
      });
    },
  };
}

export { SqliteStore, type SqliteStoreOptions };
export { MIGRATIONS } from './migrations.js';
export { checkStatePath, assertDatabaseWritable, type StateErrors } from './path-check.js';
