/**
 * An action must never hold its jail hostage: an action that never answers gets a deadline
 * (`actionTimeout`), its work stays in the outbox, and the jail's other actions and its next bans go on.
 */
import { describe, expect, it } from 'vitest';
import { Daemon } from '../src/daemon.js';
import { resolveConfig } from '../src/config.js';
import { FakeClock } from '../src/testing/fake-clock.js';
import { definePlugin, type SourceContext } from '../src/plugin.js';
import type { Ban, Unban } from '../src/types.js';

function fixture() {
  const sources = new Map<string, SourceContext>();
  const recorded: string[] = [];
  const hung: { ids: string[]; answer(): void }[] = [];
  let hang = true;
  const plugin = definePlugin({
    meta: { name: 'f2b-plugin-deadline-test', version: '1.0.0', core: '*' },
    apply(core) {
      core.registerFilter({ id: 'demo', rules: [{ id: 'auth-failure', pattern: '^auth failure from <HOST>$' }] });
      core.registerSource({
        type: 'memory',
        create: (_o, ctx) => ({
          start: async () => {
            sources.set(ctx.jail, ctx);
          },
          stop: async () => undefined,
        }),
      });
      core.registerAction({
        type: 'record',
        create: () => ({
          ban: async (bans: readonly Ban[]) => {
            recorded.push(...bans.map((b) => `ban ${b.id}`));
          },
          unban: async (unbans: readonly Unban[]) => {
            recorded.push(...unbans.map((u) => `unban ${u.id}`));
          },
        }),
      });
      core.registerAction({
        type: 'hang',
        create: () => ({
          ban: (bans: readonly Ban[]) =>
            hang
              ? new Promise<void>((resolve) => {
                  hung.push({ ids: bans.map((b) => b.id), answer: resolve });
                })
              : Promise.resolve(),
          unban: async () => undefined,
        }),
      });
    },
  });
  const clock = new FakeClock('2024-01-15T12:00:00Z');
  const daemon = new Daemon({ searchFrom: [], clock, logLevel: 'silent', plugins: [plugin] });
  const errors: string[] = [];
  daemon.core.hooks.error.tap('test', (e) => {
    errors.push(`${(e as { code?: string }).code}: ${e.message}`);
  });
  const push = async (...lines: string[]) => {
    await sources.get('web')!.lines(
      lines.map((l) => Buffer.from(l)),
      'memory',
    );
  };
  return {
    daemon,
    clock,
    push,
    recorded,
    hung,
    errors,
    answerNormally: () => {
      hang = false;
    },
  };
}

/** Let queued promise work and immediates run (no clock time passes). */
async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

describe('action deadline', () => {
  it('a hung action delays neither the other actions nor the next bans; its work stays in the outbox', async () => {
    const f = fixture();
    const config = resolveConfig({
      jails: { web: { source: { type: 'memory' }, filter: 'demo', actions: ['hang', 'record'], maxretry: 1, actionTimeout: '5s' } },
      state: { type: 'memory' },
      socket: false,
    });
    await f.daemon.start(config);
    const jail = f.daemon.jail('web')!;

    await f.push('auth failure from 203.0.113.1');
    await settle();
    expect(f.recorded).toEqual(['ban 203.0.113.1']); // the fast action has it at once
    expect(f.hung.map((h) => h.ids)).toEqual([['203.0.113.1']]);

    // The next ban goes on too, while the first call of the hung action is still open.
    await f.push('auth failure from 203.0.113.2');
    await settle();
    expect(f.recorded).toEqual(['ban 203.0.113.1', 'ban 203.0.113.2']);
    expect(f.errors).toEqual([]);

    // Past the deadline the call counts as failed, reported once; the action's next call starts.
    f.clock.advance(5_000);
    await settle();
    expect(f.hung.map((h) => h.ids)).toEqual([['203.0.113.1'], ['203.0.113.2']]);
    f.clock.advance(5_000);
    await settle();
    await jail.flush(); // returns: nothing waits for the hung calls any more
    expect(f.errors).toHaveLength(1);
    expect(f.errors[0]).toMatch(/^F2B_ERR_ACTION_TIMEOUT: The action "hang" did not finish ban of 1 address\(es\) within 5 s/);

    // Nothing is lost: both bans wait in the outbox and reach the action once it answers.
    const pending = await (f.daemon as unknown as { store: { outboxPending(): Promise<{ ban?: Ban }[]> } }).store.outboxPending();
    expect(pending.map((p) => p.ban?.id)).toEqual(['203.0.113.1', '203.0.113.2']);
    f.answerNormally();
    f.hung[0]!.answer(); // a late answer of an abandoned call changes nothing
    await f.daemon.retryOutbox();
    const after = await (f.daemon as unknown as { store: { outboxPending(): Promise<unknown[]> } }).store.outboxPending();
    expect(after).toEqual([]);
    await f.daemon.stop();
  });

  it('refuses an actionTimeout that is not a positive duration', () => {
    expect(() => resolveConfig({ jails: { web: { source: 'x', actionTimeout: 0 } } })).toThrow(/"jails\.web\.actionTimeout" must be a duration longer than 0/);
    expect(resolveConfig({ jails: { web: { source: 'x' } } }).jails[0]!.actionTimeout).toBe(60);
  });
});
