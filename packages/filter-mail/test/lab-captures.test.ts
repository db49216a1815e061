/**
 * Logs captured from the real daemons in the labs (`npm run lab -- <service>`, see the README), each
 * checked against its episode script's truth: every attacker counted as the script attacked, the
 * innocent under maxretry, no other source blamed. Runs anywhere (no root): the capture is a file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareWithTruth, type LabTruth } from '@f2b/core/testing';
import { filters } from '../src/index.js';

const dir = new URL('./fixtures/lab/', import.meta.url);
const captures = readdirSync(dir)
  .filter((f) => f.endsWith('.truth.json'))
  .map((f) => f.slice(0, -'.truth.json'.length));

describe('lab captures of real mail daemons', () => {
  it('has captures', () => expect(captures.length).toBeGreaterThan(0));
  for (const name of captures) {
    it(name, () => {
      const truth = JSON.parse(readFileSync(new URL(`${name}.truth.json`, dir), 'utf8')) as LabTruth;
      const def = filters.find((f) => f.id === truth.filter);
      expect(def, `no filter ${truth.filter}`).toBeDefined();
      const log = readFileSync(new URL(`${name}.log`, dir), 'utf8');
      expect(log.split('\n').length).toBeGreaterThan(10);
      expect(compareWithTruth(def!, log, truth)).toEqual([]);
    });
  }
});
