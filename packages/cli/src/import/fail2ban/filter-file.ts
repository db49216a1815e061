/**
 * A fail2ban filter f2b has no package for (`filter.d/NAME.conf` and `.local`, with what their
 * `[INCLUDES]` name), translated into a filter of the config (`filters:`): its [Definition]
 * `failregex`/`ignoreregex` (one pattern per line) interpolated as fail2ban does — `%(name)s` and
 * `<name>` tags, looked up in the jail's `filter = NAME[key=value]` arguments, [Definition], [Init]
 * and [DEFAULT] — then made RE2 patterns (regex.ts). fail2ban's `__prefix_line` (common.conf's
 * syslog prefix) becomes nothing, as f2b matches the message after the prefix; the `_daemon` it
 * named becomes the filter's `programs` when it is a plain name. Every pattern left out is a note
 * naming its file, line and construct.
 */
import { basename, join } from 'node:path';
import { readLayers, whereText, type Definition, type Layers } from './layers.js';
import { translatePattern } from './regex.js';

export interface ImportedPattern {
  pattern: string;
  /** `filter.d/x.conf:12` (the line of its `failregex =`), and the pattern's place in the value. */
  where: string;
  index: number;
}

export interface ImportedFilter {
  /** The f2b id (fail2ban's name, or `name-2` for the same file with other arguments). */
  id: string;
  /** The filter files read, relative to fail2ban's directory. */
  files: string[];
  failregex: ImportedPattern[];
  ignoreregex: ImportedPattern[];
  programs?: string[];
}

export interface FilterNote {
  def: { file: string; line: number } | undefined;
  key: string;
  problem: string;
  fix: string;
  level: 'unmapped' | 'warning';
}

/** Tags fail2ban gives a meaning of its own: never looked up as names. */
const RESERVED_TAG = /^(?:HOST|ADDR|IP4|IP6|DNS|CIDR|SUBNET|SKIPLINES|F-.*)$/;
const TAG = /<([A-Za-z_][A-Za-z0-9_-]*(?:\/[A-Za-z_][A-Za-z0-9_-]*)?)>/g;
const REFERENCE = /%\(([^)]*)\)s|%%/g;
const MAX_DEPTH = 20;
const FILTER_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** Sections searched for a name, after the jail's arguments. */
const SEARCH = ['Definition', 'Init', 'DEFAULT'];

class Unresolved extends Error {}

/** The translations of one import: one per filter file and arguments, shared by the jails that use it. */
export class FilterFiles {
  readonly filters: ImportedFilter[] = [];
  private readonly byKey = new Map<string, { filter: ImportedFilter | undefined; notes: FilterNote[] }>();

  constructor(private readonly dir: string) {}

  /** The filter NAME (with the jail's arguments) translated, or undefined when no pattern could be; with its notes. */
  translate(name: string, args: ReadonlyMap<string, string>): { filter: ImportedFilter | undefined; notes: FilterNote[] } {
    const key = JSON.stringify([name, [...args].sort()]);
    const known = this.byKey.get(key);
    if (known) return known;
    const taken = new Set(this.filters.map((f) => f.id));
    const base = FILTER_ID.test(name) ? name : name.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'filter';
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
    const done = new FilterTranslation(this.dir, name, args).run(id);
    if (done.filter) this.filters.push(done.filter);
    this.byKey.set(key, done);
    return done;
  }
}

class FilterTranslation {
  private readonly layers: Layers;
  private readonly notes: FilterNote[] = [];
  private prefixUsed = false;

  constructor(
    private readonly dir: string,
    private readonly name: string,
    private readonly args: ReadonlyMap<string, string>,
  ) {
    this.layers = readLayers(join(dir, 'filter.d'), name);
  }

