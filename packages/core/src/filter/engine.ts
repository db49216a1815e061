/**
 * Runs one filter (in one mode) over entries: program prefilter → one RE2.Set test over all rules →
 * the first matching rule's exec (memoised per message) → the reducer. The order is chosen for speed:
 * most log lines are rejected by a string compare or a single `Set.test`, and brute-force attacks
 * repeat identical messages, so exec runs once per distinct message.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { checkHost, compileRule, resolveMode, rulesForMode, RE2, type CompiledRule } from './compile.js';
import { Dispatcher } from './dispatch.js';
import { AddressCache } from './address-cache.js';
import { MemoPacer } from './memo-pacer.js';
import { MessageMemo } from './message-memo.js';
import { OtherModeRules, type OtherModeMatch } from './other-modes.js';
import { RangeEntry } from '../entry.js';
import type { FailureDraft, FilterDefinition, FilterRule, Reducer, RuleMatch } from './types.js';
import type { Failure, LogEntry, SuccessEvent } from '../types.js';
import { checkOptions } from '../validate.js';
import { parseIp, type IpAddress } from '../ip.js';
import { createLogger, type Logger } from '../logger.js';

/**
 * Which rule matched (index into the mode's message rules; negative: line rules), with the validated
 * host and the captures. Plain data, so it can cross a worker boundary.
 */
export interface Hit {
  readonly index: number;
  readonly host?: string;
  /** `host` parsed, when it is an address: the one parse of it on its way to the firewall. */
  readonly ip?: IpAddress;
  readonly captures: Readonly<Record<string, string>>;
}

const MEMO_LIMIT = 8192;
/**
 * Up to this many candidate rules are tried one by one (each call into RE2 converts the string
 * again); more go through the one RE2.Set pass over the message's bytes first. Measured side by
 * side (300 k lines, CPU seconds): 4 made postfix, whose rules share long prefixes, 70 % slower than
 * the Set; 2 keeps postfix and nginx at the Set's speed and sshd a little faster.
 */
const MAX_DIRECT = 2;

/** How `find` went for one entry (`f2b test-filter --explain`): the prefilters, then each rule. */
export interface FindExplanation {
  /** Why the literal prefilters let the line through or stopped it. */
  prefilter: { passed: boolean; why: string };
  /**
   * The rules whose patterns were tested (after the prefilters), in order: the message rules the
   * prefix dispatcher hands the message to, then the line rules when none of those matched.
   */
  tried: string[];
  /** The message rules the dispatcher did not hand the message to: it starts with none of their literal prefixes. */
  skipped: string[];
  /** The rules whose patterns matched, in order, each with its host and captures or why it was passed over. */
  matched: { rule: string; on: 'message' | 'line'; host?: string; captures?: Record<string, string>; rejected?: string }[];
  /** The rule `find` chose, or null. */
  chosen: string | null;
  /**
   * Failure rules of other filter modes whose patterns match the message (never counted in this
   * mode), with the modes that count them; absent when none does.
   */
  otherModes?: { rule: string; modes: string[]; host?: string }[];
}

export interface FilterRunnerOptions {
  mode?: string;
  options?: Record<string, unknown>;
  /** Config path, for error messages. */
  path?: string;
  /** For the reducer's warnings; default: stderr as `filter-<id>`. */
  logger?: Logger;
  /** Called, in log order, for every match of a `success` rule that has a host (the jail's tracker). */
  onSuccess?(success: SuccessEvent): void;
  /**
   * Called for a line that the mode counted nothing of but a failure rule of other modes matches
   * (`f2b explain` says which mode would have counted it). Without it those rules are not compiled.
   */
  onOtherMode?(match: OtherModeMatch, line: string, time: number): void;
  /**
   * false: failures carry no line text (`lines` is empty), for a caller that reads only their ids,
   * counts and captures — test-filter, which would otherwise decode every failing line of the log
   * into a string it never prints. Default true: the jail keeps the lines with its bans.
   */
  failureLines?: boolean;
}

/** A reducer's saved state, as the jail checkpoints it (store key `<jail>/filter`). */
export interface FilterState {
  filter: string;
  mode: string;
  state: unknown;
}

