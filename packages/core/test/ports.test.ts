/**
 * A jail's `port`/`protocol`: resolved at config time (service names from a services file), handed
 * to actions in their context, and applied by firewall actions where their own options name no ports.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withJailPorts } from '@f2b/kit';
import { resolveConfig, type JailInput } from '../src/config.js';
import { ServiceNames } from '../src/config/ports.js';
import { thrownF2bError as thrown } from '../src/testing/thrown.js';

const dir = mkdtempSync(join(tmpdir(), 'f2b-ports-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const servicesFile = join(dir, 'services');
writeFileSync(
  servicesFile,
  [
    '# comment',
    'ssh\t\t22/tcp\t\t\t\t# SSH Remote Login Protocol',
    'http\t\t80/tcp\t\twww',
    'domain\t\t53/tcp',
    'domain\t\t53/udp',
    'syslog\t\t514/udp',
    'kerberos-adm\t749/tcp',
    '',
  ].join('\n'),
);
const resolve = (jail: Omit<JailInput, 'source'>, defaults: Record<string, unknown> = {}) =>
  resolveConfig({ defaults, jails: { j: { source: '/x.log', filter: 'sshd', ...jail } } }, undefined, { services: new ServiceNames(servicesFile) }).jails[0]!;

describe('port and protocol of a jail', () => {
  it('fail2ban\'s forms: names, numbers, ranges with ":" or "-", comma lists, lists', () => {
    expect(resolve({ port: 'ssh,2222' }).ports).toEqual(['22', '2222']);
    expect(resolve({ port: ['www', 8080, '1000:2000'] }).ports).toEqual(['80', '8080', '1000-2000']);
    expect(resolve({ port: 'ssh:http' }).ports).toEqual(['22-80']);
    expect(resolve({ port: '6000-6010' }).ports).toEqual(['6000-6010']);
    expect(resolve({ port: 'kerberos-adm' }).ports).toEqual(['749']);
    expect(resolve({ port: 22 }).ports).toEqual(['22']);
  });

  it('every port is no restriction; protocol all is none; a udp-only service is found for udp', () => {
    expect(resolve({ port: '0:65535' }).ports).toBeUndefined();
    expect(resolve({ port: '1:65535' }).ports).toBeUndefined();
    expect(resolve({ protocol: 'all' }).protocols).toBeUndefined();
    expect(resolve({ port: 'syslog', protocol: 'udp' })).toMatchObject({ ports: ['514'], protocols: ['udp'] });
    expect(resolve({ port: 'domain', protocol: 'tcp,udp' })).toMatchObject({ ports: ['53'], protocols: ['tcp', 'udp'] });
    expect(resolve({}).ports).toBeUndefined();
  });

  it('inherited from defaults, overridden per jail', () => {
    expect(resolve({}, { port: 'ssh' }).ports).toEqual(['22']);
    expect(resolve({ port: 'http' }, { port: 'ssh' }).ports).toEqual(['80']);
  });

  it('errors at the key path: unknown service, bad range, bad protocol', () => {
    expect(thrown(() => resolve({ port: 'sshh' }))).toMatchObject({ code: 'F2B_ERR_CONFIG_INVALID', path: 'jails.j.port' });
    expect(thrown(() => resolve({ port: 'sshh' })).message).toContain('"sshh", which /etc/services does not list');
    expect(thrown(() => resolve({ port: '2000:1000' })).message).toContain('ends before it starts');
    expect(thrown(() => resolve({ port: '70000' })).path).toBe('jails.j.port');
    expect(thrown(() => resolve({ protocol: 'icmp' }))).toMatchObject({ code: 'F2B_ERR_CONFIG_INVALID', path: 'jails.j.protocol' });
  });
});

describe('withJailPorts (what nftables and ipset do with the context)', () => {
  const jail = { ports: ['22', '2222'], protocols: ['udp' as const] };
  it("fills in the jail's ports and protocols where the action names no ports", () => {
    expect(withJailPorts({}, jail)).toEqual({ ports: ['22', '2222'], protocol: ['udp'] });
    expect(withJailPorts({}, { ports: ['22'] })).toEqual({ ports: ['22'] });
  });
  it("the action's own options win; allports bans everything; a protocol alone restricts nothing", () => {
    expect(withJailPorts({ ports: [80] }, jail)).toEqual({ ports: [80], protocol: ['udp'] });
    expect(withJailPorts({ ports: [80], protocol: 'tcp' }, jail)).toEqual({ ports: [80], protocol: 'tcp' });
    expect(withJailPorts({ allports: true }, jail)).toEqual({ allports: true });
    expect(withJailPorts({}, { protocols: ['udp'] })).toEqual({});
  });
});
