/**
 * hostZoneName answers what Intl answers for the host's zone — in a process of its own per `TZ`
 * (ICU reads it once), for the UTC names it recognises without Intl, for other zones, for names
 * ICU cannot read, and for this host's own /etc/localtime (TZ unset).
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const timezoneModule = pathToFileURL(join(import.meta.dirname, '../dist/timezone.js')).href;

function inChild(tz: string | undefined): { ours: unknown; intl: unknown } {
  const env = { ...process.env };
  if (tz === undefined) delete env.TZ;
  else env.TZ = tz;
  const script = `
    const { hostZoneName } = await import(${JSON.stringify(timezoneModule)});
    const ours = hostZoneName();
    process.stdout.write(JSON.stringify({ ours: ours ?? null, intl: Intl.DateTimeFormat().resolvedOptions().timeZone ?? null }));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' })) as { ours: unknown; intl: unknown };
}

describe('hostZoneName', () => {
  it.each([undefined, 'UTC', 'Etc/UTC', ':UTC', 'Europe/Berlin', 'America/New_York', 'Etc/GMT', 'GMT', '', 'garbage', 'UTC0'])(
    'TZ=%s: what Intl says',
    (tz) => {
      const { ours, intl } = inChild(tz);
      expect(ours).toBe(intl);
    },
  );
});
