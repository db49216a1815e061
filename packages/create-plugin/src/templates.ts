/**
 * The files of a new plugin package, per kind. Everything a plugin needs and nothing more: a manifest
 * in the shape f2b's own packages use (so `f2b plugins` finds it and `f2b filters` lists its ids), the
 * TypeScript source, a test that passes as generated, a README and a LICENSE.
 */

export type Kind = 'filter' | 'action' | 'source';

/** The @f2b/core range new plugins are written against (the core this generator was released with). */
export const CORE_RANGE = '^0.2.0';

/** Build and test tools of the generated package (the versions f2b itself is built and tested with). */
export const TOOL_VERSIONS = { '@types/node': '^20.19.0', typescript: '^6.0.3', vitest: '^4.1.12' } as const;

export interface TemplateInput {
  kind: Kind;
  /** npm package name, e.g. `f2b-filter-myapp` or `@acme/f2b-filter-myapp`. */
  name: string;
  /** Filter id, action type or source type, e.g. `myapp`. */
  id: string;
  description: string;
  author: string;
  year: number;
  /** @f2b/core dependency spec for devDependencies (a range, or `file:` for development). */
  coreSpec?: string;
}

/** An identifier for code: `myapp-auth` → `myappAuth`. */
export function camel(id: string): string {
  const s = id.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''));
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

export function render(input: TemplateInput): Record<string, string> {
  const files: Record<string, string> = {
    'package.json': manifest(input),
    'tsconfig.json': json({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2023'],
        types: ['node'],
        strict: true,
        declaration: true,
        sourceMap: true,
        skipLibCheck: true,
        rootDir: 'src',
        outDir: 'dist',
      },
      include: ['src'],
    }),
    '.gitignore': 'node_modules/\ndist/\n*.tsbuildinfo\n',
    LICENSE: license(input),
    'README.md': readme(input),
  };
  if (input.kind === 'filter') Object.assign(files, filterFiles(input));
  if (input.kind === 'action') Object.assign(files, actionFiles(input));
  if (input.kind === 'source') Object.assign(files, sourceFiles(input));
  return files;
}

function json(v: unknown): string {
  return JSON.stringify(v, null, 2) + '\n';
}

function manifest(i: TemplateInput): string {
  const unscoped = i.name.replace(/^@[^/]+\//, '');
  return json({
    name: i.name,
    version: '0.1.0',
    description: i.description,
    license: 'MIT',
    ...(i.author ? { author: i.author } : {}),
    type: 'module',
    main: './dist/index.js',
    types: './dist/index.d.ts',
    exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' }, './package.json': './package.json' },
    files: ['dist', 'README.md', 'LICENSE'],
    engines: { node: '>=20.19' },
    keywords: ['f2b', 'f2b-plugin', `f2b-${i.kind}`, unscoped === i.id ? undefined : i.id].filter(Boolean),
    scripts: { build: 'tsc -p tsconfig.json', test: 'vitest run', prepack: 'npm run build' },
    // The core is an optional peer: the plugin imports only its types, and gets everything it uses at
    // run time from the running core (\`apply(api, options)\`), so installing it never adds a second core.
    peerDependencies: { '@f2b/core': CORE_RANGE },
    peerDependenciesMeta: { '@f2b/core': { optional: true } },
    devDependencies: { '@f2b/core': i.coreSpec ?? CORE_RANGE, ...TOOL_VERSIONS },
    // A filter says where its service logs (per distribution family, or `default`), so a jail needs no `source`.
    f2b: { kind: i.kind, [`${i.kind}s`]: [i.id], ...(i.kind === 'filter' ? { logs: { [i.id]: { default: [`/var/log/${i.id}.log`] } } } : {}) },
  });
}

function license(i: TemplateInput): string {
  return `MIT License

Copyright (c) ${i.year} ${i.author || 'the authors'}

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
`;
}

function readme(i: TemplateInput): string {
  const usage = {
    filter: `jails:\n  ${i.id}:\n    source: /var/log/${i.id}.log\n    filter: ${i.id}            # or { id: ${i.id}, mode: aggressive }`,
    action: `defaults:\n  actions:\n    - { type: ${i.id}, path: /var/lib/f2b/${i.id}.bans }`,
    source: `jails:\n  sshd:\n    source: { type: ${i.id}, port: 5514 }`,
  }[i.kind];
  const what = { filter: `the filter id \`${i.id}\``, action: `the action \`${i.id}\``, source: `the source type \`${i.id}\`` }[i.kind];
  return `# ${i.name}

${i.description}

An [f2b](https://www.npmjs.com/package/@f2b/cli) ${i.kind} plugin providing ${what}.

## Use

\`\`\`sh
npm i @f2b/cli ${i.name}
\`\`\`

\`\`\`yaml
# f2b.config.yaml
${usage}
\`\`\`

f2b finds the package by itself (\`f2b plugins\` lists it${i.kind === 'filter' ? `, \`f2b filters\` lists \`${i.id}\`` : ''}).
${i.kind === 'filter' ? `Where the service logs is \`f2b.logs\` in package.json (per distribution: \`debian\`, \`rhel\`, \`arch\`, \`suse\`, \`default\`; \`journalmatch\`): a jail without \`source\` reads the first of those paths that exists.\n` : ''}
${i.kind === 'filter' ? `Try it on a log: \`npx f2b test-filter ${i.id} /var/log/${i.id}.log\`.\n` : ''}
## Develop

