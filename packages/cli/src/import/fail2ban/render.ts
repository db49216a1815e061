/**
 * The imported config as YAML that f2b's loader reads, each value followed by a comment naming the
 * fail2ban settings (and file:line) it came from, and the report for people: what was imported, what
 * was not and why, what to do. Values are written in YAML's flow style, strings quoted unless plainly
 * safe, so no value can turn into YAML syntax.
 */
import type { ImportResult } from './importer.js';
import type { ImportNote, OutValue } from './jail.js';

const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./@+-]*$/;
const YAML_WORDS = /^(?:true|false|yes|no|on|off|null|y|n|~)$/i;

/** A value in YAML flow style. */
export function flow(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return PLAIN.test(v) && !YAML_WORDS.test(v) ? v : JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(flow).join(', ')}]`;
  const entries = Object.entries(v as Record<string, unknown>);
  return entries.length ? `{ ${entries.map(([k, x]) => `${key(k)}: ${flow(x)}`).join(', ')} }` : '{}';
}

function key(k: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(k) && !YAML_WORDS.test(k) ? k : JSON.stringify(k);
}

/** Comments hold file names and fail2ban names only; anything else (a new line, above all) is replaced. */
function commentText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
}

function origin(v: OutValue): string {
  if (v.from.length === 0) return '';
  return commentText(`fail2ban: ${v.from.map((o) => `${o.name} (${o.where})`).join(', ')}`);
}

function block(values: OutValue[], indent: string): string[] {
  const rows = values.map((v) => ({ text: `${indent}${key(v.key)}: ${flow(v.value)}`, note: origin(v) }));
  const width = Math.min(72, Math.max(0, ...rows.map((r) => r.text.length)));
  return rows.map((r) => (r.note ? `${r.text.padEnd(width)}  # ${r.note}` : r.text));
}

export function renderYaml(result: ImportResult): string {
  const out: string[] = [
    `# f2b config imported from fail2ban's configuration in ${commentText(result.dir)} (f2b import fail2ban).`,
    '# Files read, later ones overriding earlier ones:',
    ...result.files.map((f) => `#   ${commentText(f)}`),
  ];
  if (result.notEnabled.length) out.push(`# Jails defined there but not enabled are not imported (${result.notEnabled.length}).`);
  const left = result.notes.filter((n) => n.level === 'unmapped');
  if (left.length) {
    out.push('# Not imported (see `f2b import fail2ban` for the fixes):');
    for (const n of left) out.push(`#   ${commentText(noteHead(n))}`);
  }
  if (result.defaults.length) out.push('defaults:', ...block(result.defaults, '  '));
  if (result.filters.length) out.push(...filtersYaml(result));
  if (result.recidive) out.push('recidive:', ...(result.recidive.length ? block(result.recidive, '  ') : ['  enabled: true']));
  if (result.jails.length === 0) {
    out.push('jails: {}');
  } else {
    out.push('jails:');
    for (const j of result.jails) {
      out.push(`  ${key(j.name)}:${j.section !== j.name ? `  # fail2ban: [${commentText(j.section)}]` : ''}`);
      out.push(...block(j.values, '    '));
    }
  }
  return out.join('\n') + '\n';
}

/** `filters:`: each translated filter.d file, its files and each pattern's line in a comment. */
function filtersYaml(result: ImportResult): string[] {
  const out = ["# Filters translated from fail2ban's filter.d (patterns RE2 cannot run are listed in the report, not here):", 'filters:'];
  for (const f of result.filters) {
    out.push(`  ${key(f.id)}:  # ${commentText(`fail2ban: ${f.files.join(', ')}`)}`);
    for (const k of ['failregex', 'ignoreregex'] as const) {
      if (f[k].length === 0) continue;
      out.push(`    ${k}:`);
      for (const p of f[k]) out.push(`      - ${JSON.stringify(p.pattern)}  # ${commentText(`${p.where}, pattern ${p.index + 1}`)}`);
    }
    if (f.programs) out.push(`    programs: ${flow(f.programs)}  # ${commentText('fail2ban: _daemon (the program of __prefix_line)')}`);
  }
  return out;
}

function noteHead(n: ImportNote): string {
  const what = n.key ? `${n.section ? `[${n.section}] ` : ''}${n.key}` : n.section ? `[${n.section}]` : '';
  return `${n.where}: ${what}${what ? ': ' : ''}${n.problem}`;
}

/** The report: summary, jails imported, notes (not imported first, then warnings). */
export function renderReport(result: ImportResult, written?: string): string {
  const out: string[] = [];
  out.push(
    `Read ${result.files.length} file(s) of ${result.dir}: ${result.files.map((f) => (f.startsWith(result.dir + '/') ? f.slice(result.dir.length + 1) : f)).join(', ')}`,
  );
  const on = result.jails.filter((j) => j.enabled);
  const off = result.jails.filter((j) => !j.enabled);
  out.push(
    `Jails: ${on.length} imported${on.length ? ` (${on.map((j) => j.name).join(', ')})` : ''}` +
      `${off.length ? `, ${off.length} imported disabled (${off.map((j) => j.name).join(', ')})` : ''}` +
      `${result.recidive ? ", [recidive] as f2b's recidive" : ''}` +
      `; ${result.notEnabled.length} not enabled in fail2ban (not imported).`,
  );
  for (const f of result.filters) {
    const left = result.notes.filter(
      (n) => n.level === 'unmapped' && n.section === 'Definition' && f.files.some((file) => n.where.startsWith(`${file}:`)),
    ).length;
    out.push(
      `Filter ${f.id}: translated from ${f.files.join(', ')} into filters.${f.id}: ${f.failregex.length} failregex, ${f.ignoreregex.length} ignoreregex${left ? `, ${left} pattern(s) left out (see below)` : ''}`,
    );
  }
  const shared = result.defaults.find((v) => v.key === 'actions');
  if (shared) out.push(`  every jail (defaults): actions ${flow(shared.value)}`);
  for (const j of result.jails) {
    const brief = j.values
      .filter((v) => v.key !== 'enabled')
      .map((v) => `${v.key} ${flow(v.value)}`)
      .join('; ');
    out.push(`  ${j.enabled ? '' : '(disabled) '}${j.name}: ${brief}`);
  }
  const left = result.notes.filter((n) => n.level === 'unmapped');
  const warn = result.notes.filter((n) => n.level === 'warning');
  if (left.length) {
    out.push('', `Not imported (${left.length}):`);
    for (const n of left) out.push(`  ${noteHead(n)}`, `    Fix: ${n.fix}`);
  }
  if (warn.length) {
    out.push('', `Check (${warn.length}):`);
    for (const n of warn) out.push(`  ${noteHead(n)}`, `    Fix: ${n.fix}`);
  }
  out.push('');
  out.push(
    written
      ? `Wrote ${written}. Check it with: f2b config check -c ${written}`
      : 'Dry run: nothing written. Print the config with --print, or write it with --write FILE (e.g. /etc/f2b/f2b.config.yaml).',
  );
  return out.join('\n') + '\n';
}
