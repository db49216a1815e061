/**
 * One fail2ban jail (its section with [DEFAULT] under it, interpolated) as an f2b jail: filter and
 * mode, sources (logpath, or the journal for `backend = systemd`), actions, and the settings f2b
 * shares with fail2ban. What cannot be carried over is returned as notes naming file and line.
 */
import { existsSync, readdirSync } from 'node:fs';
import { didYouMean, globMatch, isF2bError } from '@f2b/core';
import type { FilterFiles, ImportedFilter } from './filter-file.js';
import { basename, dirname, join } from 'node:path';
import { InterpolationError, JailValues, type Resolved } from './interpolate.js';
import { parseItems } from './items.js';
import { DEFAULT_SECTION, readLayers, whereText, type Layers } from './layers.js';
import { mapActions } from './actions.js';
import { addressList, bool, count, duration, timezone, usedns, type Mapped } from './values.js';
import type { KnownIds } from '../../known-ids.js';

export interface Origin {
  name: string;
  where: string;
}
export interface OutValue {
  key: string;
  value: unknown;
  from: Origin[];
}
export interface ImportNote {
  /** `file:line` of the value the note is about. */
  where: string;
  /** The fail2ban section ([DEFAULT] or a jail). */
  section: string;
  key: string;
  problem: string;
  fix: string;
  /** `unmapped`: something fail2ban did is not done by the imported config; `warning`: imported, check it. */
  level: 'unmapped' | 'warning';
}

/** Where journald keeps its files (volatile, persistent). */
const JOURNAL_DIRS = ['/run/log/journal', '/var/log/journal'];

/** Names a jail's values are read under that the mapping accounts for (beyond those it reads). */
const ACCOUNTED = new Set([
  'enabled',
  'filter',
  'mode',
  'logpath',
  'backend',
  'journalmatch',
  'port',
  'protocol',
  'chain',
  'banaction',
  'banaction_allports',
  'action',
  'bantime',
  'findtime',
  'maxretry',
  'ignoreip',
  'ignoreself',
  'usedns',
  'logtimezone',
  'logencoding',
  'maxmatches',
  'destemail',
  'sender',
  'mta',
  'fail2ban_agent',
]);
/** Settings a jail of fail2ban has that f2b does differently; set by the user, they are reported. */
const PATTERNS = new Set(['failregex', 'ignoreregex', 'prefregex', 'datepattern']);
/** Names f2b maps into `defaults` and per jail. */
export const SHARED_KEYS = ['bantime', 'findtime', 'maxretry', 'ignoreip', 'ignoreself', 'usedns', 'timezone', 'bantimeIncrement'] as const;

/** Files fail2ban ships (their settings are not the user's choices, so unused ones are not reported). */
export function isStockFile(file: string): boolean {
  return /^(?:jail\.conf|paths-[a-z0-9_-]+\.conf|\(fail2ban built-in\))$/.test(basename(file));
}

export class JailMapper {
  readonly notes: ImportNote[] = [];
  readonly v: JailValues;

  constructor(
    private readonly layers: Layers,
    readonly section: string,
    private readonly known: KnownIds,
    /** Where filter.d files f2b has no package for are translated into config filters (none: only noted). */
    private readonly filterFiles?: FilterFiles,
  ) {
    this.v = new JailValues(layers, section);
  }

  where(def: { file: string; line: number }): string {
    return whereText(this.layers.dir, def);
  }

  /** `ofJail`: the problem is the jail's even when the value is inherited (a filter named after the jail). */
  note(
    def: { file: string; line: number } | undefined,
    key: string,
    problem: string,
    fix: string,
    level: ImportNote['level'] = 'unmapped',
    ofJail = false,
  ): void {
    // A value a jail inherits is [DEFAULT]'s to fix.
    const section = !ofJail && def && 'section' in def && def.section === DEFAULT_SECTION ? DEFAULT_SECTION : this.section;
    this.notes.push({ where: def ? this.where(def) : `[${this.section}]`, section, key, problem, fix, level });
  }

