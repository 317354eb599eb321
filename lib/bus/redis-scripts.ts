/**
 * The Lua scripts of the Redis bus's presence (see redis-bus.ts for the keys they use). Each runs
 * atomically on Redis's own clock; they are sent by SHA1 and, on NOSCRIPT, once in full.
 */
import { createHash } from 'node:crypto';

/** Shared head of every script: the key names, Redis's clock and "is this instance alive". */
const PRELUDE = `
-- Redis 3.2/4 need this to write after reading TIME; from Redis 5 on it is the default.
if redis.replicate_commands then pcall(redis.replicate_commands) end
local p = ARGV[1]
local instances = p .. 'instances'
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function live(id)
  local expiry = redis.call('ZSCORE', instances, id)
  return expiry and tonumber(expiry) > now
end
local function anyLive(holders)
  for _, id in ipairs(redis.call('SMEMBERS', holders)) do
    if live(id) then return true end
  end
  return false
end
`;

export const SCRIPTS = {
  /** ARGV: prefix, id, key, offline event JSON or ''. Returns { was offline everywhere, this instance is registered }. */
  join: `${PRELUDE}
local holders = p .. 'presence:' .. ARGV[3]
local wasOnline = anyLive(holders)
redis.call('SADD', holders, ARGV[2])
redis.call('SADD', p .. 'held:' .. ARGV[2], ARGV[3])
if ARGV[4] ~= '' then redis.call('HSET', p .. 'offline', ARGV[3], ARGV[4]) end
return { wasOnline and 0 or 1, live(ARGV[2]) and 1 or 0 }`,

  /** ARGV: prefix, id, key. Returns 1 when the key is now offline everywhere. */
  leave: `${PRELUDE}
local holders = p .. 'presence:' .. ARGV[3]
redis.call('SREM', p .. 'held:' .. ARGV[2], ARGV[3])
-- Not a holder any more: a sweep dropped us and has already announced whatever was due.
if redis.call('SREM', holders, ARGV[2]) == 0 then return 0 end
if anyLive(holders) then return 0 end
-- Dead holders go too, so that sweeping them later announces nothing a second time.
redis.call('DEL', holders)
redis.call('HDEL', p .. 'offline', ARGV[3])
return 1`,

  /** ARGV: prefix, keys…. Returns 1/0 per key. */
  isOnline: `${PRELUDE}
local result = {}
for i = 2, #ARGV do result[i - 1] = anyLive(p .. 'presence:' .. ARGV[i]) and 1 or 0 end
return result`,

  /** ARGV: prefix, id, entry lifetime ms. Returns 1 when the entry was gone or expired: our keys must be joined again. */
  heartbeat: `${PRELUDE}
local known = redis.call('ZSCORE', instances, ARGV[2])
-- Expired counts as gone even before a sweep removed it: meanwhile another instance's leave() may
-- have deleted a key's holders, us among them, so our keys must be joined again.
local alive = known and tonumber(known) > now
redis.call('ZADD', instances, now + tonumber(ARGV[3]), ARGV[2])
return alive and 0 or 1`,

  /**
   * ARGV: prefix, stream, id or '', backlog. With an id, drops that instance (our goodbye on close);
   * without, drops every instance whose expiry passed. Writes the offline event of each key left with
   * no live holder to the stream; returns how many it wrote.
   */
  sweep: `${PRELUDE}
local function drop(id)
  local held = p .. 'held:' .. id
  local announced = 0
  for _, key in ipairs(redis.call('SMEMBERS', held)) do
    local holders = p .. 'presence:' .. key
    if redis.call('SREM', holders, id) == 1 and not anyLive(holders) then
      redis.call('DEL', holders)
      local event = redis.call('HGET', p .. 'offline', key)
      redis.call('HDEL', p .. 'offline', key)
      if event then
        redis.call('XADD', ARGV[2], 'MAXLEN', ARGV[4], '*', 'e', event)
        announced = announced + 1
      end
    end
  end
  redis.call('DEL', held)
  redis.call('ZREM', instances, id)
  return announced
end
if ARGV[3] ~= '' then return drop(ARGV[3]) end
local announced = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', instances, '-inf', now, 'LIMIT', 0, 50)) do
  announced = announced + drop(id)
end
return announced`,
};

export type ScriptName = keyof typeof SCRIPTS;
export const SHAS = Object.fromEntries(
  Object.entries(SCRIPTS).map(([name, lua]) => [name, createHash('sha1').update(lua).digest('hex')]),
) as Record<ScriptName, string>;