export class FilterRunner {
  readonly def: FilterDefinition;
  readonly mode: string;
  private readonly programs: ReadonlySet<string> | null;
  private readonly programPrefixes: readonly string[];
  /** Keywords of all active message rules (null: some rule has none, no keyword prefilter). */
  private readonly keywords: readonly Buffer[] | null;
  private readonly messageRules: CompiledRule[];
  private readonly lineRules: CompiledRule[];
  private readonly hasMessageRules: boolean;
  /** Made when a message first has more than MAX_DIRECT candidates (or for explain): see messageSet. */
  private madeMessageSet: InstanceType<typeof RE2.Set> | undefined;
  private readonly dispatcher: Dispatcher;
  private readonly reducer: Reducer;
  private readonly onSuccess: ((success: SuccessEvent) => void) | undefined;
  private readonly memo: MessageMemo<MemoAnswer | null>;
  /** Leaves the memo aside while it answers almost nothing (a log of unique messages). */
  private readonly pacer = new MemoPacer();
  /** The memo masks addresses (`FilterDefinition.volatileAddresses`): its answers may be carried over to another address. */
  private readonly volatileAddresses: boolean;
  private readonly otherModes: OtherModeRules | null;
  private readonly onOtherMode: FilterRunnerOptions['onOtherMode'];
  /** The rules of other modes for `explain` (built at its first call: test-filter only). */
  private explainOtherModes: OtherModeRules | null | undefined;
  private readonly failureLines: boolean;
  /**
   * The one match a transient reducer is handed, refilled for every line: it keeps nothing of it
   * (Reducer.transient), so an object per recognised line would be garbage alone.
   */
  private readonly reused = new ReusedMatch();
  /** Matches per rule id, for statistics. */
  readonly ruleHits = new Map<string, number>();

  constructor(def: FilterDefinition, opts: FilterRunnerOptions = {}) {
    this.def = def;
    this.mode = resolveMode(def, opts.mode, opts.path && `${opts.path}.mode`);
    const options = { ...(opts.options ?? {}) };
    const schema = def.schema ?? def.options;
    if (schema) checkOptions(schema, options, opts.path ? `${opts.path}.options` : 'options', `filter ${def.id}`);
    this.programs = def.programs ? new Set(def.programs.filter((p) => !p.endsWith('*'))) : null;
    this.programPrefixes = (def.programs ?? []).filter((p) => p.endsWith('*')).map((p) => p.slice(0, -1));
    this.volatileAddresses = def.volatileAddresses === true;
    this.memo = new MessageMemo(MEMO_LIMIT, def.volatilePorts === true, this.volatileAddresses);
    const rules = rulesForMode(def, this.mode).map((r) => compileRule(def.id, r));
    this.messageRules = rules.filter((r) => (r.rule.on ?? 'message') === 'message');
    this.lineRules = rules.filter((r) => r.rule.on === 'line');
    const kw = this.messageRules.every((r) => r.rule.keywords && r.rule.keywords.length > 0)
      ? [...new Set(this.messageRules.flatMap((r) => r.rule.keywords!))]
      : null;
    this.keywords = kw && kw.length > 0 && this.lineRules.length === 0 ? kw.map((k) => Buffer.from(k, 'utf8')) : null;
    this.hasMessageRules = this.messageRules.length > 0;
    this.dispatcher = new Dispatcher(this.messageRules.map((r) => r.re.source));
    this.onSuccess = opts.onSuccess;
    this.onOtherMode = opts.onOtherMode;
    this.otherModes = opts.onOtherMode ? OtherModeRules.of(def, this.mode) : null;
    this.failureLines = opts.failureLines !== false;
    const logger = opts.logger ?? createLogger(`filter-${def.id}`);
    this.reducer = def.createReducer?.({ mode: this.mode, options, logger }) ?? defaultReducer();
  }

  /**
   * One RE2.Set over the message rules' patterns, for a message the dispatch hands to more than
   * MAX_DIRECT of them: built at the first such message (a few ms for sshd's rules, and most of
   * sshd's messages reach one or two — a small log may never need it). The rules themselves were
   * compiled, and so checked, in the constructor.
   */
  private get messageSet(): InstanceType<typeof RE2.Set> {
    return (this.madeMessageSet ??= new RE2.Set(this.messageRules.map((r) => r.re.source)));
  }