  /** The interpolated value, or undefined (an interpolation problem is noted). */
  get(name: string): Resolved | undefined {
    try {
      return this.v.get(name);
    } catch (err) {
      if (!(err instanceof InterpolationError)) throw err;
      this.note(err.def, name, err.problem, 'Define the name it refers to, or write the value itself.');
      return undefined;
    }
  }

  private from(r: Resolved, names?: readonly string[]): Origin[] {
    const picked = names ? r.used.filter((u) => names.includes(u.name)) : [r.used[0]!];
    return (picked.length ? picked : [r.used[0]!]).map((u) => ({ name: u.name, where: this.where(u.def) }));
  }

  private scalar<T>(name: string, key: string, map: (text: string) => Mapped<T>): OutValue | undefined {
    const r = this.get(name);
    if (!r || r.text.trim() === '') return undefined;
    const m = map(r.text);
    if (!m.ok) {
      this.note(r.def, name, m.problem, m.fix);
      return undefined;
    }
    return { key, value: m.value, from: this.from(r) };
  }

  /** bantime, findtime, maxretry, ignoreip, ignoreself, usedns, timezone, bantimeIncrement. */
  sharedValues(): OutValue[] {
    const out: (OutValue | undefined)[] = [
      this.scalar('bantime', 'bantime', (t) => duration(t, { forever: true })),
      this.scalar('findtime', 'findtime', (t) => duration(t)),
      this.scalar('maxretry', 'maxretry', count),
    ];
    const ip = this.get('ignoreip');
    if (ip && ip.text.trim()) {
      const list = addressList(ip.text);
      for (const l of list.left) this.note(ip.def, 'ignoreip', `${JSON.stringify(l.entry)} ${l.problem}`, l.fix);
      if (list.value.length) out.push({ key: 'ignoreip', value: list.value, from: this.from(ip) });
    }
    out.push(this.scalar('ignoreself', 'ignoreself', bool));
    const dns = this.get('usedns');
    if (dns) {
      const m = usedns(dns.text);
      if (!m.ok) this.note(dns.def, 'usedns', m.problem, m.fix);
      const value = m.ok ? m.value : dns.text.trim() === 'raw' ? 'no' : undefined;
      if (value) out.push({ key: 'usedns', value, from: this.from(dns) });
    }
    out.push(this.scalar('logtimezone', 'timezone', timezone));
    out.push(this.increment());
    return out.filter((x): x is OutValue => x !== undefined);
  }

