/**
 * Merging config layers with provenance: later layers override earlier ones key by key (objects are
 * merged deeply, arrays and other values are replaced, `null` removes a key), and every leaf keeps
 * where it came from — the file (or package) and the key path inside that file.
 */

/** Where one value of the merged config came from. */
export interface ValueOrigin {
  /** Absolute path of the config file that set the value. */
  file: string;
  /** The package that file belongs to, when it was reached through `extends: "<package>"`. */
  package?: string;
  /** Key path inside that file, e.g. `hosts.web-*.jails.sshd.maxretry`. */
  path: string;
  /** Environment variables the value was built from (their names, never their values). */
  env?: string[];
}

export type Segments = readonly string[];
export type PlainObject = Record<string, unknown>;

export function isPlainObject(v: unknown): v is PlainObject {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A deep copy of JSON-like data (config files are data; functions and class instances are kept by reference). */
export function cloneData<T>(v: T): T {
  if (Array.isArray(v)) return v.map(cloneData) as T;
  if (isPlainObject(v)) {
    const out: PlainObject = {};
    for (const [k, x] of Object.entries(v)) out[k] = cloneData(x);
    return out as T;
  }
  return v;
}

export const joinPath = (segments: Segments): string => segments.join('.');
const keyOf = (segments: Segments): string => JSON.stringify(segments);

/** The origin of every leaf of a merged config, by key path. */
export class Origins {
  private readonly map = new Map<string, { segments: Segments; origin: ValueOrigin }>();

  set(segments: Segments, origin: ValueOrigin): void {
    this.map.set(keyOf(segments), { segments: [...segments], origin });
  }

  get(segments: Segments): ValueOrigin | undefined {
    return this.map.get(keyOf(segments))?.origin;
  }

  /** Forget the value at `segments` and everything below it. */
  remove(segments: Segments): void {
    for (const [k, e] of this.map) if (isPrefix(segments, e.segments)) this.map.delete(k);
  }

  /** Forget the record of exactly `segments` (not what is below it). */
  delete(segments: Segments): void {
    this.map.delete(keyOf(segments));
  }

  /** Every leaf at or below `segments`, in insertion order. */
  below(segments: Segments): { segments: Segments; origin: ValueOrigin }[] {
    return [...this.map.values()].filter((e) => isPrefix(segments, e.segments));
  }

  entries(): { path: string; segments: Segments; origin: ValueOrigin }[] {
    return [...this.map.values()].map((e) => ({ path: joinPath(e.segments), ...e }));
  }

  /**
   * The origin that best explains a (dotted) key path from a validation error, with its key path
   * inside that file: the leaf itself; else the nearest leaf above it (a value inside an array); else
   * the last layer that set anything next to it (a key missing from an object), going up.
   */
  explain(path: string): ValueOrigin | undefined {
    const entries = [...this.map.values()].map((e) => ({ ...e, path: joinPath(e.segments) }));
    const target = path === '(root)' ? '' : path;
    const segs = target === '' ? [] : target.split('.');
    for (let n = segs.length; n >= 0; n--) {
      const q = segs.slice(0, n).join('.');
      const hit = entries.find((e) => e.path === q) ?? entries.filter((e) => q === '' || e.path.startsWith(q + '.')).at(-1);
      if (!hit) continue;
      const o = hit.origin;
      const suffix = hit.path.slice(q.length);
      // The origin's path ends like the merged path (host blocks only add a prefix); when it does not
      // (a filter id given as a string), name the merged path.
      if (!o.path.endsWith(suffix)) return { ...o, path: target || '(root)' };
      const base = o.path.slice(0, o.path.length - suffix.length);
      const rest = target.slice(q.length);
      const inFile = (base + (base === '' || base.endsWith('.') ? rest.replace(/^\./, '') : rest)).replace(/\.$/, '');
      return { ...o, path: inFile || '(root)' };
    }
    return undefined;
  }
}

function isPrefix(prefix: Segments, full: Segments): boolean {
  if (prefix.length > full.length) return false;
  for (let i = 0; i < prefix.length; i++) if (prefix[i] !== full[i]) return false;
  return true;
}

/** Where a layer comes from: its file (and package), and the key path of the layer inside that file. */
export interface LayerSource {
  file: string;
  package?: string;
  /** Key path of this layer inside its file: `[]` for the file itself, `['hosts', 'web-*']` for a host block. */
  base: Segments;
}

/**
 * Merge `layer` into `target` (mutated), recording origins. Objects merge key by key; arrays and
 * scalars replace; `null` deletes. Inside a jail, `source` and `sources` replace each other, and a
 * filter object merges onto a filter given as a string id (`{ mode }` over `"sshd"` keeps the id).
 */
export function mergeLayer(target: PlainObject, layer: PlainObject, origins: Origins, src: LayerSource): void {
  mergeObject(target, layer, [], origins, src);
}

function mergeObject(target: PlainObject, layer: PlainObject, at: Segments, origins: Origins, src: LayerSource): void {
  const inJail = at.length === 2 && at[0] === 'jails';
  for (const [key, value] of Object.entries(layer)) {
    if (value === undefined) continue;
    const path = [...at, key];
    if (inJail && (key === 'source' || key === 'sources')) {
      const other = key === 'source' ? 'sources' : 'source';
      delete target[other];
      origins.remove([...at, other]);
    }
    if (value === null) {
      delete target[key];
      origins.remove(path);
      continue;
    }
    if (isPlainObject(value)) {
      let current = target[key];
      if (inJail && key === 'filter' && typeof current === 'string') {
        // `filter: sshd` then `filter: { mode: aggressive }`: the id stays.
        const idOrigin = origins.get(path);
        current = { id: current };
        origins.remove(path);
        if (idOrigin) origins.set([...path, 'id'], idOrigin);
      } else if (!isPlainObject(current)) {
        current = {};
        origins.remove(path);
      }
      target[key] = current;
      if (Object.keys(value).length === 0 && Object.keys(current as PlainObject).length === 0) {
        origins.set(path, originAt(src, path));
        continue;
      }
      origins.delete(path); // an empty object recorded as a leaf before
      mergeObject(current as PlainObject, value, path, origins, src);
      continue;
    }
    origins.remove(path);
    target[key] = cloneData(value);
    origins.set(path, originAt(src, path));
  }
}

function originAt(src: LayerSource, path: Segments): ValueOrigin {
  return { file: src.file, ...(src.package ? { package: src.package } : {}), path: joinPath([...src.base, ...path]) };
}