\`\`\`sh
npm install
npm test          # vitest, with @f2b/core/testing
npm run build     # tsc → dist/
npm publish       # builds first (prepack)
\`\`\`

${
  i.kind === 'filter'
    ? `Every rule is tested by the annotated sample log \`test/fixtures/${i.id}.log\`: a \`# failJSON:\` line
before each log line says whether it must match, and what (time, host, captures). Add a line for each
message your application writes — matches and near-misses alike.
`
    : ''
}
See the f2b plugin author's guide (docs/plugin-authors.md in the f2b repository) for the contract,
hooks, testing helpers and the versioning policy of \`@f2b/core\`.

## License

MIT
`;
}

function filterFiles(i: TemplateInput): Record<string, string> {
  const v = `${camel(i.id)}Filter`;
  return {
    'src/index.ts': `/**
 * ${i.name}: the f2b filter \`${i.id}\`.
 *
 * Patterns are RE2 (no backreferences, no lookaround), matched against the log message — the date and
 * the \`host program[pid]:\` prefix are already parsed off. Anchor both ends, and put text the attacker
 * controls (the user name) before <HOST>: a greedy capture followed by <HOST> and the end of the line
 * takes the *last* address, so a user name such as "x from 203.0.113.5" cannot choose whom we ban.
 */
import type { F2bPlugin, FilterDefinition } from '@f2b/core';

export const ${v}: FilterDefinition = {
  id: '${i.id}',
  description: '${i.description.replace(/'/g, "\\'")}',
  modes: ['normal', 'aggressive'],
  // Literal prefilter: only lines from these programs are matched.
  programs: ['${i.id}'],
  rules: [
    { id: 'bad-password', pattern: '^login failed for (?P<user>.*) from <HOST>$' },
    { id: 'unknown-user', pattern: '^unknown user (?P<user>.*) from <HOST>$' },
    { id: 'probe', pattern: '^unknown command from <HOST>$', modes: ['aggressive'] },
  ],
};

/**
 * The plugin. f2b reads its name, version, kind and core range from package.json, checks the
 * plugin's options against \`schema\` (none here), and calls \`apply\` with an api of its own.
 * Only types come from @f2b/core: nothing of it is imported at run time.
 */
export default function plugin(): F2bPlugin {
  return {
    apply(api) {
      api.registerFilter(${v});
    },
  };
}
`,
    [`test/fixtures/${i.id}.log`]: `# Sample log for ${i.id}: every log line is preceded by what the filter must find in it.
# Times are UTC (the test passes timezone: 'UTC').
# failJSON: { "time": "2024-05-01T10:00:00", "match": true, "host": "192.0.2.10", "user": "admin" }
May  1 10:00:00 host ${i.id}[101]: login failed for admin from 192.0.2.10
# failJSON: { "time": "2024-05-01T10:00:01", "match": true, "host": "2001:db8::11", "user": "root" }
May  1 10:00:01 host ${i.id}[101]: unknown user root from 2001:db8::11
# failJSON: { "time": "2024-05-01T10:00:02", "match": true, "host": "192.0.2.12", "user": "x from 203.0.113.5", "desc": "the user name cannot choose the address" }
May  1 10:00:02 host ${i.id}[101]: login failed for x from 203.0.113.5 from 192.0.2.12
# failJSON: { "match": false, "desc": "a success is no failure" }
May  1 10:00:03 host ${i.id}[101]: login ok for alice from 192.0.2.13
# failJSON: { "match": false, "desc": "another program writing the same text" }
May  1 10:00:04 host other[5]: login failed for admin from 192.0.2.14
# failJSON: { "match": false, "desc": "probes count in aggressive mode only" }
May  1 10:00:05 host ${i.id}[101]: unknown command from 192.0.2.15
# filterOptions: { "mode": "aggressive" }
# failJSON: { "time": "2024-05-01T10:00:06", "match": true, "host": "192.0.2.16" }
May  1 10:00:06 host ${i.id}[101]: unknown command from 192.0.2.16
`,
    [`test/${i.id}.test.ts`]: `import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Core } from '@f2b/core';
import { checkAnnotatedLog, createTestCore } from '@f2b/core/testing';
import plugin, { ${v} } from '../src/index.js';

const SAMPLE = fileURLToPath(new URL('./fixtures/${i.id}.log', import.meta.url));
const NOW = Date.parse('2024-12-31T12:00:00Z');

describe('${i.id}', () => {
  it('gets every annotated line of the sample log right', () => {
    const report = checkAnnotatedLog(${v}, SAMPLE, { now: NOW, timezone: 'UTC' });
    const wrong = report.results.filter((r) => !r.ok).map((r) => \`line \${r.lineNo}: \${r.problems.join('; ')}\`);
    expect(wrong).toEqual([]);
    expect(report.total).toBeGreaterThan(0);
  });

  it('bans after maxretry failures within findtime', async () => {
    const t = await createTestCore({ plugins: [plugin()], jail: { filter: '${i.id}', maxretry: 2, findtime: '10m', bantime: '1h' }, start: '2024-05-01T10:00:00Z' });
    t.push('2024-05-01T10:00:00+00:00 host ${i.id}[1]: login failed for a from 198.51.100.7');
    t.push('2024-05-01T10:00:05+00:00 host ${i.id}[1]: login failed for b from 198.51.100.7');
    await t.flush();
    expect(t.bans.map((b) => b.id)).toEqual(['198.51.100.7']);
  });

  it('registers exactly what the manifest declares', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const core = new Core({ logLevel: 'silent' });
    core.use(plugin());
    expect(core.listFilters().map((f) => f.def.id)).toEqual(manifest.f2b.filters);
  });
});
`,
  };
}