  run(id: string): { filter: ImportedFilter | undefined; notes: FilterNote[] } {
    const files = this.layers.files.map((f) => whereText(this.dir, { file: f, line: 0 }));
    for (const p of this.layers.problems)
      this.note({ file: p.file, line: p.line }, '', `The line ${p.problem}`, 'fail2ban skips or refuses it too; correct or remove it.', 'warning');
    const prefix = this.prefixParts();
    const failregex = this.patterns('failregex', prefix);
    const ignoreregex = this.patterns('ignoreregex', undefined);
    this.otherSettings();
    const programs = this.prefixUsed ? this.programs() : undefined;
    if (failregex.length === 0) {
      const def = this.definition('failregex');
      this.note(
        def,
        'failregex',
        `The filter ${JSON.stringify(this.name)} has no pattern f2b can run, so its jail is imported disabled`,
        'Write the filter in the config by hand (`filters:` in the README), trying its patterns with `f2b test-filter --pattern … LOG`.',
        'unmapped',
      );
      return { filter: undefined, notes: this.notes };
    }
    return { filter: { id, files, failregex, ignoreregex, ...(programs ? { programs } : {}) }, notes: this.notes };
  }

  private note(def: FilterNote['def'], key: string, problem: string, fix: string, level: FilterNote['level']): void {
    this.notes.push({ def, key, problem, fix, level });
  }

  /** The definition of a name as the filter's patterns see it; `section/name` reads another section. */
  private definition(name: string): Definition | undefined {
    const slash = name.indexOf('/');
    if (slash > 0) return this.layers.sections.get(name.slice(0, slash))?.get(name.slice(slash + 1));
    for (const s of SEARCH) {
      const d = this.layers.sections.get(s)?.get(name);
      if (d) return d;
    }
    return undefined;
  }

  private value(name: string, depth: number): string {
    const arg = this.args.get(name);
    if (arg !== undefined) return this.expand(arg, depth + 1);
    // common.conf's syslog prefix (and its variants per log type): f2b has parsed it off already.
    if (/(?:^|\/)__prefix_line$/.test(name)) {
      this.prefixUsed = true;
      return '';
    }
    const def = this.definition(name);
    if (!def) throw new Unresolved(name);
    return this.expand(def.text, depth + 1);
  }