  /** The stateless part: which rule matches an entry. Pure: the same message, the same answer. */
  find(entry: LogEntry): Hit | null {
    if (this.programs !== null && !this.programAllowed(entry.program)) return null;
    if (this.keywords !== null && !this.hasKeyword(entry.message)) return null;
    // A parsed line's message is read where it lies in the read buffer: no view per line.
    let hit: Hit | null;
    if (entry instanceof RangeEntry && entry.messageInBuffer) hit = this.matchMessage(entry.buf, entry.msgStart, entry.end);
    else {
      const m = entry.message;
      hit = this.matchMessage(m, 0, m.length);
    }
    return hit ?? (this.lineRules.length > 0 ? this.matchLine(entry.raw) : null);
  }

  /**
   * What `find` does with an entry, step by step, for people debugging a filter: slower (no memo,
   * every matching rule is run), never on the daemon's path. Its choice is the one `find` makes.
   */
  explain(entry: LogEntry): FindExplanation {
    const out: FindExplanation = { prefilter: { passed: true, why: 'no prefilter' }, tried: [], skipped: [], matched: [], chosen: null };
    if (this.programs !== null) {
      const names = [...this.programs, ...this.programPrefixes.map((p) => `${p}*`)].join(', ');
      if (!this.programAllowed(entry.program)) {
        out.prefilter = {
          passed: false,
          why:
            entry.program === undefined
              ? `the line has no program name; the filter reads only ${names}`
              : `the program ${JSON.stringify(entry.program)} is not one the filter reads (${names})`,
        };
        return out;
      }
      out.prefilter = { passed: true, why: `the program ${JSON.stringify(entry.program)} is one the filter reads` };
    }
    if (this.keywords !== null) {
      if (!this.hasKeyword(entry.message)) {
        out.prefilter = { passed: false, why: "the message holds none of the rules' keywords" };
        return out;
      }
      out.prefilter = { passed: true, why: `${out.prefilter.why === 'no prefilter' ? '' : `${out.prefilter.why}; `}the message holds a rule keyword` };
    }
    const text = entry.message.toString('utf8');
    const candidates = this.hasMessageRules ? new Set(this.messageSet.match(matchable(entry.message, text))) : new Set<number>();
    const consider = (compiled: CompiledRule, on: 'message' | 'line', subject: string, index: number, matches: boolean) => {
      out.tried.push(compiled.rule.id);
      if (!matches) return;
      const hit = execRule(compiled, subject, index);
      if (hit) {
        out.matched.push({ rule: compiled.rule.id, on, ...(hit.host !== undefined ? { host: hit.host } : {}), captures: { ...hit.captures } });
        out.chosen ??= compiled.rule.id;
      } else {
        out.matched.push({
          rule: compiled.rule.id,
          on,
          rejected: compiled.re.exec(subject) ? 'its host is neither an address nor a host name the rule allows' : 'the pattern does not match the whole text',
        });
      }
    };
    // Only the rules find() reaches: a rule the dispatch skips is never run on this message, so
    // listing it as tried would send whoever debugs a filter after the wrong pattern.
    const dispatched = new Set(this.dispatchedIndices(entry.message));
    this.messageRules.forEach((r, i) => {
      if (dispatched.has(i)) consider(r, 'message', text, i, candidates.has(i));
      else out.skipped.push(r.rule.id);
    });
    if (out.chosen === null) {
      const raw = entry.raw.toString('utf8');
      this.lineRules.forEach((r, i) => consider(r, 'line', raw, -i - 1, r.re.test(raw)));
    }
    this.explainOtherModes ??= OtherModeRules.of(this.def, this.mode);
    const others = this.explainOtherModes?.explain(text) ?? [];
    if (others.length > 0) out.otherModes = others;
    return out;
  }

  /**
   * The ids of the message rules the prefix dispatcher hands `message` to, in rule order (for
   * `--explain`). It copies the dispatcher's answer into a new array; find() reads the dispatcher's
   * own buffer and never calls this, so the daemon's path is unchanged.
   */
  dispatchedRules(message: Buffer): string[] {
    return this.dispatchedIndices(message).map((i) => this.messageRules[i]!.rule.id);
  }