function actionFiles(i: TemplateInput): Record<string, string> {
  return {
    'src/index.ts': `/**
 * ${i.name}: the f2b action \`${i.id}\`. This one appends a line per ban and unban to a file; replace
 * the body of ban()/unban() with your firewall, API or notification call.
 *
 * Actions get bans in batches and must be idempotent: after a crash f2b gives every ban in force
 * again, and retries a batch that failed (throw to say it failed).
 */
import { appendFile } from 'node:fs/promises';
import type { Ban, F2bPlugin, PluginApi, Unban } from '@f2b/core';

export interface Options {
  /** Where to write the lines. */
  path: string;
}

/** JSON Schema of the action's options: f2b checks the config against it before create(). */
export const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  properties: { path: { type: 'string', minLength: 1 } },
};

const line = (what: string, jail: string, id: string, until?: number | null) =>
  \`\${what} \${jail} \${id}\${until === undefined ? '' : until === null ? ' forever' : \` until \${new Date(until).toISOString()}\`}\\n\`;

/** Our own error, made by the core's factory: f2b shows its code and fix as they are. */
export const WRITE_FAILED = 'F2B_ERR_${i.id.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_WRITE';

async function write(api: PluginApi, path: string, text: string): Promise<void> {
  try {
    await appendFile(path, text);
  } catch (cause) {
    throw api.errors.create(WRITE_FAILED, \`The bans cannot be written to "\${path}": \${(cause as Error).message}.\`, {
      cause, fix: 'Create the directory, or give another "path", where f2b may write.',
    });
  }
}

/** The plugin (name, version, kind and core range come from package.json). */
export default function plugin(): F2bPlugin {
  return {
    apply(api) {
      api.registerAction({
        type: '${i.id}',
        schema,
        create(options, ctx) {
          const { path } = options as unknown as Options;
          return {
            async ban(bans: readonly Ban[]) {
              await write(api, path, bans.map((b) => line('ban', b.jail, b.id, b.end)).join(''));
              ctx.logger.info(\`Wrote \${bans.length} ban(s) to \${path}.\`);
            },
            async unban(unbans: readonly Unban[]) {
              await write(api, path, unbans.map((u) => line('unban', u.jail, u.id)).join(''));
            },
          };
        },
      });
    },
  };
}
`,
    [`test/${i.id}.test.ts`]: `import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Core, F2bError } from '@f2b/core';
import { ActionTester } from '@f2b/core/testing';
import plugin, { WRITE_FAILED } from '../src/index.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });
const tempFile = () => { const d = mkdtempSync(join(tmpdir(), '${i.id}-')); dirs.push(d); return join(d, 'bans.txt'); };

describe('${i.id}', () => {
  it('writes a line per ban and unban', async () => {
    const path = tempFile();
    const t = new ActionTester({ plugin: plugin(), type: '${i.id}', options: { path } });
    await t.start();
    await t.applyBans('192.0.2.1', '2001:db8::2');
    await t.instance.unban([t.unban('192.0.2.1')]);
    await t.stop();
    const lines = readFileSync(path, 'utf8').trim().split('\\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^ban test 192\\.0\\.2\\.1 until /);
    expect(lines[2]).toBe('unban test 192.0.2.1');
    expect(t.errors).toEqual([]);
  });

  it('is idempotent enough to be given the same ban twice', async () => {
    const path = tempFile();
    const t = new ActionTester({ plugin: plugin(), type: '${i.id}', options: { path } });
    await t.applyBans('192.0.2.1');
    await t.applyBans('192.0.2.1');
    expect(t.errors).toEqual([]);
  });

  it('declares its options: the core refuses a config without "path"', () => {
    const core = new Core({ logLevel: 'silent' });
    core.use(plugin());
    expect(core.getAction('${i.id}')!.def.schema).toMatchObject({ required: ['path'] });
    expect(() => new ActionTester({ plugin: plugin(), type: '${i.id}' })).toThrow(/options\\.path/);
  });

  it('fails with its own error, code and fix, when the file cannot be written', async () => {
    const t = new ActionTester({ plugin: plugin(), type: '${i.id}', options: { path: join(tempFile(), 'no-such-dir', 'bans.txt') } });
    const err = await t.instance.ban([t.ban('192.0.2.1')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(F2bError);
    expect(err).toMatchObject({ code: WRITE_FAILED, fix: expect.stringContaining('"path"') });
  });
});
`,
  };
}

