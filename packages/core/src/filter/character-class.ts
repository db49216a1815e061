/**
 * Where a character class of a pattern ends, for the scanners that walk a pattern's source (group
 * names, top-level alternatives, constructs RE2 refuses, the importer's rewriting): inside a class,
 * `(`, `|` and `)` are literals, so each scanner must step over classes the same way.
 */

/**
 * The index of the `]` closing the class opened by the `[` at `open` (a `]` right after `[` or `[^`
 * is a literal, an escaped `\]` too), or `source.length` when the class is never closed.
 */
export function classEnd(source: string, open: number): number {
  let j = open + 1;
  if (source[j] === '^') j++;
  if (source[j] === ']') j++;
  while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1;
  return Math.min(j, source.length);
}
