import { describe, expect, it } from 'vitest';
import { ACCESS_LOG_START, PAM_UNIX_FAILURE, SessionMap, oneAttempt, pamDraft, type MatchLike } from '../src/index.js';

const match = (over: Partial<MatchLike> = {}): MatchLike => ({ rule: { id: 'r' }, host: '192.0.2.1', captures: { user: 'bob' }, ...over });

describe('reducer pieces', () => {
  it('oneAttempt counts failure matches with a host, leaving out internal captures', () => {
    expect(oneAttempt(match())).toEqual({ id: '192.0.2.1', attempts: 1, rule: 'r', captures: { user: 'bob' } });
    expect(oneAttempt(match({ captures: { user: 'bob', tag: 'x' } }), 2, ['tag'])).toEqual({
      id: '192.0.2.1',
      attempts: 2,
      rule: 'r',
      captures: { user: 'bob' },
    });
    expect(oneAttempt(match({ rule: { id: 'r', kind: 'info' } }))).toBeNull();
    expect(oneAttempt(match({ host: undefined }))).toBeNull();
  });

  it('pamDraft names the user from user= or else ruser=', () => {
    expect(pamDraft(match({ captures: { ruser: 'r', user: 'u' } }))?.captures).toEqual({ user: 'u' });
    expect(pamDraft(match({ captures: { ruser: 'r', user: '' } }))?.captures).toEqual({ user: 'r' });
    expect(PAM_UNIX_FAILURE).toContain('rhost=<HOST>');
    expect(ACCESS_LOG_START.startsWith('^')).toBe(true);
  });

  it('SessionMap forgets entries older than maxAge and the oldest beyond maxSize', () => {
    const m = new SessionMap<number>(1000, 2);
    m.set('a', 1, 0);
    m.set('b', 2, 500);
    m.set('c', 3, 600);
    expect([m.get('a'), m.get('b'), m.get('c')]).toEqual([undefined, 2, 3]);
    m.sweep(1550);
    expect([m.get('b'), m.get('c')]).toEqual([undefined, 3]);
  });
});
