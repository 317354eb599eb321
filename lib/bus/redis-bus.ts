/**
 * A Bus on Redis, for running several AH Chat instances (see docs/SCALE-OUT.md).
 *
 * Events: JSON on one pub/sub channel, `<prefix>events`, heard on a second connection (a subscribed
 * connection can do nothing else). Every instance hears every event, its own included, in the
 * order each publisher sent them. Events published while an instance is disconnected from Redis
 * are lost to it (pub/sub does not queue); the widget catches up with `since` when it reconnects.
 *
 * Presence, shared by all instances:
 *   <prefix>instances        sorted set: instance id → expiry (ms, Redis clock), moved on by a heartbeat
 *   <prefix>presence:<key>   set of instance ids holding the key (a socket for it is open there)
 *   <prefix>held:<id>        set of keys instance <id> holds (what to let go when it dies)
 *   <prefix>offline          hash: key → the event announcing it went offline (given to join)
 * A key is online while some holder's expiry lies ahead. Each instance sweeps every heartbeat:
 * one Lua script drops instances whose expiry passed and publishes the offline event of every key
 * that thereby lost its last live holder. The script is atomic, so a key is announced once, however
 * many instances sweep. Redis's own clock (TIME) is the only clock, so instances' clocks may differ.
 *
 * Timing: an instance's entry lives ttlMs - heartbeatMs and is renewed every heartbeatMs, so a dead
 * instance's keys are announced offline at most ttlMs after its last heartbeat, while a live one
 * survives a heartbeat that comes up to ttlMs - 2 * heartbeatMs late. An instance that was swept
 * anyway (paused too long, Redis unreachable) notices on its next heartbeat and joins its keys again.
 *
 * Needs Redis ≥ 5 (scripts that read TIME and then write); a single Redis or Sentinel, not Cluster
 * (the scripts touch keys they compute). `ioredis` is an optional peer dependency: this module is
 * reached only through `ah-chat/redis`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Bus, HubEvent, PresenceEvent, PresenceKey } from './bus.js';

export interface RedisBusOptions {
  /** redis:// or rediss:// URL; the bus opens (and on close, quits) its connections. Default redis://127.0.0.1:6379. */
  url?: string;
  /** A client the host owns: used for commands and duplicated for the subscription; never quit by the bus. */
  client?: Redis;
  /** Prefix of every key and of the channel, so several apps can share one Redis. Default 'ahchat:'. */
  prefix?: string;
  /** Longest time a dead instance's presence outlives its last heartbeat. Default 15000. */
  ttlMs?: number;
  /** How often each instance renews its presence and sweeps dead instances. Default ttlMs / 3; at most that. */
  heartbeatMs?: number;
}

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

