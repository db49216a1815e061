import { describe, expect, it } from 'vitest';
import { compileGlob, expandBraces, globCouldContain, globDepth, globMatches } from '../src/glob.js';

const matches = (pattern: string, p: string) => compileGlob(pattern, '/cwd').some((g) => globMatches(g, p));

describe('glob', () => {
  it('expands braces, nested, keeping order', () => {
    expect(expandBraces('a{b,c{d,e}}f')).toEqual(['abf', 'acdf', 'acef']);
    expect(expandBraces('x{y}z')).toEqual(['x{y}z']);
    expect(expandBraces('\\{a,b}')).toEqual(['\\{a,b}']);
    expect(() => expandBraces('{a,b}'.repeat(11))).toThrow(/alternatives/);
  });

  it('compiles the literal base and depth', () => {
    const [g] = compileGlob('/var/log/nginx/*.log');
    expect(g!.base).toBe('/var/log/nginx');
    expect(globDepth(g!)).toBe(0);
    const [r] = compileGlob('/var/log/**/x.log');
    expect(r!.base).toBe('/var/log');
    expect(globDepth(r!)).toBeUndefined();
    const [l] = compileGlob('logs/../app.log', '/srv/x');
    expect(l!.literalPath).toBe('/srv/x/app.log');
    expect(l!.base).toBe('/srv/x');
    expect(compileGlob('/a/{b,c}/*.log').map((x) => x.base)).toEqual(['/a/b', '/a/c']);
  });

  it('matches *, ?, classes, escapes', () => {
    expect(matches('/d/*.log', '/d/auth.log')).toBe(true);
    expect(matches('/d/*.log', '/d/auth.log.1')).toBe(false);
    expect(matches('/d/*.log', '/d/sub/auth.log')).toBe(false);
    expect(matches('/d/*.log', '/d/.hidden.log')).toBe(false);
    expect(matches('/d/.*.log', '/d/.hidden.log')).toBe(true);
    expect(matches('/d/a?c', '/d/abc')).toBe(true);
    expect(matches('/d/a?c', '/d/ac')).toBe(false);
    expect(matches('/d/[ab]x', '/d/bx')).toBe(true);
    expect(matches('/d/[!ab]x', '/d/bx')).toBe(false);
    expect(matches('/d/[a-c]x', '/d/cx')).toBe(true);
    expect(matches('/d/\\*x', '/d/*x')).toBe(true);
    expect(matches('/d/\\*x', '/d/ax')).toBe(false);
    expect(matches('rel/*.log', '/cwd/rel/a.log')).toBe(true);
    expect(matches('/d/*a*b*c', '/d/xaybzc')).toBe(true);
    expect(matches('/d/*a*b*c', '/d/xaybzcd')).toBe(false);
  });

  it('matches ** across segments, not into dot directories', () => {
    expect(matches('/d/**/*.log', '/d/a.log')).toBe(true);
    expect(matches('/d/**/*.log', '/d/x/y/z/a.log')).toBe(true);
    expect(matches('/d/**/*.log', '/d/.git/a.log')).toBe(false);
    expect(matches('/d/**/x/**/*.log', '/d/a/x/b/x/c.log')).toBe(true);
    expect(matches('/d/**', '/d/a/b')).toBe(true);
  });

  it('tells whether a directory can contain matches', () => {
    const [g] = compileGlob('/d/*/logs/*.log');
    expect(globCouldContain(g!, '/d')).toBe(true);
    expect(globCouldContain(g!, '/d/site')).toBe(true);
    expect(globCouldContain(g!, '/d/site/logs')).toBe(true);
    expect(globCouldContain(g!, '/d/site/other')).toBe(false);
    expect(globCouldContain(g!, '/d/site/logs/deeper')).toBe(false);
    expect(globCouldContain(g!, '/e')).toBe(false);
  });

  it('has no catastrophic backtracking', () => {
    const t0 = Date.now();
    const pattern = '/d/' + '*a'.repeat(30) + 'b';
    expect(matches(pattern, '/d/' + 'a'.repeat(5000))).toBe(false);
    const deep = '/d/' + '**/'.repeat(1) + 'a/'.repeat(200) + 'b.log';
    expect(matches('/d/**/a/**/a/**/c.log', deep)).toBe(false);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});
