/**
 * fail2ban's `name[key=value, key2="a, b"]` notation, used by `filter`, `action` and `backend`: a
 * name followed by bracketed arguments (values optionally quoted with " or ', required when they hold
 * a comma). An `action` holds several such items, separated by white space or new lines; an item may
 * carry several bracket groups (`%(default/action_)s[name=x]` expands to `a[port=…][name=x]`), later
 * arguments overriding earlier ones.
 */

export interface Item {
  name: string;
  args: Map<string, string>;
}

export interface ItemProblem {
  text: string;
  problem: string;
}

/** Split a value into items; text that is not an item is returned as a problem. */
export function parseItems(text: string): { items: Item[]; problems: ItemProblem[] } {
  const items: Item[] = [];
  const problems: ItemProblem[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && /\s/.test(text[i]!)) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && !/[\s[\]]/.test(text[i]!)) i++;
    const name = text.slice(start, i);
    const args = new Map<string, string>();
    let bad: string | null = null;
    // Bracket groups directly after the name (fail2ban also allows white space before "[").
    for (;;) {
      let j = i;
      while (j < n && /[ \t]/.test(text[j]!)) j++;
      if (text[j] !== '[') break;
      const end = closingBracket(text, j);
      if (end < 0) {
        bad = 'has a "[" without its "]"';
        i = n;
        break;
      }
      const parsed = parseArgs(text.slice(j + 1, end));
      if (parsed.problem) bad = parsed.problem;
      for (const [k, v] of parsed.args) args.set(k, v);
      i = end + 1;
    }
    if (name === '' || bad) problems.push({ text: text.slice(start, i).trim() || text.slice(start).trim(), problem: bad ?? 'has arguments but no name' });
    else items.push({ name, args });
    if (name === '' && !bad) i++;
  }
  return { items, problems };
}

/** Index of the "]" closing the "[" at `open`, outside quotes; -1 if none. */
function closingBracket(text: string, open: number): number {
  let depth = 0;
  let quote: string | null = null;
  for (let k = open; k < text.length; k++) {
    const c = text[k]!;
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '[') {
      depth++;
    } else if (c === ']' && --depth === 0) {
      return k;
    }
  }
  return -1;
}

/** `a=1, b="x, y", c='z'` → entries; keys are trimmed, values unquoted. */
export function parseArgs(text: string): { args: Map<string, string>; problem?: string } {
  const args = new Map<string, string>();
  const parts: string[] = [];
  let quote: string | null = null;
  let depth = 0;
  let cur = '';
  for (const c of text) {
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '[') {
      depth++;
    } else if (c === ']') {
      depth--;
    } else if (c === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  if (quote) return { args, problem: `has an unclosed ${quote}` };
  parts.push(cur);
  for (const part of parts) {
    const p = part.trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    if (eq <= 0) return { args, problem: `has the argument ${JSON.stringify(p)} without "name="` };
    args.set(p.slice(0, eq).trim(), unquote(p.slice(eq + 1).trim()));
  }
  return { args };
}

function unquote(v: string): string {
  return v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0] ? v.slice(1, -1) : v;
}
