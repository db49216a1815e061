import { describe, expect, it } from 'vitest';
import { FilterRunner } from '@f2b/core';
import { FilterTester, testFilterPackage } from '@f2b/core/testing';
import nginxFilters, { nginxHttpAuthFilter, nginxLimitReqFilter } from '../src/index.js';

const NOW = Date.parse('2024-12-31T12:00:00Z');
FilterTester.describe = describe;
FilterTester.it = it;

testFilterPackage({
  plugin: nginxFilters(),
  manifest: new URL('../package.json', import.meta.url),
  fixture: (id) => new URL(`./fixtures/${id}.log`, import.meta.url),
  now: NOW,
  everyRule: true,
  // The request target (after its first `/`) is the client's, and no evidence for these filters.
  attackerFields: Object.fromEntries(['nginx-http-auth', 'nginx-limit-req'].map((id) => [id, [/, request: "[A-Z]+ \/([^ "]+)/]])),
});

// A password mismatch whose request or Host header carries a byte that is not UTF-8 still counts.
const mismatch = (request: string, host: string) =>
  Buffer.from(
    `2024/03/02 10:15:04 [error] 1201#1201: *582 user "alice": password mismatch, client: 192.0.2.10, server: s, request: "${request}", host: "${host}"`,
    'latin1',
  );
new FilterTester({ now: NOW }).run(nginxHttpAuthFilter, {
  valid: [],
  invalid: [
    { line: mismatch('GET /\xff HTTP/1.1', 'h'), id: '192.0.2.10', captures: { user: 'alice' } },
    { line: mismatch('GET / HTTP/1.1', '\xe9t\xe9'), id: '192.0.2.10' },
  ],
});

// nginx-limit-req counts only the zones asked for.
const limited = (zone: string) =>
  `2024/04/10 08:00:01 [error] 9#9: *1 limiting requests, excess: 1.000 by zone "${zone}", client: 192.0.2.1, server: s, request: "GET / HTTP/1.1", host: "h"`;
new FilterTester({ now: NOW, options: { zones: ['login'] } }).run(nginxLimitReqFilter, {
  valid: [limited('perip')],
  invalid: [{ line: limited('login'), id: '192.0.2.1' }],
});

describe('@f2b/filter-nginx', () => {
  it('nginx-limit-req refuses an option it does not know', () => {
    expect(() => new FilterRunner(nginxLimitReqFilter, { options: { zone: 'x' } })).toThrow(/zone/);
  });
});
