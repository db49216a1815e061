/**
 * Pure nft script generation: no I/O here, so every byte that can reach `nft -f -` is produced (and
 * unit-tested) in one place.
 *
 * - Addresses never reach a script as given: a ban id is checked against the characters an address
 *   can have, parsed by core's IP code, and re-printed from its bytes (`parseBanId`).
 * - Names (table, chain, sets) were checked against strict character sets in options.ts.
 * - Deleting an element that is not there fails a whole nft transaction, and nft 1.0.x has no
 *   `destroy element`, so every delete is guarded: `add element S { x }` (idempotent) immediately
 *   followed by `delete element S { x }`. A ban refresh (new timeout) is that guard plus a new add.
 */
import { createHash } from 'node:crypto';
import { parseIp, tryParseCidr, widen, type Cidr } from '@f2b/kit';
import { nftErrors } from './errors.js';
import { setDefs, type NftConfig, type SetDef } from './options.js';
import type { F2bError } from '@f2b/core';

/** The marker of a table f2b created (and may delete again when its last jail stops). */
export const OWNED_TABLE_COMMENT = 'f2b: created by f2b, deleted when its last jail stops';

/** Characters an address or CIDR can contain (brackets for `[v6]`): anything else is refused unparsed. */
const ID_CHARS = /^[0-9A-Fa-f.:/[\]]{2,64}$/;

/** A ban id as a network (`/32`, `/128` for addresses), or null when it is not an address or CIDR. */
export function parseBanId(id: unknown): Cidr | null {
  if (typeof id !== 'string' || !ID_CHARS.test(id)) return null;
  if (id.includes('/')) return tryParseCidr(id);
  const ip = parseIp(id);
  return ip === null ? null : widen(ip, ip.bytes.length * 8);
}

/** The network to put in the set for a ban id: the id widened to the jail's prefix; null if invalid. */
export function banNetwork(id: unknown, prefix: { 4: number; 6: number }): Cidr | null {
  const c = parseBanId(id);
  if (c === null) return null;
  const p = prefix[c.version];
  // A Cidr carries the bytes and text widen() reads, so it can be narrowed further like an address.
  return c.prefix > p ? widen(c, p) : c;
}

/** A network to put in a set: what `widen` reads (version, bytes, text) plus the prefix length. */
export interface Net {
  readonly version: 4 | 6;
  readonly bytes: Uint8Array;
  readonly prefix: number;
  /** The element text nft is given (see elementText). */
  readonly text: string;
}

/**
 * banNetwork for the hot path: a plain address (the usual ban id) is parsed once and used as is,
 * with no CIDR object and no re-printing; only prefixes and CIDR ids go through widen.
 */
export function banElement(id: unknown, prefix: { 4: number; 6: number }): Net | null {
  if (typeof id !== 'string' || !ID_CHARS.test(id)) return null;
  if (id.indexOf('/') < 0) {
    const ip = parseIp(id);
    if (ip === null) return null;
    const full = ip.bytes.length * 8;
    if (prefix[ip.version] >= full) return { version: ip.version, bytes: ip.bytes, prefix: full, text: ip.text };
    const c = widen(ip, prefix[ip.version]);
    return { version: c.version, bytes: c.bytes, prefix: c.prefix, text: c.text };
  }
  const c = banNetwork(id, prefix);
  return c === null ? null : { version: c.version, bytes: c.bytes, prefix: c.prefix, text: elementText(c) };
}

/** The element text of `net` narrowed to `prefix` bits (prefix ≤ net.prefix). */
export function widenText(net: Net, prefix: number): string {
  if (prefix >= net.bytes.length * 8) return net.text;
  return widen({ version: net.version, bytes: net.bytes, text: net.text }, prefix).text;
}

/** How nft is given an element: a bare address for a host, `net/len` for a network. */
export function elementText(c: Cidr): string {
  return c.prefix === c.bytes.length * 8 ? c.text.slice(0, c.text.lastIndexOf('/')) : c.text;
}

