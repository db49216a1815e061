/**
 * A core with a fake clock and an in-memory source, so findtime, maxretry and bantime are tested by
 * pushing lines and advancing time (Fastify's `inject` idea).
 */
import { Core } from '../core.js';
import { Jail } from '../jail.js';
import { resolveConfig, type JailInput } from '../config.js';
import { FakeClock } from './fake-clock.js';
import type { F2bPlugin } from '../plugin.js';
import type { Ban, Unban } from '../types.js';

export interface TestCore {
  core: Core;
  clock: FakeClock;
  jail: Jail;
  bans: Ban[];
  unbans: Unban[];
  /** Feed log lines (strings) as if a source had read them. */
  push(...lines: string[]): void;
  /** Let queued bans/unbans reach the hooks. */
  flush(): Promise<void>;
}

export async function createTestCore(opts: {
  plugins: F2bPlugin[];
  jail: Omit<JailInput, 'source' | 'sources'>;
  name?: string;
  start?: number | string;
}): Promise<TestCore> {
  const clock = new FakeClock(opts.start);
  const core = new Core({ clock, logLevel: 'silent' });
  for (const p of opts.plugins) core.use(p);
  const hasLog = core.getAction('log') !== undefined;
  core.use({
    meta: { name: 'f2b:test-core' },
    apply(api) {
      api.registerSource({ type: 'memory', create: () => ({ start: async () => {}, stop: async () => {} }) });
      if (!hasLog) api.registerAction({ type: 'log', create: () => ({ ban: async () => {}, unban: async () => {} }) });
    },
  });
  const name = opts.name ?? 'test';
  const resolved = resolveConfig({ jails: { [name]: { ...opts.jail, source: { type: 'memory' }, ignoreself: opts.jail.ignoreself ?? false } } });
  const jail = new Jail(core, resolved.jails[0]!);
  const bans: Ban[] = [];
  const unbans: Unban[] = [];
  core.hooks.ban.tapPromise('test-core', async (b) => {
    bans.push(b);
  });
  core.hooks.unban.tapPromise('test-core', async (u) => {
    unbans.push(u);
  });
  await jail.start();
  return {
    core,
    clock,
    jail,
    bans,
    unbans,
    push: (...lines) =>
      jail.lines(
        lines.map((l) => Buffer.from(l)),
        'memory',
      ),
    flush: () => jail.flush(),
  };
}
