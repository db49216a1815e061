/**
 * What the core hands the things a plugin provides: sources and actions get the core's clock in their
 * contexts (a FakeClock in tests reaches them), and loggers named after the jail and type.
 */
import { describe, expect, it } from 'vitest';
import { createTestCore } from '../src/testing/test-core.js';
import { Jail } from '../src/jail.js';
import { resolveConfig } from '../src/config.js';
import type { ActionContext, F2bPlugin, SourceContext } from '../src/plugin.js';

describe('contexts', () => {
  it('sources and actions get the core clock', async () => {
    const seen: { source?: SourceContext; action?: ActionContext } = {};
    const plugin: F2bPlugin = {
      meta: { name: 'f2b-plugin-contexts' },
      apply(api) {
        api.registerFilter({ id: 'demo', rules: [{ id: 'fail', pattern: '^fail from <HOST>$' }] });
        api.registerSource({
          type: 'probe',
          create: (_o, ctx) => {
            seen.source = ctx;
            return { start: async () => {}, stop: async () => {} };
          },
        });
        api.registerAction({
          type: 'probe',
          create: (_o, ctx) => {
            seen.action = ctx;
            return { ban: async () => {}, unban: async () => {} };
          },
        });
      },
    };
    const t = await createTestCore({ plugins: [plugin], jail: { filter: 'demo', actions: ['probe'] } });
    expect(seen.action?.clock).toBe(t.core.clock);
    expect(seen.action?.clock.now()).toBe(t.clock.now());
    t.clock.advance(5000);
    expect(seen.action?.clock.now()).toBe(t.clock.now());
    // createTestCore's jail reads from its own memory source; a jail naming "probe" builds ours.
    const jail = new Jail(
      t.core,
      resolveConfig({ jails: { p: { source: { type: 'probe' }, filter: 'demo', actions: ['probe'], ignoreself: false } } }).jails[0]!,
    );
    await jail.start();
    expect(seen.source?.clock).toBe(t.core.clock);
    expect(seen.action?.ports).toBeUndefined(); // no `port`: every port
    await jail.stop();
    // A jail's `port`/`protocol` reach its actions, resolved (what firewall actions ban by default).
    new Jail(
      t.core,
      resolveConfig({ jails: { q: { source: { type: 'probe' }, filter: 'demo', actions: ['probe'], port: '2222,6000:6010', protocol: 'udp' } } }).jails[0]!,
    );
    expect(seen.action).toMatchObject({ jail: 'q', ports: ['2222', '6000-6010'], protocols: ['udp'] });
  });
});