  private dispatchedIndices(message: Buffer): number[] {
    // Without message rules find() stops before the dispatch: nothing is handed on.
    if (!this.hasMessageRules) return [];
    const n = this.dispatcher.candidates(message, 0, message.length);
    return Array.from(this.dispatcher.found.subarray(0, n));
  }

  /** The rule match for an entry, or null. */
  match(entry: LogEntry, now: number): RuleMatch | null {
    const hit = this.find(entry);
    return hit ? this.toMatch(entry, hit, entry.time ?? now) : null;
  }

  /** Match and reduce: the failures this entry completes (possibly with 0 attempts). */
  process(entry: LogEntry, now: number): Failure[] {
    const hit = this.find(entry);
    const failures = hit ? this.reduce(entry, hit, now) : [];
    // A line the mode counted nothing of (no match, or an info rule's): would another mode count it?
    if (this.otherModes !== null && (hit === null || this.isInfo(hit)) && !failures.some((f) => f.attempts > 0)) this.checkOtherModes(entry, now);
    return failures;
  }

  private isInfo(hit: Hit): boolean {
    const compiled = hit.index >= 0 ? this.messageRules[hit.index]! : this.lineRules[-hit.index - 1]!;
    return compiled.rule.kind === 'info';
  }

  private checkOtherModes(entry: LogEntry, now: number): void {
    if (this.programs !== null && !this.programAllowed(entry.program)) return;
    let m: OtherModeMatch | null;
    if (entry instanceof RangeEntry && entry.messageInBuffer) m = this.otherModes!.match(entry.buf, entry.msgStart, entry.end);
    else {
      const msg = entry.message;
      m = this.otherModes!.match(msg, 0, msg.length);
    }
    if (m === null) return;
    const line = entry instanceof RangeEntry ? entry.buf.toString('utf8', entry.start, entry.end) : entry.raw.toString('utf8');
    this.onOtherMode!(m, line, entry.time ?? now);
  }

  /**
   * The stateful part, in log order: the failures a found hit completes. Separate from `find` so
   * that finding can run in parallel (workers) while reducing stays sequential.
   */
  reduce(entry: LogEntry, hit: Hit, now: number): Failure[] {
    // A reducer that keeps nothing of its matches gets the entry and the memoised captures as they
    // are, in the one reused match.
    const time = entry.time ?? now;
    const m = this.reducer.transient === true ? this.reused.fill(this.ruleOf(hit), entry, hit.host, hit.captures, time) : this.toMatch(entry, hit, time);
    this.ruleHits.set(m.rule.id, (this.ruleHits.get(m.rule.id) ?? 0) + 1);
    if (m.rule.success === true && m.host !== undefined && this.onSuccess) this.onSuccess(toSuccess(m, this.def.id, time, hit));
    const out = this.reducer.reduce(m);
    if (!out) return [];
    // The line where it lies in the read buffer: no view made for it.
    const line = !this.failureLines ? null : entry instanceof RangeEntry ? entry.buf.toString('utf8', entry.start, entry.end) : entry.raw.toString('utf8');
    return Array.isArray(out) ? out.map((d) => toFailure(d, this.def.id, time, line, hit)) : [toFailure(out, this.def.id, time, line, hit)];
  }

  private programAllowed(program: string | undefined): boolean {
    if (program === undefined) return false;
    if (this.programs!.has(program)) return true;
    for (const p of this.programPrefixes) if (program.startsWith(p)) return true;
    return false;
  }

  private hasKeyword(message: Buffer): boolean {
    for (const k of this.keywords!) if (message.indexOf(k) !== -1) return true;
    return false;
  }

  private toMatch(entry: LogEntry, hit: Hit, time: number): RuleMatch {
    // Matches may be kept: a parser's shared entry (the next line overwrites it) is detached, and
    // the captures are a copy, as the memoised hit is shared by every entry with this message.
    return this.matchOf(hit, entry instanceof RangeEntry ? entry.detach() : entry, { ...hit.captures }, time);
  }

