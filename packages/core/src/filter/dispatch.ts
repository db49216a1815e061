/**
 * Which rules can match a message, decided in JS over its bytes: each rule's literal prefixes
 * (prefixes.ts) are bucketed by their first byte, so a line is compared with the few prefixes that
 * start like it and reaches only the rules one of them belongs to — usually one or two, and none
 * for most of the lines a service writes, which then cost no RE2 call and no decoding at all.
 * Allocation-free: the candidates are written into a buffer this object keeps.
 */
import { literalPrefixes } from './prefixes.js';

interface PrefixEntry {
  readonly bytes: Buffer;
  readonly rules: readonly number[];
}

export class Dispatcher {
  /** Per first byte, the prefixes starting with it (longest first). */
  private readonly buckets: (PrefixEntry[] | undefined)[] = new Array(256);
  /** Rules with no usable prefix: candidates for every message. */
  private readonly always: readonly number[];
  /** The candidates of the last `candidates` call, in rule order (valid up to its return value). */
  readonly found: Int32Array;

  /** `sources`: each rule's expanded, positional RE2 source, in rule order. */
  constructor(sources: readonly string[]) {
    const always: number[] = [];
    const byPrefix = new Map<string, number[]>();
    sources.forEach((source, rule) => {
      const prefixes = literalPrefixes(source);
      if (prefixes === null) {
        always.push(rule);
        return;
      }
      for (const p of prefixes) {
        const list = byPrefix.get(p) ?? [];
        list.push(rule);
        byPrefix.set(p, list);
      }
    });
    for (const [text, rules] of byPrefix) {
      const bytes = Buffer.from(text, 'utf8');
      (this.buckets[bytes[0]!] ??= []).push({ bytes, rules });
    }
    for (const b of this.buckets) b?.sort((x, y) => y.bytes.length - x.bytes.length);
    this.always = always;
    this.found = new Int32Array(sources.length);
  }

  /** How many rules can match `message[start..end)`; their indices are `found[0..n)`, ascending. */
  candidates(message: Uint8Array, start: number, end: number): number {
    const bucket = start < end ? this.buckets[message[start]!] : undefined;
    if (bucket === undefined) {
      for (let i = 0; i < this.always.length; i++) this.found[i] = this.always[i]!;
      return this.always.length;
    }
    // Each rule of a matching prefix inserted into `found` in order, once: a message matches a
    // few prefixes of a few rules each, so this beats marking and scanning every rule.
    const found = this.found;
    let n = 0;
    for (let k = 0; k < bucket.length; k++) {
      const entry = bucket[k]!;
      if (!startsWith(message, start, end, entry.bytes)) continue;
      const rules = entry.rules;
      for (let j = 0; j < rules.length; j++) n = insertRule(found, n, rules[j]!);
    }
    if (n === 0 && this.always.length === 0) return 0;
    for (let j = 0; j < this.always.length; j++) n = insertRule(found, n, this.always[j]!);
    return n;
  }
}

/** Insert `rule` into the ascending `found[0, n)` unless it is there; returns the new count. */
function insertRule(found: Int32Array, n: number, rule: number): number {
  let i = n;
  while (i > 0 && found[i - 1]! > rule) i--;
  if (i > 0 && found[i - 1] === rule) return n;
  for (let k = n; k > i; k--) found[k] = found[k - 1]!;
  found[i] = rule;
  return n + 1;
}

function startsWith(message: Uint8Array, start: number, end: number, prefix: Buffer): boolean {
  const len = prefix.length;
  if (end - start < len) return false;
  for (let i = 1; i < len; i++) if (message[start + i] !== prefix[i]) return false; // [0] chose the bucket
  return true;
}