  /** The `bantime.increment` family as `bantimeIncrement`. */
  private increment(): OutValue | undefined {
    const on = this.get('bantime.increment');
    if (!on || !on.text.trim()) return undefined;
    const enabled = bool(on.text);
    if (!enabled.ok) {
      this.note(on.def, 'bantime.increment', enabled.problem, enabled.fix);
      return undefined;
    }
    if (!enabled.value) return undefined;
    const from: Origin[] = this.from(on);
    const inc: Record<string, unknown> = { enabled: true };
    const num = (name: string): number | undefined => {
      const r = this.get(name);
      if (!r || !r.text.trim()) return undefined;
      const n = Number(r.text.trim());
      if (!Number.isFinite(n) || n <= 0) {
        this.note(r.def, name, `${JSON.stringify(r.text.trim())} is not a positive number`, 'Write a number such as 1 or 2.');
        return undefined;
      }
      from.push(...this.from(r));
      return n;
    };
    // fail2ban: bantime × 2^(n−1) × factor (factor 1 by default: ×1, ×2, ×4 …), or × multipliers[n−1] × factor.
    // f2b: bantime × factor^(n−1), or × multipliers[n−1]. So fail2ban's factor 1 is f2b's factor 2, and
    // any other factor is written as the multipliers it amounts to (fail2ban stops doubling at 2^20).
    const factor = num('bantime.factor') ?? 1;
    const multipliersDef = this.get('bantime.multipliers');
    if (multipliersDef && multipliersDef.text.trim()) {
      const m = multipliersDef.text.trim().split(/\s+/).map(Number);
      if (m.some((x) => !Number.isFinite(x) || x <= 0)) {
        this.note(
          multipliersDef.def,
          'bantime.multipliers',
          `${JSON.stringify(multipliersDef.text.trim())} is not a list of positive numbers`,
          'Write numbers separated by spaces, e.g. 1 2 4 8.',
        );
      } else {
        inc.multipliers = m.map((x) => x * factor);
        from.push(...this.from(multipliersDef));
      }
    } else if (factor !== 1) {
      inc.multipliers = Array.from({ length: 21 }, (_, i) => 2 ** i * factor);
    }
    const formula = this.get('bantime.formula');
    if (formula && formula.text.trim() && !this.isStock(formula.def)) {
      this.note(
        formula.def,
        'bantime.formula',
        'is Python code; f2b takes no formula, only a factor or multipliers',
        'Express the growth as bantimeIncrement.multipliers.',
      );
    }
    for (const [name, key] of [
      ['bantime.maxtime', 'maxtime'],
      ['bantime.rndtime', 'rndtime'],
    ] as const) {
      const r = this.get(name);
      if (!r || !r.text.trim()) continue;
      const d = duration(r.text);
      if (d.ok) {
        inc[key] = d.value;
        from.push(...this.from(r));
      } else {
        this.note(r.def, name, d.problem, d.fix);
      }
    }
    if (inc.maxtime === undefined) {
      this.note(
        on.def,
        'bantime.maxtime',
        'is not set: fail2ban lets increasing bans grow without a limit, f2b stops them at 7 days unless told otherwise',
        "Set bantimeIncrement.maxtime to the longest ban you want (e.g. 4w); the imported config keeps f2b's 7 days.",
        'warning',
      );
    }
    const all = this.get('bantime.overalljails');
    if (all && all.text.trim()) {
      const b = bool(all.text);
      if (b.ok) {
        inc.overalljails = b.value;
        from.push(...this.from(all));
      }
    }
    return { key: 'bantimeIncrement', value: inc, from };
  }

  private isStock(def: { file: string }): boolean {
    return isStockFile(def.file);
  }