/**
 * The longest element timeout f2b writes, in seconds (1,157 days 9 h 46 min 39 s): nft 1.0.6 refuses
 * `timeout 100000000s` with "value too large" (and a whole transaction with it). Kernels and other nft
 * versions accept more, but not all the same: longer bans are written without timeout and lifted by
 * the daemon at the end of their bantime, as permanent bans are.
 */
export const MAX_ELEMENT_TIMEOUT_S = 99_999_999;

/**
 * Kernel-side timeout for a ban ending at `end`: whole seconds left, at least 1; null = no timeout
 * (a permanent ban, or one too long for nft — see MAX_ELEMENT_TIMEOUT_S — or with an end that is
 * not a number).
 */
export function timeoutSeconds(end: number | null, now: number): number | null {
  if (end === null || !Number.isFinite(end)) return null;
  const s = Math.max(1, Math.ceil((end - now) / 1000));
  return s > MAX_ELEMENT_TIMEOUT_S || !Number.isFinite(s) ? null : s;
}

// ---------------------------------------------------------------------------------------------
// What is in the kernel: `nft -j -t list table FAMILY NAME`, reduced to what f2b compares
// ---------------------------------------------------------------------------------------------

export interface Listing {
  sets: Map<string, { type: string; flags: string[] }>;
  chains: Map<string, { type?: string; hook?: string; prio?: number; policy?: string }>;
  rules: { chain: string; handle: number; comment?: string }[];
  /** Every named object of the table (`set:NAME`, `chain:NAME`, `map:NAME`, …). */
  objects: string[];
  /**
   * Per set, its elements as f2b writes them (`192.0.2.1`, `2001:db8::/64`; ranges `a-b`), each with
   * the seconds it has left (null: no timeout): only in a full listing.
   */
  elements?: Map<string, Map<string, number | null>>;
}

/** An element of nft's JSON listing as element text (see elementText); ranges as `from-to`. */
function jsonElementText(v: unknown): string {
  if (v !== null && typeof v === 'object' && 'elem' in v) return jsonElementText((v as { elem: { val?: unknown } }).elem.val);
  if (typeof v === 'string') return v;
  if (v === null || typeof v !== 'object') return String(v);
  const o = v as { elem?: { val?: unknown }; prefix?: { addr?: unknown; len?: unknown }; range?: unknown[] };
  if (o.prefix !== undefined) return `${String(o.prefix.addr)}/${String(o.prefix.len)}`;
  if (Array.isArray(o.range)) return o.range.map(jsonElementText).join('-');
  return JSON.stringify(v);
}

/** Seconds an element of nft's JSON listing has left (its `expires`), null when it has no timeout. */
function jsonElementExpires(v: unknown): number | null {
  if (v === null || typeof v !== 'object' || !('elem' in v)) return null;
  const { expires, timeout } = (v as { elem: { expires?: unknown; timeout?: unknown } }).elem;
  if (typeof expires === 'number') return expires;
  return typeof timeout === 'number' ? timeout : null;
}

/**
 * Parses nft's JSON listing of one table; objects of other tables (if any) are ignored. With
 * `withElements` (a listing made without `-t`), the elements of each set are collected too.
 */
