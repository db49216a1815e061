/**
 * Values of a jail as fail2ban sees them: a name is looked up in the jail's section, then in
 * [DEFAULT]; `%(name)s` is replaced by the value of `name` in the same section (so a [DEFAULT]
 * `action_ = %(banaction)s[port="%(port)s"]` takes the jail's own `port`), `%(default/name)s` by
 * [DEFAULT]'s, `%(known/name)s` by the definition the current one replaced, `%(section/name)s` by
 * another section's, `%(__name__)s` by the section's name; `%%` is a literal `%`. Every definition
 * used on the way is recorded, so the importer can cite it and tell unused settings apart.
 */
import { DEFAULT_SECTION, type Definition, type Layers } from './layers.js';

/** configparser stops at this depth; deeper is a reference loop. */
const MAX_DEPTH = 20;
const REFERENCE = /%\(([^)]*)\)s|%%/g;

/** Values fail2ban defines itself, before any file. */
function builtins(dir: string): Map<string, Definition> {
  const at = (text: string): Definition => ({ text, file: '(fail2ban built-in)', line: 0 });
  return new Map([
    ['fail2ban_version', at('1.0')],
    ['fail2ban_confpath', at(dir)],
  ]);
}

export interface Resolved {
  /** The interpolated value. */
  text: string;
  /** The definition of the name itself. */
  def: Definition;
  /** Every definition read to build the value, with the name it was read as (the name's own first). */
  used: { name: string; def: Definition }[];
}

export class InterpolationError extends Error {
  constructor(
    readonly def: Definition,
    readonly problem: string,
  ) {
    super(problem);
  }
}

export class JailValues {
  private readonly builtin: Map<string, Definition>;
  /** Names read in this section (directly or by reference): they are accounted for. */
  readonly read = new Set<string>();

  constructor(
    private readonly layers: Layers,
    readonly section: string,
  ) {
    this.builtin = builtins(layers.dir);
  }

  private own(section: string): Map<string, Definition> | undefined {
    return this.layers.sections.get(section);
  }

  /** The raw definition of `name` for `section`: its own, else [DEFAULT]'s, else fail2ban's built-in. */
  definition(name: string, section = this.section): Definition | undefined {
    return this.own(section)?.get(name) ?? this.own(DEFAULT_SECTION)?.get(name) ?? this.builtin.get(name);
  }

  /** Whether the jail's own section (not [DEFAULT]) sets `name`. */
  setsOwn(name: string): boolean {
    return this.section !== DEFAULT_SECTION && this.own(this.section)?.has(name) === true;
  }

  /** Every name the jail sees: its section's and [DEFAULT]'s. */
  names(): string[] {
    return [...new Set([...(this.own(DEFAULT_SECTION)?.keys() ?? []), ...(this.own(this.section)?.keys() ?? [])])];
  }

  /** The interpolated value of `name`, or undefined when nothing defines it. Throws InterpolationError. */
  get(name: string): Resolved | undefined {
    const def = this.definition(name);
    if (!def) return undefined;
    this.read.add(name);
    const used: Resolved['used'] = [{ name, def }];
    return { text: this.expand(def, name, this.section, used, 0), def, used };
  }

  private expand(def: Definition, name: string, section: string, used: Resolved['used'], depth: number): string {
    if (depth > MAX_DEPTH) throw new InterpolationError(def, `references nest deeper than ${MAX_DEPTH} levels (a loop through %(${name})s?)`);
    return def.text.replace(REFERENCE, (whole, ref: string | undefined) => {
      if (whole === '%%') return '%';
      const found = this.lookup(ref!, def, name, section);
      if (!found) throw new InterpolationError(def, `refers to %(${ref})s, which nothing defines`);
      if (!used.some((u) => u.def === found.def)) used.push({ name: found.name, def: found.def });
      if (section === this.section && !ref!.includes('/')) this.read.add(ref!);
      return found.literal ?? this.expand(found.def, found.name, found.section, used, depth + 1);
    });
  }

  private lookup(
    ref: string,
    from: Definition,
    name: string,
    section: string,
  ): { def: Definition; name: string; section: string; literal?: string } | undefined {
    if (ref === '__name__') return { def: from, name, section, literal: section };
    const slash = ref.indexOf('/');
    const where = slash < 0 ? '' : ref.slice(0, slash).toLowerCase();
    const key = slash < 0 ? ref : ref.slice(slash + 1);
    // The value a definition replaced: an earlier file's, else (in a jail) [DEFAULT]'s.
    const replaced = () => from.known ?? (section !== DEFAULT_SECTION ? this.own(DEFAULT_SECTION)?.get(key) : undefined);
    let def: Definition | undefined;
    if (where === '') def = this.definition(key, section);
    else if (where === 'known') def = key === name ? replaced() : this.definition(key, section);
    // Expanded in the section that asks, as fail2ban's stock jails rely on: `%(default/action_)s`
    // in [nsd] bans the jail's own port.
    else if (where === 'default') def = this.own(DEFAULT_SECTION)?.get(key);
    else {
      const other = ref.slice(0, slash);
      def = this.own(other)?.get(key);
      return def ? { def, name: key, section: other } : undefined;
    }
    // A name that refers to itself means the value it replaced (configparser would loop).
    if (def === from) def = key === name ? replaced() : undefined;
    return def && def !== from ? { def, name: key, section } : undefined;
  }
}

/** fail2ban's booleans: true/yes/on/1 and false/no/off/0 (any case); anything else is undefined. */
export function parseBool(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(t)) return true;
  if (['false', 'no', 'off', '0'].includes(t)) return false;
  return undefined;
}
