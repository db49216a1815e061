// Brings the shared fields of every package.json in line: one canonical project URL for
// `repository`, `homepage` and `bugs`, a `prepack` that builds, source maps kept out of the tarball
// (they point at src/, which is not shipped), and what @f2b/cli ships beyond its code (the systemd
// unit under packaging/). Every other field — versions, dependencies, peer ranges, the f2b block —
// is left as it is. test/manifests.test.ts checks the result, so re-run this after a merge that
// touched manifests:
//
//   node scripts/sync-manifests.mjs          # rewrite what differs
//   node scripts/sync-manifests.mjs --check  # list what differs, exit 1 if anything does
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's one canonical URL (repository, homepage, issues). */
export const PROJECT_URL = 'https://github.com/f2b-project/f2b';
/** Excludes the source maps (and declaration maps) of dist/ from the tarball. */
export const NO_MAPS = '!dist/**/*.map';
/** Extra shipped paths per package directory. */
export const EXTRA_FILES = { cli: ['packaging'] };

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The fields a package's manifest must have, given its directory name under packages/. */
export function wantedFields(dir) {
  return {
    repository: { type: 'git', url: `git+${PROJECT_URL}.git`, directory: `packages/${dir}` },
    homepage: `${PROJECT_URL}/tree/main/packages/${dir}#readme`,
    bugs: { url: `${PROJECT_URL}/issues` },
  };
}

/** The manifest with the shared fields set; key order kept, new keys placed after `repository`. */
export function syncManifest(dir, pkg) {
  const want = wantedFields(dir);
  const files = [...(pkg.files ?? ['dist', 'README.md', 'LICENSE'])];
  for (const extra of EXTRA_FILES[dir] ?? []) if (!files.includes(extra)) files.push(extra);
  if (!files.includes(NO_MAPS)) files.push(NO_MAPS);
  const scripts = { ...(pkg.scripts ?? {}), prepack: 'tsc -b' };
  const out = {};
  for (const [k, v] of Object.entries(pkg)) {
    if (k === 'homepage' || k === 'bugs') continue; // placed after repository
    out[k] = k === 'repository' ? want.repository : k === 'files' ? files : k === 'scripts' ? scripts : v;
    if (k === 'repository') Object.assign(out, { homepage: want.homepage, bugs: want.bugs });
  }
  if (!('repository' in out)) Object.assign(out, { repository: want.repository, homepage: want.homepage, bugs: want.bugs });
  if (!('files' in out)) out.files = files;
  if (!('scripts' in out)) {
    // After publishConfig when there is one (the manifests' usual order), else at the end.
    const entries = Object.entries(out);
    const at = entries.findIndex(([k]) => k === 'publishConfig');
    entries.splice(at < 0 ? entries.length : at + 1, 0, ['scripts', scripts]);
    return Object.fromEntries(entries);
  }
  return out;
}

/** The root manifest with the project's URLs, placed after `license`. */
export function syncRootManifest(pkg) {
  const want = { repository: { type: 'git', url: `git+${PROJECT_URL}.git` }, homepage: `${PROJECT_URL}#readme`, bugs: { url: `${PROJECT_URL}/issues` } };
  const out = {};
  for (const [k, v] of Object.entries(pkg)) {
    if (k in want) continue;
    out[k] = v;
    if (k === 'license') Object.assign(out, want);
  }
  return 'repository' in out ? out : { ...out, ...want };
}

/**
 * JSON as npm writes it (2 spaces, newline at the end), except that arrays of plain values written
 * on one line in the original (`"filters": ["sshd"]`) stay on one line: fewer lines change, and
 * merges with other edits of the same file stay easy.
 */
export function serialize(obj, originalText = '') {
  let text = `${JSON.stringify(obj, null, 2)}\n`;
  for (const m of originalText.matchAll(/^(\s*)"([^"\n]+)": (\[[^\n[\]{}]*\])(,?)$/gm)) {
    const [, indent, key, inline] = m;
    let value;
    try {
      value = JSON.parse(inline);
    } catch {
      continue;
    }
    const multi = JSON.stringify(value, null, 2)
      .split('\n')
      .map((l, i) => (i === 0 ? l : indent + l))
      .join('\n');
    text = text.replace(`${indent}"${key}": ${multi}`, `${indent}"${key}": ${inline}`);
  }
  return text;
}

function main() {
  const check = process.argv.includes('--check');
  const dirs = readdirSync(join(root, 'packages'))
    .filter((d) => existsSync(join(root, 'packages', d, 'package.json')))
    .sort();
  const differ = [];
  for (const dir of dirs) {
    const file = join(root, 'packages', dir, 'package.json');
    const text = readFileSync(file, 'utf8');
    const next = serialize(syncManifest(dir, JSON.parse(text)), text);
    if (next === text) continue;
    differ.push(`packages/${dir}/package.json`);
    if (!check) writeFileSync(file, next);
  }
  // The root (private, never published) names the project the same way.
  const rootFile = join(root, 'package.json');
  const rootText = readFileSync(rootFile, 'utf8');
  const rootNext = serialize(syncRootManifest(JSON.parse(rootText)), rootText);
  if (rootNext !== rootText) {
    differ.push('package.json');
    if (!check) writeFileSync(rootFile, rootNext);
  }
  if (check && differ.length > 0) {
    console.error(`These manifests differ from what scripts/sync-manifests.mjs writes:\n  ${differ.join('\n  ')}\nRun: node scripts/sync-manifests.mjs`);
    process.exitCode = 1;
  } else {
    console.log(differ.length === 0 ? 'All manifests are in line.' : `${check ? 'Differ' : 'Updated'}: ${differ.join(', ')}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