export function parseListing(json: string, family: string, table: string, withElements = false): Listing {
  const doc = JSON.parse(json) as { nftables?: Record<string, Record<string, unknown>>[] };
  const listing: Listing = { sets: new Map(), chains: new Map(), rules: [], objects: [] };
  for (const item of doc.nftables ?? []) {
    const [kind, o] = Object.entries(item)[0] ?? [];
    if (!kind || !o || kind === 'metainfo' || kind === 'table') continue;
    if (o.family !== family || o.table !== table) continue;
    if (kind === 'rule') {
      listing.rules.push({ chain: String(o.chain), handle: Number(o.handle), comment: typeof o.comment === 'string' ? o.comment : undefined });
      continue;
    }
    listing.objects.push(`${kind}:${String(o.name)}`);
    if (kind === 'set') {
      const flags = Array.isArray(o.flags) ? o.flags.map(String) : typeof o.flags === 'string' ? [o.flags] : [];
      listing.sets.set(String(o.name), { type: String(o.type), flags });
      if (withElements) {
        const texts = new Map<string, number | null>();
        if (Array.isArray(o.elem)) for (const el of o.elem) texts.set(jsonElementText(el), jsonElementExpires(el));
        (listing.elements ??= new Map()).set(String(o.name), texts);
      }
    } else if (kind === 'chain') {
      listing.chains.set(String(o.name), {
        type: o.type as string | undefined,
        hook: o.hook as string | undefined,
        prio: typeof o.prio === 'number' ? o.prio : undefined,
        policy: o.policy as string | undefined,
      });
    }
  }
  return listing;
}

/** True when nft's text listing of a table shows f2b's ownership comment. */
export function isOwnedTable(text: string): boolean {
  return text.includes(`comment "${OWNED_TABLE_COMMENT}"`);
}

// ---------------------------------------------------------------------------------------------
// Structure: table, sets, chain, rules
// ---------------------------------------------------------------------------------------------

export interface RuleSpec {
  /** The rule body (matches and verdict), without the comment. */
  text: string;
  /** `f2b NAME i/n HASH`: identifies f2b's rules, and changes when the rules do. */
  comment: string;
}

const ADDR = { 4: 'ip', 6: 'ip6' } as const;

/** The rules f2b wants in its chain for these options. */
export function ruleSpecs(cfg: NftConfig): RuleSpec[] {
  const bodies: string[] = [];
  for (const { v, name: set } of setDefs(cfg)) {
    const match = `${ADDR[v]} saddr @${set}`;
    if (cfg.protocols === null) {
      if (cfg.blocktype === 'drop') bodies.push(`${match} counter drop`);
      else bodies.push(`${match} meta l4proto tcp counter reject with tcp reset`, `${match} counter reject`);
      continue;
    }
    for (const proto of cfg.protocols) {
      const where = cfg.ports === null ? ` meta l4proto ${proto}` : ` ${proto} dport { ${cfg.ports.join(', ')} }`;
      const verdict = cfg.blocktype === 'drop' ? 'drop' : proto === 'tcp' ? 'reject with tcp reset' : 'reject';
      bodies.push(`${match}${where} counter ${verdict}`);
    }
  }
  const hash = createHash('sha256')
    .update(JSON.stringify([cfg.table, cfg.chain, bodies]))
    .digest('hex')
    .slice(0, 8);
  return bodies.map((text, i) => ({ text, comment: `f2b ${cfg.name} ${i + 1}/${bodies.length} ${hash}` }));
}

function setType(v: 4 | 6): string {
  return v === 4 ? 'ipv4_addr' : 'ipv6_addr';
}

function setFlags(def: SetDef): string[] {
  return def.interval ? ['interval', 'timeout'] : ['timeout'];
}

/**
 * Element statements that put the elements of a set being recreated (`old`, from a full listing)
 * back into the sets they belong in now: single addresses into the plain set of their family,
 * networks into its interval set (dropped with `interval: false`, which has none). Every element
 * is parsed and re-printed (parseBanId, elementText) before it reaches the script; anything f2b
 * never writes (ranges) is left out, and so are networks whose set is not `fresh` (created in the
 * same transaction). Returns the lines and the sets that received elements.
 */
