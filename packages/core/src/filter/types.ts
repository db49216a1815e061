/**
 * How a filter is described. A filter is data (rules with RE2 patterns) plus, when one line is not
 * enough, a reducer that keeps per-session state (sshd connections, keyed by pid) and decides how
 * many attempts a line stands for.
 */
import type { LogEntry } from '../types.js';
import type { JSONSchema } from '../validate.js';
import type { Logger } from '../logger.js';

export interface FilterRule {
  /** Stable id, reported as `rule` (e.g. `failed-password`). */
  id: string;
  /**
   * RE2 pattern, matched against the entry's message (not the raw line: the date and the
   * `host prog[pid]:` prefix are already parsed off). Anchor it (`^…$`) so that text an attacker
   * controls cannot shift the match. Placeholders:
   * `<HOST>` an IP address or a host name (named group `host`), `<ADDR>` an IP address only
   * (named group `host`), `<IP4>`, `<IP6>`. Other named groups (`(?P<user>…)`) become captures.
   */
  pattern: string;
  /** Modes in which the rule is active; all modes when omitted. */
  modes?: readonly string[];
  /**
   * `failure` (default): a match is a failure of its host. `info`: the line carries session facts
   * (a connection's address, a success) that only the reducer uses; never a failure by itself.
   */
  kind?: 'failure' | 'info';
  /**
   * A match is a success of its host (sshd's `Accepted password for …`): the engine reports it to the
   * jail, which hands it to its tracker (a tracker may forgive the address: the bucket's `cancelOn`).
   * Reported whatever `kind` says; give such a rule `kind: 'info'` so it is no failure too.
   */
  success?: boolean;
  /** Where the pattern is matched: the message (default) or the whole raw line. */
  on?: 'message' | 'line';
  /**
   * Literal prefilter: the rule can only match text containing one of these strings. When every
   * active rule of a filter has keywords, lines containing none of them skip the patterns
   * (a few `indexOf` calls instead of an RE2 pass — for logs without a program name to filter on).
   */
  keywords?: readonly string[];
  /**
   * The named groups of a message this rule's pattern matches, read by a hand-written scanner
   * instead of RE2's exec (which costs several times RE2's test: the result array and a string per
   * group built through the native boundary). Called only after RE2 found the pattern to match,
   * and only for ASCII messages. Returns the groups exactly as exec gives them (`host` included,
   * groups that did not take part left out), or undefined to leave the message to exec (a shape
   * the scanner does not read). It must read the message in linear time and be shown equal to exec
   * by a property test; it never decides whether the rule matches. Patterns from a config have none.
   */
  scan?(message: Buffer): Readonly<Record<string, string>> | undefined;
}

/** A rule that matched one entry. */
export interface RuleMatch {
  readonly rule: FilterRule;
  readonly entry: LogEntry;
  /** Normalised failure source (IP text) or a host name, when the rule has `<HOST>`/`<ADDR>`. */
  readonly host?: string;
  /** Named captures other than `host`. */
  readonly captures: Readonly<Record<string, string>>;
  /**
   * When it happened (epoch ms): the entry's time, or for a line without a date the time it was
   * read, on the core's clock. Reducers age their sessions by it (never by `Date.now()`).
   */
  readonly time: number;
}

/** What a reducer emits: a failure of `id` standing for `attempts` attempts (0 = already counted). */
export interface FailureDraft {
  id: string;
  attempts: number;
  rule: string;
  captures?: Record<string, string>;
  /** The lines that make up the failure (default: the current line). */
  lines?: string[];
  /** Time (epoch ms); defaults to the entry's time. */
  time?: number;
}

export interface ReducerContext {
  mode: string;
  options: Readonly<Record<string, unknown>>;
  /** Where the reducer reports problems with its options or environment (`filter-<id>`). */
  logger: Logger;
}

/**
 * Stateful part of a filter. `reduce` is called for every rule match, in log order, and returns the
 * failures the line completes. Keep state bounded: `sweep(now)` is called periodically to drop
 * sessions that ended or are too old.
 */
export interface Reducer {
  reduce(match: RuleMatch): FailureDraft | FailureDraft[] | null;
  /**
   * The reducer keeps nothing of a match beyond the `reduce` call — it reads the entry and the
   * captures and copies what it keeps — and never changes them. The engine then hands it matches
   * as they are, without an entry and captures of their own for every line (most of the garbage of
   * reducing a log): one match object, refilled for every line, whose captures are the memoised,
   * frozen ones (a draft may carry them on as they are). Leave it out when matches (or their
   * entries) are kept, e.g. in a list of lines.
   */
  readonly transient?: boolean;
  sweep?(now: number): void;
  /**
   * The state that must survive a restart (sessions half-way through an attempt), as plain JSON.
   * The jail saves it in the same checkpoint as the read positions, so after a restart, a reload or
   * a crash the reducer continues exactly where the saved positions resume: the lines of one attempt
   * split across a restart are counted once. A large state (a list of more than 1,000 entries: a
   * flood) goes into a checkpoint at most once a second, and always at stop and reload
   * (filter-state-saving.ts), so a crash during a flood may lose up to two seconds of it. Omit it (or
   * return undefined) when nothing is kept.
   */
  exportState?(): unknown;
  /**
   * How many entries the list in `exportState`'s state would have now (sshd: its connections), read
   * without exporting it, so that the jail knows a state is large before it makes one: the first
   * checkpoint of a burst, the one its first bans wait for, then leaves it for a second later (see
   * filter-state-saving.ts). Optional: without it, the size of the last state exported decides.
   */
  stateSize?(): number;
  /**
   * Take back a state `exportState` returned, before any line is reduced. It comes from disk: check
   * its shape and ignore what does not fit (an older version, another mode).
   */
  importState?(state: unknown): void;
}

export interface FilterDefinition {
  /** The id users know from fail2ban: `sshd`, `nginx-http-auth`. */
  id: string;
  description?: string;
  /** Modes; the first is the default unless `defaultMode` says otherwise. */
  modes?: readonly string[];
  defaultMode?: string;
  /**
   * Literal prefilter: entries from other programs are skipped before any pattern runs. A name
   * ending in `*` matches by prefix (`postfix*` for `postfix/smtpd`, `postfix-out/smtpd`).
   */
  programs?: readonly string[];
  rules: readonly FilterRule[];
  /** JSON Schema of the filter's options (`--option key=value`, `filter.options` in config). */
  schema?: JSONSchema;
  /** @deprecated The name of `schema` before @f2b/core 0.2 (the key every other definition calls `schema`). */
  options?: JSONSchema;
  /**
   * Messages that differ only in ` port <digits>` mean the same to this filter: no rule captures a
   * port number or tests particular digits. Lets the matcher memoise per attack instead of per
   * connection (each connection has its own source port).
   */
  volatilePorts?: boolean;
  /**
   * Messages that differ only in their IPv4 and IPv6 addresses mean the same to this filter, but
   * for the host: no rule tests what an address-shaped token says (a dotted quad, or a run of hex
   * digits, dots and colons with two colons or more, standing alone) other than by capturing it
   * as the host with `<ADDR>`, `<HOST>`, `<IP4>` or `<IP6>`. Lets the matcher memoise per attack
   * message instead of per message and address: a thousand addresses trying one user name cost
   * one match. A message whose answer cannot follow its address (no rule matched, a capture holds
   * an address, the host is not one of its tokens) is still memoised for itself only.
   */
  volatileAddresses?: boolean;
  /** Default reducer: every `failure` match with a host counts one attempt. */
  createReducer?(ctx: ReducerContext): Reducer;
}
