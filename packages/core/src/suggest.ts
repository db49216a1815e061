/**
 * "Did you mean …?": the known names closest to a misspelt one, by edit distance (insertions,
 * deletions, substitutions and swaps of neighbours each count 1).
 */

/** Optimal string alignment distance between a and b, given up once it exceeds `limit`. */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      cur.push(d);
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin > limit) return limit + 1;
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The names within a distance that grows with the length of `wanted` (1 up to 4 characters, 2 up to
 * 8, then 3), nearest first; also names that start with it or that it starts with (`ssh` → `sshd`).
 */
export function closeMatches(wanted: string, names: Iterable<string>, max = 3): string[] {
  const w = wanted.toLowerCase();
  const limit = w.length <= 4 ? 1 : w.length <= 8 ? 2 : 3;
  const scored: { name: string; d: number }[] = [];
  for (const name of new Set(names)) {
    const n = name.toLowerCase();
    if (n === w) continue;
    let d = editDistance(w, n, limit);
    if (d > limit && w.length >= 3 && (n.startsWith(w) || w.startsWith(n))) d = limit;
    if (d <= limit) scored.push({ name, d });
  }
  scored.sort((a, b) => a.d - b.d || a.name.localeCompare(b.name));
  return scored.slice(0, max).map((s) => s.name);
}

/** ` Did you mean "a" or "b"?` (with a leading space), or '' when nothing is close. */
export function didYouMean(wanted: string, names: Iterable<string>): string {
  const m = closeMatches(wanted, names);
  if (m.length === 0) return '';
  const q = m.map((x) => JSON.stringify(x));
  return ` Did you mean ${q.length === 1 ? q[0] : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`}?`;
}