  /** The filter: id (the jail's name by default) and mode; undefined when f2b has no such filter. */
  filter(): { value: OutValue | undefined; missing?: string } {
    const r = this.get('filter');
    const text = r?.text.trim() || this.section;
    const { items, problems } = parseItems(text);
    for (const p of problems) this.note(r?.def, 'filter', `${JSON.stringify(p.text)} ${p.problem}`, 'Write the filter as name or name[mode=…].');
    const item = items[0];
    if (!item) return { value: undefined, missing: text };
    if (items.length > 1) this.note(r?.def, 'filter', 'names more than one filter; fail2ban uses only the first', 'Keep one filter per jail.', 'warning');
    const id = item.name.replace(/\.(?:conf|local)$/, '');
    const from = r ? this.from(r, ['filter', 'mode']) : [];
    const known = this.known.get(id, 'filter');
    if (!known) {
      const custom = this.customFilterFile(id);
      const translated = custom && this.filterFiles ? this.translated(id, item.args) : undefined;
      if (translated)
        return { value: { key: 'filter', value: translated.id, from: [...from, ...translated.files.map((f) => ({ name: 'filter.d', where: f }))] } };
      if (custom && this.filterFiles) return { value: undefined, missing: id };
      this.note(
        r?.def,
        'filter',
        `names the fail2ban filter ${JSON.stringify(id)}, which no f2b filter package provides.${didYouMean(id, this.known.ids('filter'))}`,
        custom
          ? `Translate ${custom} into an f2b filter package (\`npm init @f2b/plugin\`; try its patterns with \`f2b test-filter --pattern … LOG\`), then enable the jail.`
          : 'Write a filter package for it (`npm init @f2b/plugin`), then enable the jail; `f2b filters` lists the filters installed.',
        'unmapped',
        true,
      );
      return { value: undefined, missing: id };
    }
    if (!known.installed) {
      this.note(
        r?.def,
        'filter',
        `uses the filter ${JSON.stringify(id)} from ${known.package}, which is not installed`,
        `Run \`npm i ${known.package}\` next to f2b (or globally: \`npm i -g ${known.package}\`).`,
        'warning',
        true,
      );
    }
    let mode = item.args.get('mode')?.trim();
    for (const key of item.args.keys()) {
      if (key !== 'mode')
        this.note(
          r?.def,
          'filter',
          `passes ${key}=${JSON.stringify(item.args.get(key))} to the filter; f2b filters take no such argument`,
          `See the options of ${known.package} (\`options:\` of the filter).`,
        );
    }
    if (mode && known.modes && !known.modes.includes(mode)) {
      this.note(
        r?.def,
        'mode',
        `is ${JSON.stringify(mode)}, a mode f2b's ${id} filter does not have.${didYouMean(mode, known.modes)}`,
        `The jail uses the default mode; its modes are ${known.modes.join(', ')}.`,
        'unmapped',
        true,
      );
      mode = undefined;
    }
    const value = mode && mode !== 'normal' ? { id, mode } : id;
    return { value: { key: 'filter', value, from } };
  }

  /** The filter.d file translated into a config filter (its notes added), or undefined when nothing of it could be. */
  private translated(id: string, args: ReadonlyMap<string, string>): ImportedFilter | undefined {
    let result: ReturnType<FilterFiles['translate']>;
    try {
      result = this.filterFiles!.translate(id, args);
    } catch (err) {
      if (!isF2bError(err)) throw err;
      this.notes.push({
        where: err.file ? this.where({ file: err.file, line: 0 }) : `filter.d/${id}`,
        section: 'Definition',
        key: '',
        problem: err.message.replace(/\.$/, ''),
        fix: err.fix ?? 'Correct the file.',
        level: 'unmapped',
      });
      return undefined;
    }
    for (const n of result.notes)
      this.notes.push({
        where: n.def ? this.where(n.def) : `filter.d/${id}`,
        section: 'Definition',
        key: n.key,
        problem: n.problem,
        fix: n.fix,
        level: n.level,
      });
    return result.filter;
  }

  /** A filter file of the user's (a .local, or a .conf fail2ban does not ship under that name). */
  private customFilterFile(id: string): string | undefined {
    for (const ext of ['.local', '.conf']) {
      const f = join(this.layers.dir, 'filter.d', id + ext);
      if (existsSync(f)) return whereText(this.layers.dir, { file: f, line: 0 });
    }
    return undefined;
  }

