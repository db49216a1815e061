/**
 * Human output of the client commands: ANSI colour (only on a terminal; NO_COLOR turns it off,
 * FORCE_COLOR on), aligned tables, fail2ban-client's `|-` trees, dates and durations. Everything that
 * came from the daemon (jail names, addresses, rule ids, matched lines) is escaped by @f2b/core's
 * escape.ts (the client escapes whole answers with `escapeDeep`): log text is written by attackers
 * and must not reach the terminal as escape sequences.
 */
import { escapeControls, localIsoTime } from '@f2b/core/client';

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

const sgr = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;
const plain = (s: string) => s;

export function colorEnabled(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

export function style(enabled = colorEnabled()): Style {
  if (!enabled) return { bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain };
  return { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), cyan: sgr(36, 39) };
}

/** Length as seen on a terminal (without escape sequences). */
export function visibleLength(s: string): number {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '').length;
}

function pad(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - visibleLength(s)));
}

/** Columns aligned on the widest cell; the last column is not padded. */
export function table(header: string[], rows: string[][], st: Style): string {
  const widths = header.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i]!)))
      .join('  ')
      .trimEnd();
  return [st.bold(line(header)), ...rows.map(line)].join('\n') + '\n';
}

export type TreeNode = { label: string; value?: string; children?: TreeNode[] };

/**
 * fail2ban-client's status layout:
 *   Status for the jail: sshd
 *   |- Filter
 *   |  `- Total failed:     12
 *   `- Actions …
 * Values of leaves are aligned across the whole tree.
 */
export function tree(title: string, nodes: TreeNode[], st: Style): string {
  const width = Math.max(0, ...leaves(nodes).map((n) => n.label.length + 1)) + 1;
  const out = [st.bold(title)];
  const walk = (list: TreeNode[], prefix: string) => {
    list.forEach((n, i) => {
      const last = i === list.length - 1;
      const branch = last ? '`- ' : '|- ';
      if (n.children) {
        out.push(`${prefix}${branch}${st.bold(n.label)}`);
        walk(n.children, prefix + (last ? '   ' : '|  '));
      } else {
        out.push(`${prefix}${branch}${`${n.label}:`.padEnd(width)}${n.value ?? ''}`.trimEnd());
      }
    });
  };
  walk(nodes, '');
  return out.join('\n') + '\n';
}

function leaves(nodes: TreeNode[]): TreeNode[] {
  return nodes.flatMap((n) => (n.children ? leaves(n.children) : [n]));
}

/** Local date and time, `2024-01-15 13:00:00`. */
export function formatTime(ms: number): string {
  // The ban trail's convention (local time with its offset), to the second.
  return localIsoTime(ms, { millis: false });
}

/** A span for people: `45s`, `12m 3s`, `5h 2m`, `3d 4h`. */
export function formatSpan(ms: number): string {
  let s = Math.max(0, Math.round(Math.abs(ms) / 1000));
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`;
  if (m > 0) return s > 0 ? `${m}m ${s}s` : `${m}m`;
  return `${s}s`;
}

/** `2024-01-15 13:00:00 (in 59m)`, `… (3m ago)`, or `never (permanent ban)` for null. */
export function formatWhen(ms: number | null, now = Date.now()): string {
  if (ms === null) return 'never (permanent ban)';
  const rel = ms >= now ? `in ${formatSpan(ms - now)}` : `${formatSpan(now - ms)} ago`;
  return `${formatTime(ms)} (${rel})`;
}

/** Text that came from a log or an attacker: no control characters. */
export function safe(text: unknown): string {
  return escapeControls(String(text ?? ''));
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