  private matchOf(hit: Hit, entry: LogEntry, captures: Readonly<Record<string, string>>, time: number): RuleMatch {
    return { rule: this.ruleOf(hit), entry, host: hit.host, captures, time };
  }

  private ruleOf(hit: Hit): FilterRule {
    return (hit.index >= 0 ? this.messageRules[hit.index]! : this.lineRules[-hit.index - 1]!).rule;
  }

  sweep(now: number): void {
    this.reducer.sweep?.(now);
  }

  /**
   * The reducer's state for a checkpoint, tagged with the filter and mode it belongs to (a reload
   * may change either), or undefined when the reducer keeps none.
   */
  exportState(): FilterState | undefined {
    if (!this.reducer.exportState) return undefined;
    const state = this.reducer.exportState();
    return state === undefined ? undefined : { filter: this.def.id, mode: this.mode, state };
  }

  /** The reducer's `stateSize()`, if it has one. */
  stateSize(): number | undefined {
    return this.reducer.stateSize?.();
  }

  /** Take back a saved state; one of another filter or mode is ignored. */
  importState(saved: unknown): boolean {
    if (!this.reducer.importState || typeof saved !== 'object' || saved === null) return false;
    const s = saved as Partial<FilterState>;
    if (s.filter !== this.def.id || s.mode !== this.mode || s.state === undefined) return false;
    this.reducer.importState(s.state);
    return true;
  }

  private matchMessage(buf: Buffer, start: number, end: number): Hit | null {
    if (!this.hasMessageRules) return null;
    // No rule starts like this message (most lines of a service): nothing decoded, no RE2 call.
    const candidates = this.dispatcher.candidates(buf, start, end);
    if (candidates === 0) return null;
    // Memo first, for misses too: the lines of a brute-force attack and the daily noise of a
    // service repeat, and a lookup by the message's bytes is far cheaper than an RE2 pass. With
    // volatile ports, messages that differ only in ` port <digits>` share one entry — every
    // connection has its own source port, so this is what makes repeated attacks hit the memo.
    if (!this.pacer.ask()) return this.matchNew(buf.subarray(start, end), candidates);
    const cached = this.memo.get(buf, start, end);
    this.pacer.asked(cached !== undefined);
    if (cached !== undefined) {
      if (cached === null) return null;
      const carried = cached.hostToken === -1 ? cached.hit : cached.hostToken < 0 ? undefined : this.carriedOver(cached, buf, start, end);
      if (carried !== undefined) return carried;
      // The address in the host's place is no address our parser takes, or the trial failed: the
      // rules decide afresh (and the memo keeps the entry it has). The trial used the dispatcher:
      // this message's candidates again.
      return this.matchNew(buf.subarray(start, end), this.dispatcher.candidates(buf, start, end));
    }
    const hit = this.matchNew(buf.subarray(start, end), candidates);
    // A capture that itself contains ` port ` (a crafted user name) is never taken from another line.
    let exact = hit !== null && Object.values(hit.captures).some((v) => v.includes(' port '));
    let answer: MemoAnswer | null = null;
    if (hit !== null) {
      const token = this.volatileAddresses ? this.hostToken(hit, buf) : -1;
      answer = new MemoAnswer(hit, token, token < 0 ? '' : buf.toString('latin1', this.memo.addressStart(token), this.memo.addressEnd(token)));
    }
    // With addresses masked, an answer that cannot follow the address (no match, a host that is no
    // token of the message, captures holding an address) is for this very message only.
    if (this.volatileAddresses && this.memo.addressCount > 0 && (answer === null || answer.hostToken < 0)) exact = true;
    this.memo.set(buf, start, end, answer, exact);
    return hit;
  }

  /**
   * Which address token of the message (the memo's last `get`) is the hit's host, if the hit may be
   * carried over to the same message from another address, or -1: its host is an address, exactly
   * one token parses to it, and no other capture holds any token (a user name `192.0.2.7`). Whether
   * the rules really read the host from that token is tried when the hit is first carried over
   * (`tried`): most messages of a log with unique text never are.
   */
  private hostToken(hit: Hit, buf: Buffer): number {
    const memo = this.memo,
      n = memo.addressCount;
    if (hit.ip === undefined || n === 0 || memo.addressStart(n - 1) < 0) return -1;
    let found = -1;
    for (let k = 0; k < n; k++) {
      const text = buf.toString('latin1', memo.addressStart(k), memo.addressEnd(k));
      for (const v of Object.values(hit.captures)) if (v.includes(text)) return -1;
      if (knownIp(text)?.text !== hit.ip.text) continue;
      if (found >= 0) return -1;
      found = k;
    }
    return found;
  }

