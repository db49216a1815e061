/**
 * f2b.config(5) in roff, made from the config schema (the one validation uses: every key, its
 * types and allowed values) and the description table kept beside it in @f2b/core — so the page
 * lists exactly the keys `f2b config check` accepts.
 */
import { COMPOSITION_KEYS, CONFIG_KEYS, CONFIG_SCHEMA, schemaKeys, type KeyDescription, type SchemaKey } from '@f2b/core';

/** Text for roff: backslashes, leading dots and quotes, and hyphens (which man would hyphenate). */
export function roffText(s: string): string {
  return s
    .replace(/\\/g, '\\e')
    .replace(/^([.'])/gm, '\\&$1')
    .replace(/-/g, '\\-');
}

function typeText(k: SchemaKey): string {
  const types = k.types.slice();
  // number|string is how the schema says "a duration": seconds or text with units.
  if (types.length === 2 && types.includes('number') && types.includes('string')) return 'duration';
  const shown = (v: unknown) => (typeof v === 'string' ? `"${v}"` : String(v));
  if (!k.values) return types.join(' | ');
  const valueTypes = new Set<string>(k.values.map((v) => typeof v));
  const rest = types.filter((t) => !valueTypes.has(t));
  return [...rest, ...k.values.map(shown)].join(' | ');
}

function entry(path: string, type: string, d: KeyDescription): string[] {
  const out = ['.TP', `.B ${roffText(path)}`, `(${roffText(type)}) ${roffText(d.text)}`];
  if (d.default !== undefined) out.push('.br', `Default: ${roffText(d.default)}.`);
  return out;
}

export function configManPage(version: string): string {
  const keys = schemaKeys(CONFIG_SCHEMA);
  const section = (title: string, match: (k: SchemaKey) => boolean) => {
    const out = ['.SH ' + title];
    for (const k of keys.filter(match)) {
      const d = CONFIG_KEYS[k.path];
      // The test makes sure this never happens; a page with a hole beats no page.
      out.push(...entry(k.path, typeText(k), d ?? { text: '(not described)' }));
    }
    return out;
  };
  return [
    `.TH F2B.CONFIG 5 "" "f2b ${roffText(version)}" "File Formats"`,
    '.SH NAME',
    'f2b.config \\- the configuration of f2b, the intrusion\\-prevention daemon',
    '.SH SYNOPSIS',
    '/etc/f2b/f2b.config.yaml, f2b.config.{json,yaml,js,mjs,ts}, .f2brc{,.json,.yaml,.yml,.js}, or an "f2b" key in package.json',
    '.SH DESCRIPTION',
    roffText(
      'f2b searches its config from the current directory upward (to the home directory, then ~/.config/f2b), then in /etc/f2b; --config FILE names one. ' +
        'The file is YAML, JSON or a module exporting the object. Keys are checked when the config is read: an unknown key or a bad value is an error naming the file, the key path and the fix (F2B_ERR_CONFIG_INVALID). ' +
        'This page lists every key f2b accepts, made from the same schema. ' +
        'In the key paths below, <name> stands for a name you choose (a jail). ' +
        'Plugins take their own options (a source, filter, action, tracker or store given as { type, ...options }); f2b plugins lists the installed ones, and each package documents its options.',
    ),
    '.PP',
    roffText(
      'Values may be "${env:NAME}" inside a string, or { env: NAME } for the whole value (resolved at load, never printed by f2b config print); null removes a key or jail an extended config set.',
    ),
    '.SH COMPOSITION',
    ...Object.entries(COMPOSITION_KEYS).flatMap(([k, d]) => entry(k, k === 'extends' ? 'string | array' : 'object', d)),
    ...section('GLOBAL KEYS', (k) => !k.path.startsWith('jails.') && k.path !== 'jails'),
    ...section('JAILS', (k) => k.path === 'jails' || k.path.startsWith('jails.')),
    '.SH EXAMPLE',
    '.nf',
    ...[
      'defaults:',
      '  bantime: 1h',
      '  findtime: 10m',
      '  actions: [nftables]',
      '  ignoreip: [192.0.2.0/24]',
      'jails:',
      '  sshd:',
      '    filter: { id: sshd, mode: aggressive }',
      '    maxretry: 3',
      '  nginx-http-auth: {}',
    ].map(roffText),
    '.fi',
    '.SH FILES',
    '/etc/f2b/f2b.config.yaml, /var/lib/f2b/f2b.db, /run/f2b/f2b.sock',
    '.SH SEE ALSO',
    'f2b(1); f2b config check and f2b config print show the composed config and where each value came from.',
    '',
  ].join('\n');
}
