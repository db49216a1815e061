/**
 * `f2b test-filter ID LOG -c CONFIG`: a filter of the config's `filters:` (fail2ban's filter.d as
 * data), checked as `f2b config check` checks it, so a pattern tried here is the pattern the daemon
 * runs. Only the filters are read: a jail the config gets wrong elsewhere does not stop the test.
 */
import type { FilterDefinition } from '@f2b/core/engine';
import type { FilterSource } from '../plugins.js';

/** The config filter `id` of `file`, or undefined when the config has none of that id. */
export async function configFilter(file: string, id: string): Promise<{ def: FilterDefinition; source: FilterSource } | undefined> {
  // The config machinery (cosmiconfig, YAML, ajv) is loaded only for -c.
  const { loadConfig, checkSchema, errors, resolveUserFilters, USER_FILTERS_SCHEMA } = await import('@f2b/core');
  const found = await loadConfig(file);
  if (!found) throw errors.F2B_ERR_CONFIG_NOT_FOUND(file);
  const filters = found.config.filters;
  if (!filters || typeof filters !== 'object' || !Object.hasOwn(filters, id)) return undefined;
  const problem = checkSchema(USER_FILTERS_SCHEMA, filters, 'filters');
  if (problem) throw errors.F2B_ERR_CONFIG_INVALID(problem.path, problem.problem, 'See "Filters in the config" in the README.', found.file);
  const def = resolveUserFilters({ [id]: filters[id]! }, found.file)[0]!;
  return { def, source: { name: `the config ${found.file}`, dirs: [] } };
}
