/**
 * The Lua scripts the fleet runs in Redis, each atomic, each reading Redis' own clock (TIME), so
 * the hosts' clocks never decide when a ban ends or a failure leaves its window. Called by EVALSHA
 * (the script body is sent once per connection, on NOSCRIPT).
 */
import { createHash } from 'node:crypto';

/**
 * Publish a ban or unban: the snapshot hash (bans in force, with their end on Redis' clock), the
 * "decided" marker of the address (so the fleet-wide count does not decide it again), and the
 * stream entry. A message id seen before is not published again (a retry after a lost reply).
 *
 * KEYS: stream, bans hash, decided marker, message-id marker.
 * ARGV: ban|unban, mid, origin, jail, id, remaining ms (-1: permanent), failures, stream maxlen, mid ttl ms.
 */
export const PUBLISH = `
if redis.call('SET', KEYS[4], '1', 'NX', 'PX', ARGV[9]) == false then return false end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local field = ARGV[4] .. ' ' .. ARGV[5]
if ARGV[1] == 'ban' then
  local rem = tonumber(ARGV[6])
  local e = ''
  if rem >= 0 then e = string.format('%d', now + rem) end
  redis.call('HSET', KEYS[2], field, e .. ' ' .. ARGV[3] .. ' ' .. ARGV[2] .. ' ' .. ARGV[7])
  if rem >= 0 then redis.call('SET', KEYS[3], ARGV[3], 'PX', math.max(rem, 1)) else redis.call('SET', KEYS[3], ARGV[3]) end
  return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[8], '*', 't', 'ban', 'mid', ARGV[2], 'o', ARGV[3], 'j', ARGV[4], 'id', ARGV[5], 'e', e, 'f', ARGV[7])
end
redis.call('HDEL', KEYS[2], field)
redis.call('DEL', KEYS[3])
return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[8], '*', 't', 'unban', 'mid', ARGV[2], 'o', ARGV[3], 'j', ARGV[4], 'id', ARGV[5])
`;

/**
 * Count a failure fleet-wide: a sorted set per jail and address, one member per attempt scored by
 * Redis' time, trimmed to findtime. The call whose attempts reach maxretry gets 1 (decide the ban)
 * and sets the "decided" marker, so exactly one host decides; later calls see the marker and get 0.
 *
 * KEYS: failures of the address, decided marker.
 * ARGV: member prefix (unique per failure), attempts, findtime ms, maxretry, marker ttl ms, host.
 * Returns { decide (0/1), attempts in the window (-1: decided already) }.
 */
export const COUNT = `
if redis.call('EXISTS', KEYS[2]) == 1 then return {0, -1} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[3]))
for i = 1, tonumber(ARGV[2]) do redis.call('ZADD', KEYS[1], now, ARGV[1] .. '#' .. i) end
local count = redis.call('ZCARD', KEYS[1])
if count >= tonumber(ARGV[4]) then
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], ARGV[6], 'PX', ARGV[5])
  return {1, count}
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {0, count}
`;

export interface Script {
  body: string;
  sha: string;
}

export function script(body: string): Script {
  return { body, sha: createHash('sha1').update(body).digest('hex') };
}

/** What runs a command on a connection (ioredis' generic `call`). */
export interface Caller {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
}

/** EVALSHA, and EVAL once when Redis does not have the script (a restarted or flushed server). */
export async function evalScript(redis: Caller, s: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
  try {
    return await redis.call('EVALSHA', s.sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return redis.call('EVAL', s.body, keys.length, ...keys, ...args);
  }
}