function carryElements(cfg: NftConfig, T: string, old: ReadonlyMap<string, number | null>, fresh: ReadonlySet<string>): { lines: string[]; into: Set<string> } {
  const bySet = new Map<string, string[]>();
  for (const [text, left] of old) {
    const c = parseBanId(text);
    if (c === null) continue;
    const full = c.prefix === c.bytes.length * 8;
    const set = full ? cfg.sets[c.version] : cfg.netSets[c.version];
    // Addresses never conflict (a plain set has no overlaps); networks go only into a new set.
    if (set === undefined || (!full && !fresh.has(set))) continue;
    const timeout = left === null ? null : Math.min(MAX_ELEMENT_TIMEOUT_S, Math.max(1, Math.ceil(left)));
    let list = bySet.get(set);
    if (list === undefined) bySet.set(set, (list = []));
    list.push(addText(elementText(c), timeout));
  }
  const lines: string[] = [];
  for (const [set, list] of bySet) lines.push(`add element ${T} ${set} { ${list.join(', ')} }`);
  return { lines, into: new Set(bySet.keys()) };
}

export interface StructurePlan {
  /** nft statements to run (empty when everything is in place). */
  lines: string[];
  /** Sets that are new (or were recreated), i.e. empty in the kernel now but for `carried` elements. */
  freshSets: string[];
  /**
   * Fresh sets that received the elements of a set recreated in this transaction (an interval set
   * of the layout before networks had sets of their own): they hold what that set held.
   */
  carried: string[];
  /** A set must be recreated and the listing has no elements: list again with them, so they are kept. */
  needsElements?: boolean;
  /** What was missing or wrong, for the log (`table`, `set f2b_sshd_v4`, `chain`, `rules`). */
  changes: string[];
  /** Set when the structure cannot be made (an external chain that does not exist). */
  error?: F2bError;
}

/**
 * What to run so that the table, sets, chain and rules are as configured, given what is there
 * (`listing`, null when the table does not exist). Adopts whatever already matches.
 */
