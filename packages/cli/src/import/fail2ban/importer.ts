/**
 * `f2b import fail2ban`: fail2ban's jail configuration in a directory, read as fail2ban reads it,
 * as one f2b config. [DEFAULT]'s shared settings become `defaults`; each enabled jail becomes a jail
 * (its values that differ from the defaults, its filter, sources and actions); fail2ban's [recidive]
 * jail becomes f2b's built-in `recidive`. Jails that are not enabled are not imported (fail2ban's
 * stock jail.conf defines a hundred). Everything left behind is a note with file, line and a fix.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { errors, type F2bConfig, type JailInput, type UserFilterInput } from '@f2b/core';
import { FilterFiles, type ImportedFilter } from './filter-file.js';
import { DEFAULT_SECTION, layerFiles, readLayers, whereText } from './layers.js';
import { JailMapper, SHARED_KEYS, type ImportNote, type OutValue } from './jail.js';
import { parseBool } from './interpolate.js';
import { shareActions } from './shared-actions.js';
import type { KnownIds } from '../../known-ids.js';

const JAIL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export interface ImportedJail {
  /** The f2b jail name (fail2ban's, made valid when it was not). */
  name: string;
  section: string;
  where: string;
  values: OutValue[];
  /** false when the jail could not be imported whole (its filter is missing): written disabled. */
  enabled: boolean;
}

export interface ImportResult {
  dir: string;
  files: string[];
  defaults: OutValue[];
  jails: ImportedJail[];
  /** fail2ban's [recidive] jail, as f2b's `recidive` settings. */
  recidive: OutValue[] | null;
  /** Jails defined but not enabled (not imported). */
  notEnabled: string[];
  notes: ImportNote[];
  /** filter.d files f2b has no package for, translated into config filters (`filters:`). */
  filters: ImportedFilter[];
  /** The same, as a plain config object. */
  config: F2bConfig;
}

/** Throws the error a directory that cannot be imported deserves (before any plugin is looked at). */
export function assertImportable(dir: string): string {
  const abs = resolve(dir);
  let isDir: boolean;
  try {
    isDir = statSync(abs).isDirectory();
  } catch (err) {
    throw errors.F2B_ERR_FILE(abs, (err as NodeJS.ErrnoException).code, err);
  }
  if (!isDir) throw errors.F2B_ERR_IMPORT_SOURCE(abs, 'it is not a directory');
  if (layerFiles(abs, 'jail').length === 0) {
    throw errors.F2B_ERR_IMPORT_SOURCE(
      abs,
      existsSync(resolve(abs, 'fail2ban.conf'))
        ? 'it holds fail2ban.conf but no jail.conf, jail.local or jail.d/*.conf'
        : 'it holds no jail.conf, jail.local or jail.d/*.conf',
    );
  }
  return abs;
}

