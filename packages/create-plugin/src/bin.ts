/**
 * `npm init @f2b/plugin [-- options]` (= `npx @f2b/create-plugin`):
 *
 *   --kind filter|action|source   what the plugin provides
 *   --name <package>              npm name, e.g. f2b-filter-myapp or @acme/f2b-filter-myapp
 *   --id <id>                     filter id / action type / source type (default: from the name)
 *   --dir <dir>                   where to write (default: ./<name without scope>)
 *   --description <text>, --author <text>
 *   --core <spec>                 @f2b/core devDependency spec (default: the core range)
 *   --yes                         no questions: defaults for everything not given
 *   --force                       write into a non-empty directory
 *
 * Without --yes, on a terminal, it asks for what is missing.
 */
import { createInterface } from 'node:readline/promises';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { conventionalName, defaultId, KINDS, scaffold, ScaffoldError, type Kind, type ScaffoldOptions } from './index.js';

const HELP = `Usage: npm init @f2b/plugin -- [options]   (or: npx @f2b/create-plugin [options])

Scaffold an f2b plugin package: manifest, TypeScript source, tests with @f2b/core/testing, README.

Options:
  --kind <kind>          filter, action or source
  --name <package>       npm package name (f2b-filter-myapp, @acme/f2b-action-myapi)
  --id <id>              filter id / action type / source type (default: from the name)
  --dir <dir>            target directory (default: the name without scope)
  --description <text>   package description
  --author <text>        author (package.json, LICENSE)
  --core <spec>          @f2b/core devDependency (default: the supported range)
  -y, --yes              ask nothing; use defaults
  --force                write into a non-empty directory
  -h, --help             this help
`;

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        kind: { type: 'string' },
        name: { type: 'string' },
        id: { type: 'string' },
        dir: { type: 'string' },
        description: { type: 'string' },
        author: { type: 'string' },
        core: { type: 'string' },
        yes: { type: 'boolean', short: 'y' },
        force: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(`create-plugin: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const o: Partial<ScaffoldOptions> = {
    kind: values.kind as Kind | undefined,
    name: values.name,
    id: values.id,
    dir: values.dir,
    description: values.description,
    author: values.author,
    coreSpec: values.core,
    force: values.force,
  };
  if (!values.yes && process.stdin.isTTY) await ask(o);
  o.kind ??= 'filter';
  o.name ??= `f2b-${o.kind}-${o.id ?? 'myapp'}`;
  try {
    const r = scaffold(o as ScaffoldOptions);
    const rel = relative(process.cwd(), r.dir) || '.';
    process.stdout.write(`Created ${o.name} (${o.kind} "${r.id}") in ${rel}:\n${r.files.map((f) => `  ${f}`).join('\n')}\n\n`);
    if (!conventionalName(o.name, o.kind)) {
      process.stdout.write(`Note: f2b finds "${o.name}" by its keyword "f2b-plugin"; names like f2b-${o.kind}-${r.id} are found by name too.\n\n`);
    }
    process.stdout.write(`Next:\n  cd ${rel}\n  npm install\n  npm test\n  npm publish\n`);
    return 0;
  } catch (err) {
    if (err instanceof ScaffoldError) {
      process.stderr.write(`create-plugin: ${err.message}\n  Fix: ${err.fix}\n`);
      return 2;
    }
    throw err;
  }
}

async function ask(o: Partial<ScaffoldOptions>): Promise<void> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    while (!o.kind || !KINDS.includes(o.kind)) o.kind = ((await rl.question(`Kind (${KINDS.join('/')}) [filter]: `)).trim() || 'filter') as Kind;
    o.name ??= (await rl.question(`Package name [f2b-${o.kind}-myapp]: `)).trim() || `f2b-${o.kind}-myapp`;
    const id = defaultId(o.name, o.kind);
    o.id ??= (await rl.question(`${o.kind === 'filter' ? 'Filter id' : `${o.kind[0]!.toUpperCase()}${o.kind.slice(1)} type`} [${id}]: `)).trim() || id;
    o.description ??= (await rl.question(`Description [f2b ${o.kind} for ${o.id}.]: `)).trim() || undefined;
    o.author ??= (await rl.question('Author []: ')).trim() || undefined;
  } finally {
    rl.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`create-plugin: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
