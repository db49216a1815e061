/**
 * Property tests (fast-check, bounded runs): the control protocol's line splitting and the server's
 * answers to arbitrary input, and config loading of arbitrary JSON/YAML documents — each yields a
 * result or an F2bError, never a crash or a hang.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { LineDecoder } from '../src/control/protocol.js';
import { ControlServer } from '../src/control/server.js';
import type { ControlHandler } from '../src/control/handler.js';
import { loadConfig, resolveConfig } from '../src/config.js';
import { F2bError, isF2bError } from '../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'f2b-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('control protocol (fuzz)', () => {
  it('LineDecoder gives the same lines however the bytes are split', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.array(fc.nat(2000), { maxLength: 10 }), (bytes, cuts) => {
        const buf = Buffer.from(bytes);
        const whole = new LineDecoder().push(buf).lines;
        const d = new LineDecoder();
        const got: string[] = [];
        let at = 0;
        for (const c of [...cuts.map((x) => x % (buf.length + 1))].sort((a, b) => a - b)) {
          got.push(...d.push(buf.subarray(at, c)).lines);
          at = c;
        }
        got.push(...d.push(buf.subarray(at)).lines);
        expect(got).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });

  it('the server answers every line of arbitrary input with a protocol response (or closes), and keeps serving', async () => {
    const path = join(dir, 'f2b.sock');
    const handler: ControlHandler = { handle: async (cmd, args) => ({ cmd, args }) };
    const server = new ControlServer({ path, handler, maxRequestBytes: 4096 });
    await server.listen();
    const line = fc.oneof(
      fc.string({ maxLength: 200 }).map((s) => s.replace(/\n/g, '')),
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      fc
        .record(
          { v: fc.oneof(fc.constant(1), fc.jsonValue()), id: fc.oneof(fc.nat(), fc.string()), cmd: fc.string(), args: fc.jsonValue({ maxDepth: 3 }) },
          { requiredKeys: [] },
        )
        .map((v) => JSON.stringify(v)),
    );
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 5 }), async (lines) => {
          const answers = await exchange(path, lines.map((l) => `${l}\n`).join(''));
          const expected = lines.filter((l) => l.trim() !== '').length;
          expect(answers.length).toBe(expected);
          for (const a of answers) {
            const r = JSON.parse(a) as { v: number; ok: boolean; error?: { code: string } };
            expect(r.v).toBe(1);
            expect(typeof r.ok).toBe('boolean');
            if (!r.ok) expect(r.error!.code).toMatch(/^F2B_ERR_CONTROL_/);
          }
        }),
        { numRuns: 60 },
      );
      expect(await exchange(path, '{"v":1,"id":1,"cmd":"ping"}\n')).toHaveLength(1);
    } finally {
      await server.close();
    }
  }, 60_000);
});

describe('config loading (fuzz)', () => {
  const doc = fc.oneof(
    fc.jsonValue({ maxDepth: 5 }),
    fc.record(
      {
        jails: fc.dictionary(
          fc.string({ maxLength: 8 }),
          fc.oneof(
            fc.jsonValue({ maxDepth: 3 }),
            fc.record(
              {
                source: fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 2 })),
                filter: fc.oneof(fc.constant('sshd'), fc.jsonValue({ maxDepth: 2 })),
                maxretry: fc.jsonValue({ maxDepth: 1 }),
                bantime: fc.oneof(fc.string(), fc.integer()),
                ignoreip: fc.jsonValue({ maxDepth: 2 }),
              },
              { requiredKeys: [] },
            ),
          ),
          { maxKeys: 3 },
        ),
        defaults: fc.jsonValue({ maxDepth: 3 }),
        extends: fc.jsonValue({ maxDepth: 2 }),
        hosts: fc.jsonValue({ maxDepth: 3 }),
        socket: fc.jsonValue({ maxDepth: 1 }),
        state: fc.jsonValue({ maxDepth: 2 }),
      },
      { requiredKeys: [] },
    ),
  );

  it('random JSON and YAML documents give a config or an F2bError', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(doc, fc.boolean(), async (value, asYaml) => {
        const file = join(dir, `c${n++}.${asYaml ? 'yaml' : 'json'}`);
        writeFileSync(file, asYaml ? stringify(value) : JSON.stringify(value));
        try {
          const found = await loadConfig(file);
          if (found) resolveConfig(found.config, found.file);
        } catch (err) {
          if (!isF2bError(err)) throw new Error(`not an F2bError for ${JSON.stringify(value)}: ${String(err)}`, { cause: err });
          expect(err).toBeInstanceOf(F2bError);
        }
      }),
      { numRuns: 200 },
    );
  }, 60_000);

  it('random YAML text (anchors, aliases, odd syntax) gives a config or an F2bError', async () => {
    const token = fc.constantFrom(
      'a:',
      ' ',
      '\n',
      '  ',
      '- ',
      '&x ',
      '*x',
      '[',
      ']',
      '{',
      '}',
      ',',
      'jails:',
      '"',
      "'",
      '#',
      '!!str ',
      '<<: *x',
      'null',
      '1',
      'sshd',
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(token, { maxLength: 60 }), async (tokens) => {
        const file = join(dir, `y${n++}.yaml`);
        writeFileSync(file, tokens.join(''));
        try {
          const found = await loadConfig(file);
          if (found) resolveConfig(found.config, found.file);
        } catch (err) {
          if (!isF2bError(err)) throw new Error(`not an F2bError for ${JSON.stringify(tokens.join(''))}: ${String(err)}`, { cause: err });
        }
      }),
      { numRuns: 200 },
    );
  }, 60_000);
});

/** Send `text`, half-close, and collect the answer lines until the server closes. */
function exchange(path: string, text: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ path });
    let data = '';
    sock.on('data', (d: Buffer) => {
      data += d.toString('utf8');
    });
    sock.on('error', reject);
    sock.on('close', () => resolve(data.split('\n').filter((l) => l !== '')));
    sock.on('connect', () => sock.end(text));
  });
}