  /**
   * The trial before a memoised hit is first carried over to another address: the message (this
   * one, which has the memoised message's key) with every token replaced by another address of its
   * shape must give the same rule and captures, with the host token's replacement as the host. So
   * the host was read from that token — not from a text such as `192.0.2.7:22` elsewhere that
   * parses the same — and nothing else was read from any token, whatever the filter declared.
   */
  private tried(answer: MemoAnswer, buf: Buffer, start: number, end: number): boolean {
    const memo = this.memo,
      n = memo.addressCount;
    const message = buf.toString('latin1', start, end);
    let trial = '',
      at = start,
      expected = '';
    for (let k = 0; k < n; k++) {
      const s = memo.addressStart(k),
        e = memo.addressEnd(k);
      if (s < 0) return false;
      const stand = memo.addressIsV6(k) ? `2001:db8:f2b:${k + 1}::${(k + 7).toString(16)}` : `203.0.113.${250 - k}`;
      if (message.includes(stand)) return false;
      trial += buf.toString('latin1', at, s) + stand;
      at = e;
      if (k === answer.hostToken) expected = stand;
    }
    trial += buf.toString('latin1', at, end);
    const bytes = Buffer.from(trial, 'latin1');
    const candidates = this.dispatcher.candidates(bytes, 0, bytes.length);
    const again = candidates === 0 ? null : this.matchNew(bytes, candidates);
    const hit = answer.hit;
    if (again === null || again.index !== hit.index || again.ip === undefined || again.ip.text !== knownIp(expected)?.text) return false;
    const a = Object.entries(again.captures);
    return a.length === Object.keys(hit.captures).length && a.every(([name, value]) => hit.captures[name] === value);
  }

  /**
   * A memoised hit for this message from another address: the same rule and captures, the host
   * being the address in the host's token. undefined when that token is no address (the parser's
   * word, not the memo's shape).
   */
  private carriedOver(answer: MemoAnswer, buf: Buffer, start: number, end: number): Hit | undefined {
    const s = this.memo.addressStart(answer.hostToken),
      e = this.memo.addressEnd(answer.hostToken);
    if (s < 0) return undefined;
    if (sameLatin1(buf, s, e, answer.hostText)) return answer.hit;
    const ip = (tokenAddresses ??= new AddressCache()).parse(buf, s, e);
    if (ip === null) return undefined;
    if (!answer.tried) {
      answer.tried = true;
      if (!this.tried(answer, buf, start, end)) {
        // Never carried over: every message of this key is matched afresh.
        answer.hostToken = -2;
        return undefined;
      }
    }
    // The same address again (the cache hands out one object per address): the hit made for it.
    if (answer.last !== null && answer.last.ip === ip) return answer.last;
    const { index, captures } = answer.hit;
    const hit: Hit = { index, host: ip.text, ip, captures };
    answer.last = hit;
    return hit;
  }

  /** The rules' answer for a message the memo does not know; `candidates`: the dispatcher's count. */
  private matchNew(message: Buffer, candidates: number): Hit | null {
    // ASCII (nearly every line): RE2 runs on the bytes as they are, and a rule's scanner may read
    // the captures. Otherwise on the decoded text where it has U+FFFD for invalid bytes (matchable).
    const ascii = isAscii(message);
    const text = ascii ? undefined : message.toString('utf8');
    const subject = text === undefined ? message : matchable(message, text);
    let hit: Hit | null = null;
    if (candidates <= MAX_DIRECT) {
      // In rule order. A cheap `test` (no result array built) picks the rules worth reading the
      // captures of: rules that share a prefix (postfix's `NOQUEUE: reject: RCPT from`) mostly
      // miss, and an exec that misses costs as much as one that hits. A lone candidate without a
      // scanner goes straight to exec, which tells both at once.
      const found = this.dispatcher.found;
      for (let k = 0; k < candidates && hit === null; k++) {
        const i = found[k]!,
          rule = this.messageRules[i]!;
        if (candidates === 1 && !(ascii && rule.rule.scan)) hit = execRule(rule, text ?? message.toString('utf8'), i);
        else if (rule.re.test(subject)) hit = captured(rule, i, message, ascii, text);
      }
    } else {
      const indices = this.messageSet.match(subject);
      if (indices.length > 1) indices.sort((a, b) => a - b);
      for (const i of indices) {
        hit = captured(this.messageRules[i]!, i, message, ascii, text);
        if (hit) break;
      }
    }
    return hit;
  }