export function structurePlan(cfg: NftConfig, listing: Listing | null): StructurePlan {
  const T = `${cfg.family} ${cfg.table}`;
  const rules = ruleSpecs(cfg);
  const drop: string[] = [],
    delSets: string[] = [],
    addTable: string[] = [],
    addSets: string[] = [],
    addChain: string[] = [],
    addRules: string[] = [];
  const freshSets: string[] = [];
  const changes: string[] = [];
  const carry: string[] = [];
  const carried = new Set<string>();
  /** Elements of recreated sets of the older layout, to move. */
  const olds: ReadonlyMap<string, number | null>[] = [];
  let needsElements = false;

  if (listing === null && !cfg.ownChain) {
    return { lines: [], freshSets: [], carried: [], changes: [], error: nftErrors.F2B_ERR_NFT_CHAIN_MISSING(cfg.family, cfg.table, cfg.chain) };
  }
  if (listing === null) {
    addTable.push(`add table ${T} { comment "${OWNED_TABLE_COMMENT}"; }`);
    changes.push('table');
  }
  let recreated = false;
  for (const set of setDefs(cfg)) {
    const { v, name } = set;
    const flags = setFlags(set);
    const have = listing?.sets.get(name);
    const def = `add set ${T} ${name} { type ${setType(v)}; flags ${flags.join(', ')}; }`;
    if (!have) {
      addSets.push(def);
      freshSets.push(name);
      if (listing) changes.push(`set ${name}`);
    } else if (have.type !== setType(v) || [...have.flags].sort().join(',') !== [...flags].sort().join(',')) {
      delSets.push(`delete set ${T} ${name}`);
      addSets.push(def);
      freshSets.push(name);
      recreated = true;
      // An interval set of the old layout (addresses and networks in one set) is recreated as the
      // plain set: its elements move, with the time they have left, into the sets they belong in.
      const old = listing?.elements?.get(name);
      if (have.type === setType(v) && old !== undefined) {
        olds.push(old);
        changes.push(`set ${name} (type or flags changed; ${old.size} element(s) kept)`);
      } else {
        if (have.type === setType(v)) needsElements = true;
        changes.push(`set ${name} (type or flags changed)`);
      }
    }
  }
  // Moved only into sets created in this transaction: a network added to a network set that is
  // already there could overlap one of its elements, and fail the whole structure transaction.
  for (const old of olds) {
    const moved = carryElements(cfg, T, old, new Set(freshSets));
    carry.push(...moved.lines);
    for (const n of moved.into) carried.add(n);
  }
  // A network set left by `interval: true` (the default) after a switch to `interval: false`: its
  // rules go with the rule change below, the set with them.
  if (!cfg.interval && listing) {
    for (const v of [4, 6] as const) {
      const stale = cfg.sets[v] === undefined ? undefined : `${cfg.sets[v]}_net`;
      if (stale !== undefined && listing.sets.has(stale)) {
        delSets.push(`delete set ${T} ${stale}`);
        changes.push(`set ${stale} (removed: interval is false)`);
      }
    }
  }
  if (needsElements) return { lines: [], freshSets: [], carried: [], changes: [], needsElements: true };

  if (cfg.ownChain) {
    const chainDef = `add chain ${T} ${cfg.chain} { type filter hook ${cfg.hook} priority ${cfg.priority}; policy accept; }`;
    const have = listing?.chains.get(cfg.chain);
    const chainOk = have !== undefined && have.type === 'filter' && have.hook === cfg.hook && have.prio === cfg.priority && have.policy === 'accept';
    const haveRules = (listing?.rules ?? []).filter((r) => r.chain === cfg.chain).map((r) => r.comment ?? '');
    const rulesOk = haveRules.length === rules.length && haveRules.every((c, i) => c === rules[i]!.comment);
    if (!have) {
      addChain.push(chainDef);
      if (listing) changes.push('chain');
    } else if (!chainOk) {
      drop.push(`flush chain ${T} ${cfg.chain}`, `delete chain ${T} ${cfg.chain}`);
      addChain.push(chainDef);
      changes.push('chain (hook, priority or policy changed)');
    } else if (!rulesOk || recreated) {
      drop.push(`flush chain ${T} ${cfg.chain}`);
      if (!rulesOk) changes.push('rules');
    }
    if (!have || !chainOk || !rulesOk || recreated) {
      for (const r of rules) addRules.push(`add rule ${T} ${cfg.chain} ${r.text} comment "${r.comment}"`);
    }
  } else {
    if (!listing!.chains.has(cfg.chain)) {
      return { lines: [], freshSets: [], carried: [], changes: [], error: nftErrors.F2B_ERR_NFT_CHAIN_MISSING(cfg.family, cfg.table, cfg.chain) };
    }
    const prefix = `f2b ${cfg.name} `;
    const ours = listing!.rules.filter((r) => r.chain === cfg.chain && r.comment?.startsWith(prefix));
    const want = new Set(rules.map((r) => r.comment));
    const rulesOk = ours.length === rules.length && ours.every((r) => want.has(r.comment!));
    if (!rulesOk || recreated) {
      for (const r of ours) drop.push(`delete rule ${T} ${cfg.chain} handle ${r.handle}`);
      // `insert` puts a rule first: insert in reverse so that they end up in order, before Docker's RETURN.
      for (const r of [...rules].reverse()) addRules.push(`insert rule ${T} ${cfg.chain} ${r.text} comment "${r.comment}"`);
      if (!rulesOk) changes.push('rules');
    }
  }
  return {
    lines: [...addTable, ...drop, ...delSets, ...addSets, ...carry, ...addChain, ...addRules],
    freshSets,
    carried: freshSets.filter((n) => carried.has(n)),
    changes,
  };
}

