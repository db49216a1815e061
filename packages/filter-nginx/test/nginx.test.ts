import { describe, expect, it } from 'vitest';
import { FilterRunner, EntryParser } from '@f2b/core';
import { testFilterPackage } from '@f2b/core/testing';
import nginxFilters, { nginxHttpAuthFilter, nginxLimitReqFilter } from '../src/index.js';

const NOW = Date.parse('2024-12-31T12:00:00Z');

testFilterPackage({ describe, it, expect }, {
  plugin: nginxFilters(), manifest: new URL('../package.json', import.meta.url),
  fixture: (id) => new URL(`./fixtures/${id}.log`, import.meta.url), now: NOW, everyRule: true,
  // The request target (after its first `/`) is the client's, and no evidence for these filters.
  attackerFields: Object.fromEntries(['nginx-http-auth', 'nginx-limit-req'].map((id) => [id, [/, request: "[A-Z]+ \/([^ "]+)/]])),
});

describe('@f2b/filter-nginx', () => {
  it('counts a password mismatch whose request or Host header carries a byte that is not UTF-8', () => {
    const parser = new EntryParser({ timezone: 'UTC', now: () => NOW });
    const runner = new FilterRunner(nginxHttpAuthFilter);
    const line = (request: string, host: string) => parser.parse(Buffer.from(
      `2024/03/02 10:15:04 [error] 1201#1201: *582 user "alice": password mismatch, client: 192.0.2.10, server: s, request: "${request}", host: "${host}"`, 'latin1'));
    expect(runner.process(line('GET /\xff HTTP/1.1', 'h'), NOW).map((f) => f.id)).toEqual(['192.0.2.10']);
    expect(runner.process(line('GET / HTTP/1.1', '\xe9t\xe9'), NOW).map((f) => f.id)).toEqual(['192.0.2.10']);
  });

  it('nginx-limit-req counts only the zones asked for', () => {
    const parser = new EntryParser({ timezone: 'UTC', now: () => NOW });
    const line = (zone: string) => parser.parse(Buffer.from(`2024/04/10 08:00:01 [error] 9#9: *1 limiting requests, excess: 1.000 by zone "${zone}", client: 192.0.2.1, server: s, request: "GET / HTTP/1.1", host: "h"`));
    const runner = new FilterRunner(nginxLimitReqFilter, { options: { zones: ['login'] } });
    expect(runner.process(line('perip'), NOW)).toEqual([]);
    expect(runner.process(line('login'), NOW).map((f) => f.id)).toEqual(['192.0.2.1']);
    expect(() => new FilterRunner(nginxLimitReqFilter, { options: { zone: 'x' } })).toThrow(/zone/);
  });
});