  private matchLine(raw: Buffer): Hit | null {
    for (let i = 0; i < this.lineRules.length; i++) {
      const r = this.lineRules[i]!;
      // Decoded only for lines with invalid bytes (see matchable) or a match, as most lines miss.
      if (!r.re.test(isUtf8(raw) ? raw : raw.toString('utf8'))) continue;
      const hit = execRule(r, raw.toString('utf8'), -i - 1);
      if (hit) return hit;
    }
    return null;
  }
}

/**
 * What RE2 runs on: the bytes, unless they are not valid UTF-8. RE2 matches nothing (not even `.`)
 * at an invalid byte, so one `\xff` in a user name would hide the whole line; the decoded text has
 * U+FFFD there instead, as fail2ban does it. Valid lines (all but a few) keep the zero-copy Buffer:
 * the decoded text only has U+FFFD when the bytes were invalid or already held one, and scanning a
 * short string for it costs far less than the match.
 */
function matchable(bytes: Buffer, text: string): Buffer | string {
  return text.indexOf('\uFFFD') === -1 ? bytes : text;
}

/**
 * The hit of a rule whose pattern RE2 found to match the message: the captures from the rule's
 * scanner (ASCII messages only; it may decline), else from RE2's exec on the decoded text.
 */
function captured(compiled: CompiledRule, index: number, message: Buffer, ascii: boolean, text: string | undefined): Hit | null {
  if (ascii && compiled.rule.scan) {
    const groups = compiled.rule.scan(message);
    if (groups !== undefined) return hitOf(compiled, groups, index);
  }
  return execRule(compiled, text ?? message.toString('utf8'), index);
}

function execRule(compiled: CompiledRule, text: string, index: number): Hit | null {
  const m = compiled.re.exec(text);
  if (!m) return null;
  const groups: Record<string, string | undefined> = {};
  const names = compiled.names;
  for (let i = 1; i < names.length; i++) {
    const name = names[i];
    if (name !== null && name !== undefined && m[i] !== undefined) groups[name] = m[i];
  }
  return hitOf(compiled, groups, index);
}

/** A hit from a rule's named groups: its host checked (an address or, for `<HOST>`, a host name) and its other captures. */
function hitOf(compiled: CompiledRule, groups: Readonly<Record<string, string | undefined>>, index: number): Hit | null {
  let host: string | undefined;
  let ip: IpAddress | null = null;
  if (compiled.hasHost) {
    const raw = groups.host;
    if (!raw) return null;
    const bracketed = raw.charCodeAt(0) === 0x5b || raw.charCodeAt(raw.length - 1) === 0x5d;
    const text = bracketed ? raw.replace(/^\[|\]$/g, '') : raw;
    ip = knownIp(text);
    if (ip) host = ip.text;
    else {
      const checked = checkHost(text, compiled.allowHostname);
      if (checked === null) return null;
      host = checked;
    }
  }
  const captures: Record<string, string> = {};
  for (const g of compiled.groups) {
    const v = groups[g];
    if (v !== undefined) captures[g] = v;
  }
  // The memo hands this hit to every line with the same message, and a transient reducer's failures
  // carry its captures as they are: frozen, so nothing downstream can change another line's.
  Object.freeze(captures);
  return ip ? { index, host, ip, captures } : { index, host, captures };
}

/**
 * Addresses parsed lately, by the text a capture had: an attack's address recurs in many distinct
 * messages (another user name, another method), and every memo miss parsed it again — an object
 * and its bytes, kept as long as the memo keeps the hit, so most of what survived the young
 * generation and made the old one grow. Shared like the hit itself (an IpAddress is read-only).
 * Emptied at once when full, like the memo.
 */