const SCRIPTS = {
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
   * ARGV: prefix, channel, id or ''. With an id, drops that instance (our goodbye on close); without,
   * drops every instance whose expiry passed. Publishes the offline event of each key left with no
   * live holder; returns how many it published.
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
        redis.call('PUBLISH', ARGV[2], event)
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

type ScriptName = keyof typeof SCRIPTS;
const SHAS = Object.fromEntries(
  Object.entries(SCRIPTS).map(([name, lua]) => [name, createHash('sha1').update(lua).digest('hex')]),
) as Record<ScriptName, string>;

export function redisBus(options: RedisBusOptions = {}): Bus {
  if (options === null || typeof options !== 'object') throw new TypeError('redisBus: options must be an object');
  const { url, client, prefix = 'ahchat:', ttlMs = 15_000 } = options;
  if (url !== undefined && client !== undefined) throw new TypeError('redisBus: give options.url or options.client, not both');
  if (url !== undefined && (typeof url !== 'string' || !/^rediss?:\/\//.test(url))) {
    throw new TypeError('redisBus: options.url must start with redis:// or rediss://');
  }
  if (typeof prefix !== 'string') throw new TypeError('redisBus: options.prefix must be a string');
  if (!Number.isInteger(ttlMs) || ttlMs < 30) throw new RangeError(`redisBus: options.ttlMs must be an integer of at least 30, got ${ttlMs}`);
  const heartbeatMs = options.heartbeatMs ?? Math.floor(ttlMs / 3);
  if (!Number.isInteger(heartbeatMs) || heartbeatMs < 10 || heartbeatMs * 3 > ttlMs) {
    throw new RangeError(`redisBus: options.heartbeatMs must be an integer from 10 to ttlMs / 3 (${Math.floor(ttlMs / 3)}), got ${heartbeatMs}`);
  }

  const id = randomUUID();
  const channel = `${prefix}events`;
  const lifeMs = ttlMs - heartbeatMs;
  const commands = client ?? new Redis(url ?? 'redis://127.0.0.1:6379');
  // Ours in any case, so ours to quit. lazyConnect: nothing is opened before start().
  const subscriber = commands.duplicate({ lazyConnect: true });

  /** Keys this instance holds, with their offline events: joined again if a sweep dropped us. */
  const held = new Map<PresenceKey, PresenceEvent | undefined>();
  const pending = new Set<Promise<unknown>>();
  let deliver: ((event: HubEvent) => void) | null = null;
  let timer: NodeJS.Timeout | undefined;
  let ticking = false;
  let closed = false;

  async function run<T>(name: ScriptName, args: (string | number)[]): Promise<T> {
    const argv = [prefix, ...args];
    try {
      return (await commands.evalsha(SHAS[name], 0, ...argv)) as T;
    } catch (error) {
      // First use on this Redis (or after SCRIPT FLUSH / a restart): send the script itself once.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return (await commands.eval(SCRIPTS[name], 0, ...argv)) as T;
    }
  }

  /** Runs fn unless closed, and lets close() wait for it. */
  function track<T>(fn: () => Promise<T>): Promise<T> {
    if (closed) return Promise.reject(new Error('redisBus: the bus is closed'));
    const promise = fn();
    pending.add(promise);
    void promise.then(
      () => pending.delete(promise),
      () => pending.delete(promise),
    );
    return promise;
  }

  async function join(key: PresenceKey, offline: PresenceEvent | undefined): Promise<boolean> {
    const [wasOffline, registered] = await run<[number, number]>('join', [id, key, offline ? JSON.stringify(offline) : '']);
    // Joined while swept: renew now rather than look offline until the next heartbeat.
    if (!registered) track(tick).catch(() => {});
    return wasOffline === 1;
  }

  /** Renews this instance's entry (joining our keys again if a sweep dropped it), then sweeps. */
  async function tick(): Promise<void> {
    if (ticking || closed) return;
    ticking = true;
    try {
      const lost = await run<number>('heartbeat', [id, lifeMs]);
      if (lost) {
        for (const [key, offline] of held) {
          if ((await join(key, offline)) && offline) await publish({ ...offline, online: true });
        }
      }
      await run<number>('sweep', [channel, '']);
    } finally {
      ticking = false;
    }
  }

  async function publish(event: HubEvent): Promise<void> {
    await commands.publish(channel, JSON.stringify(event));
  }

  subscriber.on('message', (from: string, text: string) => {
    if (from !== channel || !deliver) return;
    let event: HubEvent;
    try {
      event = JSON.parse(text) as HubEvent;
    } catch {
      return; // Not ours: someone else published on our channel.
    }
    deliver(event);
  });

  return {
    start(onEvent) {
      return track(async () => {
        deliver = onEvent;
        await subscriber.subscribe(channel);
        await tick();
        timer = setInterval(() => {
          // A failed tick is retried by the next one; Redis being away long enough costs our entry,
          // which the next successful heartbeat restores.
          track(tick).catch(() => {});
        }, heartbeatMs);
        timer.unref();
      });
    },

    publish(event) {
      return track(() => publish(event));
    },

    join(key, offline) {
      return track(async () => {
        held.set(key, offline);
        return join(key, offline);
      });
    },

    leave(key) {
      return track(async () => {
        held.delete(key);
        return (await run<number>('leave', [id, key])) === 1;
      });
    },

    isOnline(keys) {
      return track(async () => {
        if (keys.length === 0) return [];
        const flags = await run<number[]>('isOnline', [...keys]);
        return flags.map((flag) => flag === 1);
      });
    },

    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await Promise.allSettled([...pending]);
      deliver = null;
      held.clear();
      try {
        // Goodbye: our keys go now rather than after the TTL. If Redis is unreachable, the TTL does it.
        await run<number>('sweep', [channel, id]);
      } catch {}
      subscriber.disconnect();
      if (!client) await commands.quit().catch(() => commands.disconnect());
    },

    /** Readiness: a PING on the command connection. */
    async ping() {
      await commands.ping();
    },
  };
}