  /** `%(name)s`, `%%` and fail2ban's `<name>` tags, innermost first (`<lt_<logtype>/__prefix_line>`). */
  private expand(text: string, depth: number): string {
    if (depth > MAX_DEPTH) throw new Unresolved('(a loop of references)');
    let out = text.replace(REFERENCE, (whole, ref: string | undefined) => (whole === '%%' ? '%' : this.value(ref!.replace(/^known\//, ''), depth)));
    for (let round = 0; round < MAX_DEPTH; round++) {
      let changed = false;
      out = out.replace(TAG, (whole, name: string) => {
        if (RESERVED_TAG.test(name) || (this.args.get(name) === undefined && !this.definition(name) && !name.endsWith('__prefix_line'))) return whole;
        changed = true;
        return this.value(name, depth);
      });
      if (!changed) break;
    }
    return out;
  }

  /** fail2ban's prefregex, split around its `<F-CONTENT>`: failregex patterns match what it leaves. */
  private prefixParts(): { before: string; after: string } | undefined {
    const def = this.definition('prefregex');
    if (!def || !def.text.trim()) return undefined;
    let text: string;
    try {
      text = this.expand(def.text.trim(), 0);
    } catch (err) {
      if (!(err instanceof Unresolved)) throw err;
      this.note(
        def,
        'prefregex',
        `refers to ${err.message}, which nothing defines; the patterns are used without it`,
        'Define the name, or write the value itself.',
        'warning',
      );
      return undefined;
    }
    const m = /<F-CONTENT>[\s\S]*?<\/F-CONTENT>/.exec(text);
    if (!m) {
      this.note(
        def,
        'prefregex',
        'has no <F-CONTENT> part; the patterns are used without it',
        'Check the imported patterns with `f2b test-filter`.',
        'warning',
      );
      return undefined;
    }
    return { before: text.slice(0, m.index), after: text.slice(m.index + m[0].length) };
  }

  private patterns(key: 'failregex' | 'ignoreregex', prefix: { before: string; after: string } | undefined): ImportedPattern[] {
    const def = this.definition(key);
    if (!def) return [];
    const where = whereText(this.dir, def);
    const out: ImportedPattern[] = [];
    const lines = def.text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    lines.forEach((line, index) => {
      const label = `pattern ${index + 1} of ${lines.length}`;
      let text: string;
      try {
        text = this.expand(line, 0);
      } catch (err) {
        if (!(err instanceof Unresolved)) throw err;
        this.note(def, key, `${label} refers to ${err.message}, which nothing defines; left out`, 'Define the name, or write the value itself.', 'unmapped');
        return;
      }
      // fail2ban matches failregex on what prefregex's <F-CONTENT> took: here, on the message after that prefix.
      if (prefix) text = prefix.before + text.replace(/^\^/, '') + (/\$$/.test(text) ? '' : prefix.after.trim() === '$' ? '' : prefix.after);
      const t = translatePattern(text, key === 'failregex');
      if (!t.ok) {
        this.note(
          def,
          key,
          `${label} uses ${t.construct}, which f2b cannot run; left out${key === 'ignoreregex' ? ' (the filter ignores fewer lines than fail2ban did)' : ''}`,
          `Rewrite it: ${t.fix}.`,
          'unmapped',
        );
        return;
      }
      for (const n of t.notes) this.note(def, key, `${label}: ${n}`, 'Check it with `f2b test-filter`.', 'warning');
      out.push({ pattern: t.pattern, where, index });
    });
    return out;
  }

  /** The program names of `_daemon`, when it is a name or an alternation of names; else every program, noted. */
  private programs(): string[] | undefined {
    let daemon: string;
    try {
      daemon = this.value('_daemon', 0).trim();
    } catch {
      return undefined;
    }
    const names = /^\(\?:([A-Za-z0-9_./-]+(?:\|[A-Za-z0-9_./-]+)*)\)$/.exec(daemon)?.[1]?.split('|') ?? (/^[A-Za-z0-9_./-]+$/.test(daemon) ? [daemon] : null);
    if (names) return names;
    if (daemon !== '\\S*' && daemon !== '')
      this.note(
        this.definition('_daemon'),
        '_daemon',
        `${JSON.stringify(daemon)} is a pattern, not a program name; the imported filter reads lines of every program`,
        "Add `programs: [name]` to the filter in the config if the service's syslog tag is known.",
        'warning',
      );
    return undefined;
  }

  /** Filter settings f2b does otherwise: reported when the filter itself sets them. */
  private otherSettings(): void {
    const own = (d: Definition | undefined) => d !== undefined && basename(d.file) !== 'common.conf' && d.text.trim() !== '';
    const maxlines = this.definition('maxlines');
    if (own(maxlines) && Number(maxlines!.text.trim()) > 1)
      this.note(
        maxlines,
        'maxlines',
        `is ${maxlines!.text.trim()}: fail2ban matched several lines at once; f2b matches one line at a time`,
        'Write a filter package with a reducer for multi-line sessions (`npm init @f2b/plugin`).',
        'unmapped',
      );
    const datepattern = this.definition('datepattern');
    // `{^LN-BEG}` only says the date starts the line, which is where f2b looks first.
    if (own(datepattern) && !/^\{\^LN-BEG\}$/.test(datepattern!.text.trim()))
      this.note(
        datepattern,
        'datepattern',
        `is ${JSON.stringify(datepattern!.text.trim())}; f2b reads the dates it knows by itself (ISO 8601, syslog, Apache, epoch, …)`,
        'Check with `f2b test-filter … --explain` that the dates of the log are read.',
        'warning',
      );
  }
}
