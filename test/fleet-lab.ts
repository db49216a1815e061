/**
 * Three (or more) real f2b daemons on one real redis-server, for the fleet e2e tests: each with its
 * own state (SQLite), socket, log and `host` name, actions `log`, the fleet password from
 * `${env:…}`.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runF2b, sshdLine, startF2b, tempDir, type RunningF2b } from './helpers.js';
import { startRedis, type RedisLab } from './redis-lab.js';

export interface Host {
  name: string;
  dir: string;
  log: string;
  sock: string;
  cfg: string;
  d: RunningF2b | null;
  pid: number;
  past: string;
}

export interface FleetLab {
  redis: RedisLab;
  fleet: string;
  hosts: Host[];
  /** A host's config: the jail `sshd` (with `extraJail`), and `extraTop` beside it (e.g. `recidive`). */
  configure(name: string, extraJail?: Record<string, unknown>, extraTop?: Record<string, unknown>): Host;
  /** The fleet section every host gets (a test rewrites it for a reload). */
  fleetSection(name: string): Record<string, unknown>;
  start(h: Host): Promise<void>;
  close(): Promise<void>;
}

export async function fleetLab(tag: string): Promise<FleetLab> {
  const tmp = tempDir(`f2b-fleet-${tag}-`);
  const redis = await startRedis(tmp.dir);
  const fleet = `${tag}${process.pid}`;
  const env = `F2B_TEST_REDIS_PASSWORD_${tag.toUpperCase()}`;
  process.env[env] = redis.password;
  const hosts: Host[] = [];
  const fleetSection = (name: string) => ({
    type: 'redis',
    url: redis.url.replace(redis.password, `\${env:${env}}`),
    name: fleet,
    host: name,
    heartbeat: 0.5,
    blockMs: 500,
  });
  return {
    redis,
    fleet,
    hosts,
    fleetSection,
    configure(name, extraJail = {}, extraTop = {}) {
      const dir = join(tmp.dir, name);
      mkdirSync(dir);
      const h: Host = { name, dir, log: join(dir, 'auth.log'), sock: join(dir, 'f2b.sock'), cfg: join(dir, 'f2b.config.json'), d: null, pid: 5000, past: '' };
      writeFileSync(h.log, '');
      writeFileSync(
        h.cfg,
        JSON.stringify({
          state: { type: 'sqlite', path: join(dir, 'f2b.db') },
          socket: h.sock,
          fleet: fleetSection(name),
          jails: {
            sshd: {
              source: { type: 'file', paths: [h.log], pollInterval: 50 },
              filter: 'sshd',
              maxretry: 3,
              findtime: '10m',
              bantime: '1h',
              ignoreself: false,
              actions: ['log'],
              fleet: { failures: true, bans: true },
              ...extraJail,
            },
          },
          ...extraTop,
        }),
      );
      hosts.push(h);
      return h;
    },
    async start(h) {
      if (h.d) h.past += h.d.stderr();
      h.d = startF2b(['start', '--foreground', '--config', h.cfg]);
      await h.d.waitFor(/Connected to the fleet/, 'stderr', 20_000);
      await h.d.waitFor(/Started \d+ jail/, 'stderr', 20_000);
    },
    async close() {
      await Promise.all(hosts.map((h) => h.d?.stop()));
      await redis.stop();
      tmp.cleanup();
    },
  };
}

export function fail(h: Host, ip: string): void {
  appendFileSync(h.log, sshdLine(`Failed password for root from ${ip} port 40022 ssh2`, { pid: h.pid++ }));
}

/** The time of the NOTICE line that bans `ip` on host `h` (waits for it). */
export async function banSeen(h: Host, ip: string, timeoutMs = 10_000): Promise<number> {
  const m = await h.d!.waitFor(new RegExp(`^(\\S+) NOTICE \\[sshd\\] Ban ${ip.replace(/[.:]/g, '\\$&')} `, 'm'), 'stderr', timeoutMs);
  return Date.parse(m[1]!);
}

export async function bannedOn(h: Host, ip: string) {
  const r = await runF2b(['banned', ip, '--socket', h.sock, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { banned: boolean; bans: { origin: string | null; active: boolean; rule: string | null; end: number | null }[] };
}