const recentIps = new Map<string, IpAddress | null>();
/** The same by the token's bytes, for hits carried over to another address (made at the first). */
let tokenAddresses: AddressCache | undefined;
const RECENT_IPS = 4096;

function knownIp(text: string): IpAddress | null {
  let ip = recentIps.get(text);
  if (ip === undefined) {
    ip = parseIp(text);
    if (recentIps.size >= RECENT_IPS) recentIps.clear();
    recentIps.set(text, ip);
  }
  return ip;
}

/**
 * The failure of a draft, carrying its address parsed (`ip`) to the tracker, the store and the
 * actions, `id` being its canonical text. A draft that names another source than the line's host (a
 * session's earlier address) is parsed here; a host name keeps no `ip`.
 */
function toFailure(d: FailureDraft, filter: string, time: number, line: string | null, hit: Hit): Failure {
  // Most drafts name the host of the line that completed them: its address was parsed at the match.
  const ip = hit.ip && d.id === hit.host ? hit.ip : parseIp(d.id);
  const captures = d.captures ?? NO_CAPTURES,
    lines = d.lines ?? (line === null ? NO_LINES : [line]);
  return ip
    ? { id: ip.text, ip, attempts: d.attempts, rule: d.rule, captures, lines, time: d.time ?? time, filter }
    : { id: d.id, attempts: d.attempts, rule: d.rule, captures, lines, time: d.time ?? time, filter };
}

const NO_CAPTURES: Readonly<Record<string, string>> = Object.freeze({});
const NO_LINES: readonly string[] = Object.freeze([]);

/**
 * What the memo keeps for a message that a rule matched: the hit, and — when the filter's addresses
 * are volatile and the host was one of the message's address tokens — which token, so that the same
 * message from another address is answered with that address (the last such hit is kept, as an
 * attack's lines from one address come together).
 */
class MemoAnswer {
  /** The last hit carried over to another address. */
  last: Hit | null = null;
  /** Whether the trial before the first carrying over was made (FilterRunner.tried). */
  tried = false;
  constructor(
    readonly hit: Hit,
    /**
     * The host's address token in the message; -1: the hit holds for this message's addresses only
     * (its entry is exact); -2: the trial failed, messages of this key are matched afresh.
     */
    public hostToken: number,
    /** That token's text as it stood in the message the hit was found for. */
    readonly hostText: string,
  ) {}
}

/** Whether `buf[s, e)` is the ASCII text `text`. */
function sameLatin1(buf: Buffer, s: number, e: number, text: string): boolean {
  if (e - s !== text.length) return false;
  for (let k = 0; k < text.length; k++) if (buf[s + k] !== text.charCodeAt(k)) return false;
  return true;
}

/** RuleMatch, refilled: see FilterRunner.reused. */
class ReusedMatch implements RuleMatch {
  rule: FilterRule = { id: '', pattern: '' };
  entry: LogEntry = undefined as unknown as LogEntry;
  host: string | undefined = undefined;
  captures: Readonly<Record<string, string>> = NO_CAPTURES;
  time = 0;

  fill(rule: FilterRule, entry: LogEntry, host: string | undefined, captures: Readonly<Record<string, string>>, time: number): RuleMatch {
    this.rule = rule;
    this.entry = entry;
    this.host = host;
    this.captures = captures;
    this.time = time;
    return this;
  }
}

function toSuccess(m: RuleMatch, filter: string, time: number, hit: Hit): SuccessEvent {
  const id = m.host!;
  const captures = { ...m.captures };
  return hit.ip ? { id, ip: hit.ip, time, rule: m.rule.id, captures, filter } : { id, time, rule: m.rule.id, captures, filter };
}

/** Every `failure` rule match that has a host is one attempt; `info` rules never fail anyone. */
export function defaultReducer(): Reducer {
  return {
    transient: true,
    reduce(m) {
      if ((m.rule.kind ?? 'failure') !== 'failure' || m.host === undefined) return null;
      return { id: m.host, attempts: 1, rule: m.rule.id, captures: { ...m.captures } };
    },
  };
}
