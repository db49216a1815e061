/**
 * `tapped(hook)`: whether a plugin tapped it. The core intercepts every hook (a tap that throws is
 * reported), so tapable's `isUsed()` is true for all of them; the jail's per-line shortcuts (the
 * shared entry, no `entry`/`counted` call) must not depend on it.
 */
import { describe, expect, it } from 'vitest';
import { Core } from '../src/core.js';
import { tapped } from '../src/hooks.js';

describe('tapped', () => {
  it('is false for the hooks of a core no plugin tapped, though tapable calls them used', () => {
    const core = new Core({ logLevel: 'silent' });
    expect(core.hooks.entry.isUsed()).toBe(true); // the core's interceptor
    expect(tapped(core.hooks.entry)).toBe(false);
    expect(tapped(core.hooks.counted)).toBe(false);
  });

  it('is true once a plugin taps the hook', () => {
    const core = new Core({ logLevel: 'silent' });
    core.hooks.entry.tap('f2b-test-entry', (e) => e);
    expect(tapped(core.hooks.entry)).toBe(true);
    expect(tapped(core.hooks.counted)).toBe(false);
  });
});
