/**
 * `@f2b/core`: the plugin contract and the engine.
 */
export { Core, type CoreOptions, type Provided, type UseOptions, type LoadedPlugin } from './core.js';
export { createHooks, type Hooks, type HookName, type JailInfo } from './hooks.js';
export {
  definePlugin,
  PLUGIN_KINDS,
  type F2bPlugin,
  type PluginMeta,
  type PluginKind,
  type PluginFactory,
  type PluginApi,
  type PluginErrors,
  type TrackerDefinition,
  type TrackerInstance,
  type TrackerContext,
  type SourceDefinition,
  type SourceInstance,
  type SourceContext,
  type SourceLag,
  type SourceWatch,
  type SourceCheckContext,
  type ActionDefinition,
  type ActionInstance,
  type ActionContext,
  type StoreDefinition,
  type StoreContext,
  type ListedBan,
} from './plugin.js';
export type { FilterDefinition, FilterRule, RuleMatch, Reducer, ReducerContext, FailureDraft } from './filter/types.js';
export { FilterRunner, defaultReducer, type FilterRunnerOptions, type Hit, type FilterState, type FindExplanation } from './filter/engine.js';
export { expandPattern, resolveMode, validatePattern } from './filter/compile.js';
export { unsupportedConstruct } from './filter/re2-constructs.js';
export { classEnd } from './filter/character-class.js';
export { EntryParser, type LineFormat, type EntryParserOptions } from './entry.js';
export * from './dates.js';
export * from './ip.js';
export { parseDuration, formatDuration, MAX_DURATION_SECONDS, MONTH_SECONDS, YEAR_SECONDS } from './duration.js';
export {
  Tracker,
  escalatedBantime,
  MAX_BAN_LINES,
  type TrackerOptions,
  type BantimeIncrement,
  type AddressFailure,
  type AddressBan,
  type AddressSuccess,
  type TrackOutcome,
} from './tracker.js';
export type { FailingSource } from './failing-sources.js';
export { Jail, type JailStats, type RemoteBan } from './jail.js';
export type { FleetBan, FleetBanOutcome, FleetContext, FleetDefinition, FleetInstance, FleetJail, FleetStatus, FleetUnban } from './fleet.js';
export { FleetLink } from './fleet-link.js';
export { Daemon, type DaemonOptions } from './daemon.js';
export { limitYoungGeneration, stopYoungGenerationGrowth, YOUNG_CAP } from './heap-budget.js';
export { recidivePlugin, RECIDIVE_JAIL, RECIDIVE_FILTER, RECIDIVE_SOURCE } from './builtin/recidive.js';
export { defaultTrackerPlugin, DEFAULT_TRACKER } from './builtin/default-tracker.js';
export { pluginErrors } from './plugin-api.js';
export { StoreHealth, type StoreHealthSnapshot } from './store-health.js';
export {
  loadConfig,
  resolveConfig,
  defineConfig,
  defaultConfig,
  CONFIG_SCHEMA,
  JAIL_DEFAULTS,
  type F2bConfig,
  type JailInput,
  type TrackerInput,
  type JailConfig,
  type ResolvedConfig,
  type SourceInput,
  type FilterInput,
  type ActionInput,
  type ResolveOptions,
} from './config.js';
export { DefaultSources, type DefaultSourceOptions, type SourceChoice } from './config/default-source.js';
export { resolveUserFilters, USER_FILTERS_SCHEMA, CONFIG_FILTER_PLUGIN, type UserFilterInput } from './config/user-filters.js';
export { schemaKeys, type SchemaKey } from './config/schema-keys.js';
export { CONFIG_KEYS, COMPOSITION_KEYS, type KeyDescription } from './config/descriptions.js';
export { readDistro, parseOsRelease, distroOf, DISTRO_FAMILIES, type Distro, type DistroFamily } from './config/os-release.js';
export { serviceLogsOf, candidatePaths, type ServiceLogs } from './config/log-paths.js';
export { loadConfigChain, chainOf, originLabel, type ConfigChain, type ChainFile, type ChainOptions } from './config/chain.js';
export { Origins, type ValueOrigin } from './config/merge.js';
export { globMatch, hostMatches, matchingHostPatterns } from './config/hosts.js';
export {
  coreRangeAdmits,
  discoverPlugins,
  findProvider,
  candidatePackages,
  loadPlugin,
  resolveTrusted,
  searchDirs,
  type DiscoveredPackage,
} from './resolve.js';
export { TrustBoundary, trustBoundary, setTrustBoundary, trustedOwners, type TrustBoundaryOptions, type TrustReporter } from './trust.js';
export {
  ConfigReader,
  MAX_CONFIG_BYTES,
  MAX_YAML_ALIASES,
  MAX_CONFIG_DEPTH,
  MAX_CONFIG_VALUES,
  type ConfigReaderOptions,
  type ReadConfig,
} from './config/reader.js';
export { F2bError, errors, isF2bError, messageOf, type F2bErrorDetails } from './errors.js';
export { CATALOGUE, catalogueIds, cataloguePackage, notFoundFix, packageNotFoundFix, type CataloguePackage } from './catalogue.js';
export { closeMatches, didYouMean, editDistance } from './suggest.js';
export { localIsoTime } from '@f2b/kit';
export {
  createLogger,
  envLogFormat,
  FIELDS_IN_MESSAGE,
  logs,
  messageFields,
  memoryLogger,
  sanitizeLine,
  stderrIsJournal,
  stderrSink,
  type Logger,
  type LogFormat,
  type LogLevel,
  type LogSink,
  type StderrSinkOptions,
} from './logger.js';
export { installBanTrail, banOrigin } from './ban-trail.js';
export { viewAddress, type AddressView, type AddressJail, type AddressBanView } from './dashboard/address-view.js';
export { escapeControls, escapeDeep, escapeLines, jsonText } from './escape.js';
export { systemClock, type Clock, type TimerHandle } from './clock.js';
export { checkSchema, checkOptions, type JSONSchema, type SchemaProblem } from './validate.js';
export { CORE_VERSION } from './version.js';
export type { LogEntry, Failure, SuccessEvent, Ban, Unban, MaybePromise } from './types.js';
export { journalRecordToEntry, normalizeRecord, parseJournalJsonLine, type JournalRecord } from './journal.js';
export {
  MemoryStore,
  type Store,
  type StoreReplacement,
  type Checkpoint,
  type OutboxItem,
  type StoredFailure,
  type FailureRecord,
  type BanHistory,
} from './store.js';
export {
  PROTOCOL_VERSION,
  SUPPORTED_VERSIONS,
  MAX_REQUEST_BYTES,
  IDLE_TIMEOUT_MS,
  LineDecoder,
  encodeLine,
  errorBody,
  errorFromBody,
  type ControlRequest,
  type ControlResponse,
  type ControlErrorBody,
  type RequestId,
} from './control/protocol.js';
export { controlErrors } from './control/errors.js';
export { ReadOnlyCommands, READ_ONLY_COMMANDS, groupId, type ReadOnlyOptions } from './control/read-only.js';
export { defaultReadOnlySocket, type ReadOnlySocketConfig, type ReadOnlySocketInput } from './config/read-only-socket.js';
export { ControlServer, assertSocketFree, probeSocket, type ControlServerOptions } from './control/server.js';
export { ControlClient, controlRequest, type ControlClientOptions } from './control/client.js';
export {
  ControlCommands,
  CONTROL_COMMANDS,
  type ControlCommand,
  type ControlCommandsOptions,
  type ControlContext,
  type ControlHandler,
  type BanView,
  type BanDetail,
} from './control/handler.js';
export {
  explainAddress,
  type Explanation,
  type JailExplanation,
  type ExplainVerdict,
  type ExplainedFailure,
  type ExplainedBan,
  type NotCountedFailure,
  type OtherModeLine,
} from './control/explain.js';
export { defaultPaths, SYSTEM_DIR, checkSocketPath, MAX_SOCKET_PATH_BYTES } from './config.js';
export * from '@f2b/kit';