  /** Sources: the journal for `backend = systemd`, otherwise the files of `logpath`. */
  sources(filterId: string | undefined): { value: OutValue | undefined; waitForLog?: OutValue } {
    const backend = this.get('backend');
    const b = parseItems(backend?.text.trim() || 'auto').items[0];
    if (b?.name === 'systemd') {
      const value = this.journal(backend!, b.args, filterId);
      const src = value.value as { directory?: string; files?: string[] };
      if (src.directory || src.files || hasJournalFiles()) return { value };
      this.note(
        backend!.def,
        'backend',
        'is systemd, and this machine has no journal files now',
        'The jail waits for the journal (waitForLog: true); on a host without journald, set logpath and backend = auto.',
        'warning',
      );
      return { value, waitForLog: { key: 'waitForLog', value: true, from: [] } };
    }
    if (b && !['auto', 'polling', 'pyinotify', 'gamin'].includes(b.name)) {
      this.note(
        backend?.def,
        'backend',
        `is ${JSON.stringify(b.name)}, not a backend fail2ban documents`,
        'Use auto (files) or systemd (the journal).',
        'warning',
      );
    }
    const r = this.get('logpath');
    if (!r || !r.text.trim()) {
      this.note(r?.def, 'logpath', 'is empty: the jail reads no log', 'Set the log file(s) of the service, or backend = systemd for the journal.');
      return { value: undefined };
    }
    const paths: string[] = [];
    for (const line of r.text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)) {
      // Each line is a path, optionally followed by "head" or "tail" (where to start reading).
      const [path, ...opt] = line.split(/\s+/);
      if (opt.length && !(opt.length === 1 && /^(?:head|tail)$/.test(opt[0]!))) {
        this.note(
          r.def,
          'logpath',
          `has ${JSON.stringify(line)}: a path with spaces or unknown options`,
          'Write one path per line (f2b reads existing files from their end, new files from the start).',
        );
        continue;
      }
      paths.push(path!);
    }
    if (paths.length === 0) return { value: undefined };
    const from = this.from(r, ['logpath', ...r.used.map((u) => u.name).filter((n) => n.endsWith('_log') || n.startsWith('syslog_'))]);
    const value: OutValue = { key: 'source', value: paths.length === 1 ? paths[0] : { type: 'file', paths }, from };
    if (!paths.some(anyFileMatches)) {
      this.note(
        r.def,
        'logpath',
        `names ${paths.join(', ')}, and no such file exists now`,
        filterId === 'sshd' && existsSync('/run/systemd/journal')
          ? 'The jail waits for the log (waitForLog: true); sshd logs to the journal here, so backend = systemd (source: { type: journald, preset: sshd }) may be what you want.'
          : 'The jail waits for the log (waitForLog: true); correct the path if the service logs elsewhere.',
        'warning',
      );
      return { value, waitForLog: { key: 'waitForLog', value: true, from: [] } };
    }
    return { value };
  }

  private journal(backend: Resolved, args: Map<string, string>, filterId: string | undefined): OutValue {
    const source: Record<string, unknown> = { type: 'journald' };
    const from = this.from(backend, ['backend']);
    const jm = this.get('journalmatch') ?? this.filterJournalmatch(filterId);
    if (filterId === 'sshd' && (!jm || !this.v.setsOwn('journalmatch'))) {
      source.preset = 'sshd';
    } else if (jm && jm.text.trim()) {
      source.matches = jm.text.trim().split(/\s+/);
      from.push(...this.from(jm));
    } else {
      this.note(
        backend.def,
        'journalmatch',
        'is not set for this filter: the jail would read every journal entry',
        'Add matches to the source (e.g. matches: ["_SYSTEMD_UNIT=nginx.service"]).',
        'warning',
      );
    }
    for (const [k, val] of args) {
      if (k === 'journalpath') source.directory = val;
      else if (k === 'journalfiles') source.files = val.split(/[\s,]+/).filter(Boolean);
      else
        this.note(
          backend.def,
          'backend',
          `passes ${k}=${JSON.stringify(val)} to the journal; f2b's journald source has no such option`,
          'See the options of @f2b/source-journald (directory, files, namespace, user, system).',
        );
    }
    return { key: 'source', value: source, from };
  }

  /** `journalmatch` of fail2ban's filter file (filter.d/NAME.conf and .local, [Init] or [Definition]). */
  private filterJournalmatch(filterId: string | undefined): Resolved | undefined {
    if (!filterId) return undefined;
    try {
      const layers = readLayers(join(this.layers.dir, 'filter.d'), filterId);
      for (const section of ['Init', 'Definition']) {
        const r = new JailValues(layers, section).get('journalmatch');
        if (r && r.def.file !== '(fail2ban built-in)') return r;
      }
    } catch {
      // An unreadable or malformed filter file: no matches from it (noted by the caller).
    }
    return undefined;
  }

  actions(): OutValue | undefined {
    const r = this.get('action');
    if (!r || !r.text.trim()) return undefined;
    const { items, problems } = parseItems(r.text);
    for (const p of problems) this.note(r.def, 'action', `${JSON.stringify(p.text)} ${p.problem}`, 'Write each action as name[arg=value, …].');
    const mapped = mapActions(items, this.section, this.layers.dir);
    for (const n of mapped.notes) this.note(r.def, 'action', `${n.action}: ${n.problem}`, n.fix, n.level ?? 'unmapped');
    for (const a of mapped.actions) {
      const type = typeof a === 'string' ? a : a.type;
      const known = this.known.get(type, 'action');
      if (known && !known.installed)
        this.note(
          r.def,
          'action',
          `uses the action ${JSON.stringify(type)} from ${known.package}, which is not installed`,
          `Run \`npm i ${known.package}\` next to f2b.`,
          'warning',
        );
    }
    if (mapped.actions.length === 0) return undefined;
    const names = r.used.map((u) => u.name).filter((n) => n.startsWith('action') || ['banaction', 'banaction_allports', 'port', 'protocol'].includes(n));
    return { key: 'actions', value: mapped.actions, from: this.from(r, names) };
  }

  /** Settings of this jail that nothing imported: reported when a user (not fail2ban's stock files) set them. */
  leftovers(): void {
    for (const name of this.v.names()) {
      const def = this.v.definition(name)!;
      const users = !this.isStock(def) || this.v.setsOwn(name);
      if (PATTERNS.has(name) || name === 'ignorecommand' || name === 'ignorecache') {
        if (!def.text.trim() || !users) continue;
        if (PATTERNS.has(name))
          this.note(
            def,
            name,
            'adds patterns to the jail; f2b jails take patterns only from their filter',
            'Add them to a filter of the config (`filters:`, see docs/migration.md) and name it in the jail; try them with `f2b test-filter --pattern`.',
          );
        else
          this.note(
            def,
            name,
            'runs a command to decide whom not to ban; f2b runs no such command',
            'List the addresses in ignoreip, or write a hooks plugin (docs/plugin-authors.md).',
          );
        continue;
      }
      if (this.v.read.has(name) || ACCOUNTED.has(name) || /^(?:action_|bantime\.|known\/)/.test(name) || !users) continue;
      this.note(def, name, 'is set but no imported setting uses it', 'Nothing to do if it only served fail2ban; otherwise see docs/migration.md.');
    }
    const enc = this.get('logencoding');
    if (enc && !/^(?:auto|utf-?8|ascii)$/i.test(enc.text.trim())) {
      this.note(enc.def, 'logencoding', `is ${JSON.stringify(enc.text.trim())}; f2b reads logs as UTF-8`, 'Have the service log in UTF-8.');
    }
  }
}

/** Whether journald has written files here (`*.journal`, directly or in a machine-id directory). */
function hasJournalFiles(): boolean {
  const list = (d: string) => {
    try {
      return readdirSync(d, { withFileTypes: true });
    } catch {
      return [];
    }
  };
  return JOURNAL_DIRS.some((d) =>
    list(d).some((e) => e.name.endsWith('.journal') || (e.isDirectory() && list(join(d, e.name)).some((f) => f.name.endsWith('.journal')))),
  );
}

/** Whether a path, or a glob in its last component, names at least one existing file. */
function anyFileMatches(path: string): boolean {
  if (!/[*?[]/.test(path)) return existsSync(path);
  const dir = dirname(path);
  // A glob over directories or with [classes]: let `f2b config check` tell.
  if (/[*?[]/.test(dir) || basename(path).includes('[')) return true;
  try {
    return readdirSync(dir).some((f) => globMatch(basename(path), f));
  } catch {
    return false;
  }
}
