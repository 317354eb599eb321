import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Bus, HubEvent } from '../../lib/bus/bus.js';
import { redisBus, type RedisBusOptions } from '../../lib/bus/redis-bus.js';
import { buyerOffline, EventLog, isPresence } from '../helpers/bus-events.js';
import { connectTestRedis, dropPrefix, freshPrefix, startOwnRedis, testRedisUrl } from '../helpers/redis.js';
import { busContract } from './contract.js';

let admin: Redis;
let prefix: string;
const opened: { bus: Bus; client?: Redis }[] = [];

beforeAll(async () => {
  admin = await connectTestRedis();
});
beforeEach(() => {
  prefix = freshPrefix();
});
afterEach(async () => {
  for (const { bus, client } of opened.splice(0)) {
    await bus.close();
    client?.disconnect();
  }
  await dropPrefix(admin, prefix);
});
afterAll(() => admin?.disconnect());

/** A started bus on this test's prefix; `client` makes the test own (and able to cut) its command connection. */
async function startBus(options: Partial<RedisBusOptions> & { ownClient?: boolean } = {}) {
  const { ownClient, ...rest } = options;
  const client = ownClient ? new Redis(testRedisUrl) : undefined;
  client?.on('error', () => {});
  const bus = redisBus({ ...(client ? { client } : { url: testRedisUrl }), prefix, ...rest });
  const log = new EventLog();
  await bus.start(log.onEvent);
  opened.push({ bus, client });
  return { bus, log, client: client! };
}

// Each contract test gets a prefix (keys and stream) of its own, dropped afterwards.
busContract(
  'redisBus',
  async (n) => {
    const contractPrefix = freshPrefix();
    const buses = Array.from({ length: n }, () => redisBus({ url: testRedisUrl, prefix: contractPrefix }));
    return {
      buses,
      async cleanup() {
        await Promise.all(buses.map((bus) => bus.close()));
        await dropPrefix(admin, contractPrefix);
      },
    };
  },
  {
    shared: true,
    // Away: a redis-server of the test's own, killed (never the machine's shared one).
    away: {
      boundMs: 500,
      async make(n) {
        const own = await startOwnRedis();
        const lines = Array.from({ length: n }, () => [] as string[]);
        const buses = lines.map((log) =>
          redisBus({ url: own.url, prefix: 'away:', logger: { info: (m) => log.push(m), warn: (m) => log.push(m), error: (m) => log.push(m) } }),
        );
        return {
          buses,
          lines,
          cutOff: () => own.kill(),
          async cleanup() {
            await Promise.all(buses.map((bus) => bus.close()));
            await own.kill();
          },
        };
      },
    },
  },
);

describe('redisBus', () => {
  it('validates its options', () => {
    expect(() => redisBus({ url: 'http://x' })).toThrow('redisBus: options.url must start with redis:// or rediss://');
    expect(() => redisBus({ ttlMs: 3000, heartbeatMs: 1500 })).toThrow(
      'redisBus: options.heartbeatMs must be an integer from 10 to ttlMs / 3 (1000), got 1500',
    );
    expect(() => redisBus({ ttlMs: 5 })).toThrow('redisBus: options.ttlMs must be an integer of at least 30, got 5');
  });

  it('a closed bus rejects every call but close', async () => {
    const { bus } = await startBus();
    await bus.close();
    await expect(bus.join('buyer:4')).rejects.toThrow('redisBus: the bus is closed');
    await expect(bus.publish({ type: 'resync' })).rejects.toThrow('redisBus: the bus is closed');
    await expect(bus.isOnline(['buyer:4'])).rejects.toThrow('redisBus: the bus is closed');
    await bus.close();
  });

  it('a dead instance (no goodbye) goes offline within the TTL, announced once', async () => {
    const ttlMs = 900;
    const a = await startBus({ ttlMs });
    const watcher = await startBus({ ttlMs }); // a second sweeper: the script must still announce once
    const dead = await startBus({ ttlMs, ownClient: true });
    await dead.bus.join('buyer:5', buyerOffline(5));
    await a.bus.join('seller:10', { type: 'seller-presence', sellerId: '10', online: false });
    expect(await a.bus.isOnline(['buyer:5'])).toEqual([true]);

    const died = Date.now();
    dead.client.disconnect(); // heartbeats now fail; nothing says goodbye
    await a.log.wait(isPresence(5, false), ttlMs + 2000);
    const elapsed = Date.now() - died;
    // The bound is ttlMs after the last heartbeat; the slack is for timers on a busy machine.
    expect(elapsed).toBeLessThanOrEqual(ttlMs + 500);
    expect(await a.bus.isOnline(['buyer:5', 'seller:10'])).toEqual([false, true]);

    // Nothing is left that a later sweep could announce a second time.
    const keys = await admin.keys(`${prefix}*`);
    expect(keys.filter((k) => k.includes('buyer:5'))).toEqual([]);
    expect(await admin.zcard(`${prefix}instances`)).toBe(2);
    expect(await admin.hkeys(`${prefix}offline`)).toEqual(['seller:10']);
    await a.bus.publish({ type: 'closed', sellerId: '10', chatId: 0 });
    await watcher.log.wait((e) => e.type === 'closed');
    expect(watcher.log.count(isPresence(5, false))).toBe(1);
    expect(a.log.count(isPresence(5, false))).toBe(1);
    console.info(`dead instance announced offline after ${elapsed} ms (ttl ${ttlMs} ms)`);
  });

  it('an instance swept while cut off from Redis joins its keys again when it is back', async () => {
    const ttlMs = 600;
    const a = await startBus({ ttlMs });
    const b = await startBus({ ttlMs, ownClient: true });
    await b.bus.join('buyer:6', buyerOffline(6));
    b.client.disconnect();
    await a.log.wait(isPresence(6, false), ttlMs + 2000);
    expect(await a.bus.isOnline(['buyer:6'])).toEqual([false]);
    await b.client.connect();
    await a.log.wait(isPresence(6, true), ttlMs + 2000);
    expect(await a.bus.isOnline(['buyer:6'])).toEqual([true]);
    expect(await b.bus.leave('buyer:6')).toBe(true);
  });

  it('an instance that expired before any sweep, and lost a shared key to another’s leave, joins it again', async () => {
    const ttlMs = 600;
    const a = await startBus({ ttlMs });
    const b = await startBus({ ttlMs });
    const watcher = await startBus({ ttlMs });
    await a.bus.join('buyer:8', buyerOffline(8));
    await b.bus.join('buyer:8', buyerOffline(8));
    // A looks expired (as after a pause), and B leaves before anyone has swept A: B's leave sees no
    // live holder and deletes the key's holders, A included. B then goes, so no sweep tidies up.
    const ids = await admin.zrange(`${prefix}instances`, '0', '-1');
    for (const id of ids) await admin.zadd(`${prefix}instances`, '0', id);
    expect(await b.bus.leave('buyer:8')).toBe(true);
    await b.bus.close();
    // A's next heartbeat finds its own entry expired and joins its keys again.
    await watcher.log.wait(isPresence(8, true), ttlMs + 2000);
    expect(await a.bus.isOnline(['buyer:8'])).toEqual([true]);
  });

  it('leaves a client it was given open on close', async () => {
    const { bus, client } = await startBus({ ownClient: true });
    opened.pop();
    await bus.close();
    expect(await client.ping()).toBe('PONG');
    client.disconnect();
  });
});
