/**
 * `@f2b/fleet-redis`: the hosts of a fleet share bans and failures through Redis (Debian's
 * `redis-server` 7, the `ioredis` client). Config:
 *
 * ```yaml
 * fleet:
 *   type: redis
 *   url: redis://f2b:${env:F2B_REDIS_PASSWORD}@127.0.0.1:6379/0   # rediss:// for TLS
 *   name: prod
 *   host: web-1
 * ```
 */
import { readFileSync } from 'node:fs';
import type { F2bPlugin, FleetContext, FleetInstance } from '@f2b/core';
import type { RedisOptions } from 'ioredis';
import { RedisFleet, type RedisFleetOptions } from './redis-fleet.js';
import { fleetErrors } from './errors.js';
import { parseRedisUrl } from './url.js';

export { RedisFleet, compareIds } from './redis-fleet.js';
export { FleetKeys } from './keys.js';
export { redact, parseRedisUrl } from './url.js';
export { fleetErrors } from './errors.js';
export { PUBLISH, COUNT, evalScript, script } from './scripts.js';

export interface RedisFleetConfig {
  url: string;
  name?: string;
  streamMaxLen?: number;
  heartbeat?: number;
  blockMs?: number;
  tls?: { ca?: string; cert?: string; key?: string; servername?: string; rejectUnauthorized?: boolean };
  receive?: { maxBansPerOrigin: number; per?: number };
}

export const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    url: { type: 'string', minLength: 8, maxLength: 2048 },
    name: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', default: 'default' },
    streamMaxLen: { type: 'integer', minimum: 100, default: 100_000 },
    heartbeat: { type: 'number', minimum: 0.1, maximum: 3600, default: 5 },
    blockMs: { type: 'integer', minimum: 10, maximum: 60_000, default: 2000 },
    tls: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ca: { type: 'string', minLength: 1 },
        cert: { type: 'string', minLength: 1 },
        key: { type: 'string', minLength: 1 },
        servername: { type: 'string', minLength: 1 },
        rejectUnauthorized: { type: 'boolean' },
      },
    },
    receive: {
      type: 'object',
      additionalProperties: false,
      required: ['maxBansPerOrigin'],
      properties: { maxBansPerOrigin: { type: 'integer', minimum: 1 }, per: { type: 'number', exclusiveMinimum: 0, default: 60 } },
    },
  },
};

/** TLS options for ioredis: PEM files read here (the paths are the config's, the contents never logged). */
function tlsOptions(cfg: RedisFleetConfig, tls: boolean): RedisOptions['tls'] | undefined {
  if (!tls && !cfg.tls) return undefined;
  const read = (key: 'ca' | 'cert' | 'key') => {
    const path = cfg.tls?.[key];
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw fleetErrors.F2B_ERR_FLEET_TLS_FILE(path, key, err);
    }
  };
  const out: NonNullable<RedisOptions['tls']> = {};
  const ca = read('ca');
  const cert = read('cert');
  const key = read('key');
  if (ca) out.ca = ca;
  if (cert) out.cert = cert;
  if (key) out.key = key;
  if (cfg.tls?.servername) out.servername = cfg.tls.servername;
  if (cfg.tls?.rejectUnauthorized !== undefined) out.rejectUnauthorized = cfg.tls.rejectUnauthorized;
  return out;
}

export function createRedisFleet(cfg: RedisFleetConfig, ctx: FleetContext): FleetInstance {
  const parsed = parseRedisUrl(cfg.url);
  if (typeof parsed === 'string') throw fleetErrors.F2B_ERR_FLEET_URL(cfg.url, parsed);
  const tls = tlsOptions(cfg, parsed.tls);
  const options: RedisFleetOptions = {
    url: cfg.url,
    name: cfg.name ?? 'default',
    streamMaxLen: cfg.streamMaxLen ?? 100_000,
    heartbeat: cfg.heartbeat ?? 5,
    blockMs: cfg.blockMs ?? 2000,
    ...(cfg.receive ? { receive: { maxBansPerOrigin: cfg.receive.maxBansPerOrigin, per: cfg.receive.per ?? 60 } } : {}),
    connection: tls ? { tls } : {},
  };
  return new RedisFleet(options, ctx, parsed.shown);
}

export default function redisFleet(): F2bPlugin {
  return {
    apply(api) {
      api.registerFleet({
        type: 'redis',
        schema,
        create: (options, ctx) => createRedisFleet(options as unknown as RedisFleetConfig, ctx),
      });
    },
  };
}