function sourceFiles(i: TemplateInput): Record<string, string> {
  return {
    'src/index.ts': `/**
 * ${i.name}: the f2b source \`${i.id}\`. This one receives syslog messages over UDP (one line per
 * datagram) — replace it with whatever delivers your log lines.
 *
 * A source delivers raw lines (Buffers, without the newline) with ctx.lines(); f2b parses dates and
 * the \`host program[pid]:\` prefix. When ctx.lines() returns a promise, wait for it before reading on
 * (back-pressure). state() may return where the source is, and ctx.saved gives it back after a restart.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { F2bPlugin, SourceInstance } from '@f2b/core';

export interface Options {
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** UDP port (default 5514; 0 = any free port). */
  port?: number;
}

export const schema = {
  type: 'object',
  additionalProperties: false,
  properties: { host: { type: 'string' }, port: { type: 'integer', minimum: 0, maximum: 65535 } },
};

/** The running source; \`port\` is the bound port once started. */
export interface UdpSource extends SourceInstance {
  readonly port: number;
}

/** The plugin (name, version, kind and core range come from package.json). */
export default function plugin(): F2bPlugin {
  return {
    apply(api) {
      api.registerSource({
        type: '${i.id}',
        schema,
        create(options, ctx): UdpSource {
          const { host = '127.0.0.1', port = 5514 } = options as Options;
          let socket: Socket | null = null;
          let bound = 0;
          return {
            get port() { return bound; },
            async start() {
              socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
              socket.on('message', (msg) => {
                // Syslog over UDP may carry a <PRI> prefix; the message may end in a newline.
                const text = msg.subarray(msg[0] === 0x3c ? msg.indexOf(0x3e) + 1 : 0);
                const lines = text.toString('utf8').split(/\\r?\\n/).filter(Boolean).map((l) => Buffer.from(l));
                if (lines.length > 0) void Promise.resolve(ctx.lines(lines, \`udp://\${host}:\${bound}\`)).catch((e) => ctx.error(e));
              });
              socket.on('error', (e) => ctx.error(e));
              await new Promise<void>((resolve) => socket!.bind(port, host, resolve));
              bound = socket.address().port;
              ctx.logger.info(\`Listening on udp://\${host}:\${bound}.\`);
            },
            async stop() {
              await new Promise<void>((resolve) => (socket ? socket.close(() => resolve()) : resolve()));
              socket = null;
            },
          };
        },
      });
    },
  };
}
`,
    [`test/${i.id}.test.ts`]: `import { describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { Core } from '@f2b/core';
import { memoryLogger } from '@f2b/core/testing';
import plugin, { type UdpSource } from '../src/index.js';

function createSource(options: Record<string, unknown>) {
  const core = new Core({ logLevel: 'silent' });
  core.use(plugin());
  const received: string[] = [];
  const errors: unknown[] = [];
  const source = core.getSource('${i.id}')!.def.create(options, {
    jail: 'test', logger: memoryLogger('test'), clock: core.clock, error: (e) => errors.push(e),
    lines: (lines) => { received.push(...lines.map((l) => l.toString())); },
  }) as UdpSource;
  return { source, received, errors };
}

describe('${i.id}', () => {
  it('delivers each datagram as lines, without the syslog priority', async () => {
    const { source, received, errors } = createSource({ port: 0 });
    await source.start();
    const client = createSocket('udp4');
    const line = 'May  1 10:00:00 host sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2';
    await new Promise<void>((r) => client.send(\`<38>\${line}\\n\`, source.port, '127.0.0.1', () => r()));
    for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    client.close();
    await source.stop();
    expect(received).toEqual([line]);
    expect(errors).toEqual([]);
  });
});
`,
  };
}