/** What to run on stop: remove f2b's rules, chain and sets, and the table if f2b made it and nothing else is left. */
export function teardownPlan(cfg: NftConfig, listing: Listing | null, ownedTable: boolean): string[] {
  if (listing === null) return [];
  const T = `${cfg.family} ${cfg.table}`;
  const mine = new Set<string>();
  if (cfg.ownChain) mine.add(`chain:${cfg.chain}`);
  for (const { name } of setDefs(cfg)) mine.add(`set:${name}`);
  if (ownedTable && listing.objects.every((o) => mine.has(o))) return [`delete table ${T}`];
  const lines: string[] = [];
  if (cfg.ownChain) {
    if (listing.chains.has(cfg.chain)) lines.push(`flush chain ${T} ${cfg.chain}`, `delete chain ${T} ${cfg.chain}`);
  } else {
    const prefix = `f2b ${cfg.name} `;
    for (const r of listing.rules) {
      if (r.chain === cfg.chain && r.comment?.startsWith(prefix)) lines.push(`delete rule ${T} ${cfg.chain} handle ${r.handle}`);
    }
  }
  for (const { name } of setDefs(cfg)) if (listing.sets.has(name)) lines.push(`delete set ${T} ${name}`);
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Elements
// ---------------------------------------------------------------------------------------------

/** An element as written in an add statement: `192.0.2.1 timeout 600s`, or bare when permanent. */
export function addText(text: string, timeout: number | null): string {
  return timeout === null ? text : `${text} timeout ${timeout}s`;
}

/** What one transaction changes in one set. Element texts come from `elementText` only. */
export interface SetChange {
  set: string;
  /** Empty the set first (`flush set`): used to rebuild a large set instead of many slow deletes. */
  flush?: boolean;
  /** Elements to remove (each guarded: added, then deleted) — also those being refreshed. */
  remove: readonly string[];
  /** Elements to add, as `addText` wrote them. */
  add: readonly string[];
}

export interface ElementScript {
  script: string;
  /** Per script line (index = line number - 1): the set and where the element list starts, or null. */
  lines: ({ set: string; head: number } | null)[];
}

/**
 * One transaction: set flushes, then guarded deletes (`add` + `delete` of each element to remove or
 * refresh), then adds with their timeouts — one statement per set and kind, whatever the number of
 * elements.
 */
export function elementScript(cfg: NftConfig, changes: readonly SetChange[]): ElementScript {
  const T = `${cfg.family} ${cfg.table}`;
  const out: string[] = [];
  const lines: ElementScript['lines'] = [];
  const emit = (verb: 'add' | 'delete', set: string, elements: readonly string[]) => {
    const head = `${verb} element ${T} ${set} { `;
    out.push(`${head}${elements.join(', ')} }`);
    lines.push({ set, head: head.length });
  };
  for (const c of changes) {
    if (!c.flush) continue;
    out.push(`flush set ${T} ${c.set}`);
    lines.push(null);
  }
  for (const c of changes) {
    if (c.remove.length === 0) continue;
    emit('add', c.set, c.remove);
    emit('delete', c.set, c.remove);
  }
  for (const c of changes) if (c.add.length > 0) emit('add', c.set, c.add);
  return { script: out.length > 0 ? `${out.join('\n')}\n` : '', lines };
}

export interface NftScriptError {
  line: number;
  column: number;
  message: string;
  /** The element the error points at (its text without timeout), when it points at one. */
  element?: { set: string; text: string };
}

/** nft's located errors (`/dev/stdin:LINE:COL-COL: Error: …`), mapped to elements of the script. */
export function locateErrors(stderr: string, script?: ElementScript): NftScriptError[] {
  const out: NftScriptError[] = [];
  let scriptLines: string[] | undefined;
  for (const m of stderr.matchAll(/^(?:\/dev\/stdin|-):(\d+):(\d+)(?:-(\d+))?: Error: (.*)$/gm)) {
    const line = Number(m[1]),
      column = Number(m[2]);
    const err: NftScriptError = { line, column, message: m[4]!.trim() };
    const info = script?.lines[line - 1];
    if (script && info) {
      scriptLines ??= script.script.split('\n');
      const text = scriptLines[line - 1] ?? '';
      let pos = info.head + 1; // nft columns are 1-based
      // Element texts never contain ", ": the list splits back into them.
      for (const e of text.slice(info.head, text.length - 2).split(', ')) {
        if (column >= pos && column < pos + e.length) {
          err.element = { set: info.set, text: e.split(' ')[0]! };
          break;
        }
        pos += e.length + 2;
      }
    }
    out.push(err);
  }
  return out;
}
