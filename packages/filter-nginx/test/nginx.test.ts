import { describe, expect, it } from 'vitest';
import { FilterRunner, EntryParser } from '@f2b/core';
import { testFilterPackage } from '@f2b/core/testing';
import nginxFilters, { nginxLimitReqFilter } from '../src/index.js';

const NOW = Date.parse('2024-12-31T12:00:00Z');

testFilterPackage({ describe, it, expect }, {
  plugin: nginxFilters(), manifest: new URL('../package.json', import.meta.url),
  fixture: (id) => new URL(`./fixtures/${id}.log`, import.meta.url), now: NOW, everyRule: true,
});

describe('@f2b/filter-nginx', () => {
  it('nginx-limit-req counts only the zones asked for', () => {
    const parser = new EntryParser({ timezone: 'UTC', now: () => NOW });
    const line = (zone: string) => parser.parse(Buffer.from(`2024/04/10 08:00:01 [error] 9#9: *1 limiting requests, excess: 1.000 by zone "${zone}", client: 192.0.2.1, server: s, request: "GET / HTTP/1.1", host: "h"`));
    const runner = new FilterRunner(nginxLimitReqFilter, { options: { zones: ['login'] } });
    expect(runner.process(line('perip'), NOW)).toEqual([]);
    expect(runner.process(line('login'), NOW).map((f) => f.id)).toEqual(['192.0.2.1']);
    expect(() => new FilterRunner(nginxLimitReqFilter, { options: { zone: 'x' } })).toThrow(/zone/);
  });
});
