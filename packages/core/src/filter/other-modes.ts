/**
 * The failure rules a filter has but its mode leaves out (sshd's `ddos`/`aggressive`-only rules in
 * `normal` mode). The engine never counts their matches, yet "a rule would have counted this line
 * in mode X" is exactly what `f2b explain` owes someone who wonders why an address that hammered
 * sshd was not banned. Only lines the mode's own rules did not count reach this matcher; most of
 * them start like none of its rules and cost one prefix dispatch (no RE2 call), and repeated
 * messages are memoised as in the engine.
 */
import { compileRule, type CompiledRule } from './compile.js';
import { Dispatcher } from './dispatch.js';
import { MessageMemo } from './message-memo.js';
import type { FilterDefinition } from './types.js';
import { parseIp } from '../ip.js';

/** A line that a failure rule of other modes matched, with an address as its host. */
export interface OtherModeMatch {
  /** The address (canonical text). */
  readonly host: string;
  readonly rule: string;
  /** The modes in which the rule counts the line. */
  readonly modes: readonly string[];
  readonly captures: Readonly<Record<string, string>>;
}

const MEMO_LIMIT = 1024;

export class OtherModeRules {
  private readonly rules: CompiledRule[];
  private readonly dispatcher: Dispatcher;
  private readonly memo: MessageMemo<OtherModeMatch | null>;

  private constructor(rules: CompiledRule[], volatilePorts: boolean) {
    this.rules = rules;
    this.dispatcher = new Dispatcher(rules.map((r) => r.re.source));
    this.memo = new MessageMemo(MEMO_LIMIT, volatilePorts);
  }

  /** The matcher for `mode`, or null when every failure rule of the filter is active in it. */
  static of(def: FilterDefinition, mode: string): OtherModeRules | null {
    const others = def.rules.filter(
      (r) => (r.kind ?? 'failure') === 'failure' && r.modes !== undefined && !r.modes.includes(mode) && (r.on ?? 'message') === 'message',
    );
    if (others.length === 0) return null;
    return new OtherModeRules(
      others.map((r) => compileRule(def.id, r)),
      def.volatilePorts === true,
    );
  }

  /** The first rule of other modes matching the message `buf[start, end)` with an address, or null. */
  match(buf: Buffer, start: number, end: number): OtherModeMatch | null {
    const n = this.dispatcher.candidates(buf, start, end);
    if (n === 0) return null;
    const cached = this.memo.get(buf, start, end);
    if (cached !== undefined) return cached;
    const found = Array.from(this.dispatcher.found.subarray(0, n));
    const text = buf.toString('utf8', start, end);
    let out: OtherModeMatch | null = null;
    for (const i of found) {
      out = this.exec(this.rules[i]!, text);
      if (out) break;
    }
    // A capture holding ` port ` (a crafted user name) is never shared with another line's memo entry.
    const portInCapture = out !== null && Object.values(out.captures).some((v) => v.includes(' port '));
    this.memo.set(buf, start, end, out, portInCapture);
    return out;
  }

  /**
   * Every rule of other modes whose pattern matches the message, with its modes (`f2b test-filter
   * --explain`: slow, no dispatch or memo, never on the daemon's path).
   */
  explain(text: string): { rule: string; modes: string[]; host?: string }[] {
    const out: { rule: string; modes: string[]; host?: string }[] = [];
    for (const r of this.rules) {
      if (!r.re.test(text)) continue;
      const m = this.exec(r, text);
      out.push({ rule: r.rule.id, modes: [...r.rule.modes!], ...(m ? { host: m.host } : {}) });
    }
    return out;
  }

  private exec(compiled: CompiledRule, text: string): OtherModeMatch | null {
    const m = compiled.re.exec(text);
    if (!m) return null;
    const groups: Record<string, string> = {};
    compiled.names.forEach((name, i) => {
      if (name !== null && name !== undefined && i > 0 && m[i] !== undefined) groups[name] = m[i];
    });
    // Only addresses: a host name would need a lookup, and explain is asked about addresses.
    const raw = groups.host;
    const ip = raw === undefined ? null : parseIp(raw.replace(/^\[|\]$/g, ''));
    if (!ip) return null;
    const captures: Record<string, string> = {};
    for (const g of compiled.groups) if (groups[g] !== undefined) captures[g] = groups[g];
    return { host: ip.text, rule: compiled.rule.id, modes: [...compiled.rule.modes!], captures };
  }
}
