/**
 * `@f2b/core/engine`: the filter engine and what loads filters — for `f2b test-filter`, which
 * needs nothing of the daemon, the store, the control socket or the dashboard. The whole of
 * `@f2b/core` is about twice the modules; its start-up was a large part of running test-filter on
 * a small file. The same modules as `@f2b/core` itself: objects from either entry are one and the same.
 */
export { Core, type CoreOptions } from './core.js';
export { FilterRunner, defaultReducer, type FilterRunnerOptions, type Hit, type FindExplanation } from './filter/engine.js';
export { expandPattern, resolveMode, validatePattern } from './filter/compile.js';
export type { FilterDefinition, FilterRule, RuleMatch, Reducer, ReducerContext, FailureDraft } from './filter/types.js';
export { EntryParser, type LineFormat, type EntryParserOptions } from './entry.js';
export { hostZoneName } from './timezone.js';
export { DateParser, formatIsoWithOffset, type DateMatch, type DateParserOptions } from './dates.js';
export { parseJournalJsonLine, journalRecordToEntry } from './journal.js';
export {
  discoverPlugins,
  findNamedProvider,
  findProvider,
  candidatePackages,
  loadPlugin,
  searchDirs,
  type DiscoveredPackage,
  type ProviderKind,
} from './resolve.js';
export { F2bError, errors, isF2bError, messageOf } from './errors.js';
export { escapeControls, escapeDeep, escapeLines, jsonText } from './escape.js';
export type { LogEntry, Failure } from './types.js';