export function importFail2ban(dir: string, known: KnownIds): ImportResult {
  const abs = assertImportable(dir);
  const layers = readLayers(abs, 'jail');
  const notes: ImportNote[] = layers.problems.map((p) => ({
    where: whereText(abs, p),
    section: '',
    key: '',
    problem: `The line ${p.problem}`,
    fix: 'fail2ban skips or refuses it too; correct or remove it.',
    level: 'unmapped',
  }));

  const defaultsMapper = new JailMapper(layers, DEFAULT_SECTION, known);
  const defaults = defaultsMapper.sharedValues();
  notes.push(...defaultsMapper.notes);
  const defaultValue = (key: string) => defaults.find((d) => d.key === key)?.value;

  const filterFiles = new FilterFiles(abs);
  const jails: ImportedJail[] = [];
  const notEnabled: string[] = [];
  let recidive: OutValue[] | null = null;
  for (const section of layers.sections.keys()) {
    if (section === DEFAULT_SECTION) continue;
    const m = new JailMapper(layers, section, known, filterFiles);
    const enabled = m.get('enabled');
    const on = enabled ? parseBool(enabled.text) : false;
    if (enabled && on === undefined)
      m.note(enabled.def, 'enabled', `${JSON.stringify(enabled.text.trim())} is not a boolean; fail2ban refuses it`, 'Write true or false.');
    if (!on) {
      notEnabled.push(section);
      continue;
    }
    const where = whereText(abs, enabled!.def);
    // Only what differs from `defaults` is written per jail (a [DEFAULT] value read in the jail).
    const all = m.sharedValues();
    const shared = all.filter((v) => JSON.stringify(v.value) !== JSON.stringify(defaultValue(v.key)));
    if (section === 'recidive') {
      recidive = recidiveValues(m, all);
      m.leftovers();
      notes.push(...m.notes);
      continue;
    }
    const filter = m.filter();
    const sources = m.sources(filter.value ? filterIdOf(filter.value.value) : undefined);
    const actions = m.actions();
    m.leftovers();
    let name = section;
    if (!JAIL_NAME.test(name)) {
      name =
        section
          .replace(/[^A-Za-z0-9_.-]/g, '-')
          .replace(/^[^A-Za-z0-9]+/, '')
          .slice(0, 64) || 'jail';
      m.note(
        enabled!.def,
        '',
        `The jail name ${JSON.stringify(section)} is not one f2b accepts; imported as ${JSON.stringify(name)}`,
        'Nothing to do, unless something refers to the old name.',
        'warning',
      );
    }
    const values = [filter.value, sources.value, sources.waitForLog, actions, ...shared].filter((v): v is OutValue => v !== undefined);
    const complete = filter.value !== undefined && sources.value !== undefined;
    if (!complete)
      m.note(
        enabled!.def,
        'enabled',
        'The jail is imported disabled (enabled: false): see the notes above for what it lacks',
        'Supply what is missing, then remove enabled: false.',
      );
    jails.push({ name, section, where, values: complete ? values : [{ key: 'enabled', value: false, from: [] }, ...values], enabled: complete });
    notes.push(...m.notes);
  }
  // fail2ban's banaction once and port per jail: defaults.actions and each jail's port, where that says the same.
  const shared = shareActions(defaults, jails, recidive);
  return {
    dir: abs,
    files: layers.files,
    ...shared,
    notEnabled,
    notes: mergeNotes(notes),
    filters: filterFiles.filters,
    config: toConfig(shared.defaults, shared.jails, shared.recidive, filterFiles.filters),
  };
}

/**
 * A [DEFAULT] value every jail inherits gives every jail the same note: one note remains, naming the
 * section that set the value ([DEFAULT]) or, for a value set in one jail only, that jail.
 */
function mergeNotes(notes: ImportNote[]): ImportNote[] {
  const seen = new Map<string, ImportNote>();
  for (const n of notes) {
    const id = `${n.where}\0${n.key}\0${n.problem}`;
    const first = seen.get(id);
    if (!first) seen.set(id, n);
    else if (n.section === DEFAULT_SECTION) first.section = DEFAULT_SECTION;
  }
  return [...seen.values()];
}

function filterIdOf(value: unknown): string {
  return typeof value === 'string' ? value : (value as { id: string }).id;
}

/** fail2ban's [recidive] jail: bans of addresses banned `maxretry` times within `findtime`, for `bantime`. */
function recidiveValues(m: JailMapper, all: OutValue[]): OutValue[] {
  const out: OutValue[] = [];
  // What the jail inherits counts too: f2b's recidive has defaults of its own (5 bans, 1d, 1w).
  for (const key of ['maxretry', 'findtime', 'bantime'] as const) {
    const v = all.find((s) => s.key === key);
    if (v) out.push({ ...v, key: key === 'maxretry' ? 'maxbans' : key });
  }
  // Its log (fail2ban's own) and filter are not needed: f2b counts bans in its state store.
  m.get('logpath');
  m.get('filter');
  const actions = m.actions();
  if (actions) out.push(actions);
  return out;
}

function toConfig(defaults: OutValue[], jails: ImportedJail[], recidive: OutValue[] | null, filters: ImportedFilter[]): F2bConfig {
  const obj = (values: OutValue[]) => Object.fromEntries(values.map((v) => [v.key, v.value]));
  const config: F2bConfig = { jails: {} };
  if (filters.length) config.filters = Object.fromEntries(filters.map((f) => [f.id, userFilterOf(f)]));
  if (defaults.length) config.defaults = obj(defaults) as F2bConfig['defaults'];
  if (recidive) config.recidive = obj(recidive) as F2bConfig['recidive'];
  for (const j of jails) config.jails[j.name] = obj(j.values) as JailInput;
  return config;
}

/** The config's form of a translated filter. */
export function userFilterOf(f: ImportedFilter): UserFilterInput {
  return {
    failregex: f.failregex.map((p) => p.pattern),
    ...(f.ignoreregex.length ? { ignoreregex: f.ignoreregex.map((p) => p.pattern) } : {}),
    ...(f.programs ? { programs: f.programs } : {}),
  };
}

/** Keys of `defaults`, in the order they are written. */
export const DEFAULT_KEYS = SHARED_KEYS;
