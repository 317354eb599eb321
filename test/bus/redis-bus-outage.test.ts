/**
 * The Redis bus while Redis is away and when it is back, on a redis-server of this suite's own
 * (killed and restarted; never the machine's shared one): nothing waits, presence answers from
 * this instance, kept events are written in order on return, an overflow ends in a resync.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Bus, HubEvent } from '../../lib/bus/bus.js';
import { redisBus, type RedisBusOptions } from '../../lib/bus/redis-bus.js';
import type { Logger } from '../../lib/logger.js';
import { buyerOffline as offline, EventLog, messageEvent as message } from '../helpers/bus-events.js';
import { type OwnRedis, startOwnRedis } from '../helpers/redis.js';

let redis: OwnRedis;
const opened: Bus[] = [];

beforeAll(async () => {
  redis = await startOwnRedis();
});
afterEach(async () => {
  // Redis is up again at the end of each test; close the buses of this one.
  for (const bus of opened.splice(0)) await bus.close();
});
afterAll(async () => {
  await redis?.kill();
});

async function startBus(options: Partial<RedisBusOptions> = {}) {
  const lines: string[] = [];
  const logger: Logger = { info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
  const bus = redisBus({ url: redis.url, prefix: 'outage:', ttlMs: 900, logger, ...options });
  const log = new EventLog();
  await bus.start(log.onEvent);
  opened.push(bus);
  return { bus, log, lines };
}

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('redisBus while Redis is away', () => {
  it('answers at once from this instance, keeps what matters, and on return re-announces presence and writes the kept events in order', async () => {
    const a = await startBus();
    const b = await startBus();
    await a.bus.join('buyer:1', offline(1));
    await a.bus.join('buyer:2', offline(2));

    await redis.kill();
    await until(() => a.lines.some((l) => l.startsWith('redisBus: Redis unavailable')), 'the outage line');

    const started = Date.now();
    expect(await a.bus.leave('buyer:2')).toBe(true);
    expect(await a.bus.join('buyer:3', offline(3))).toBe(true);
    for (let id = 1; id <= 3; id++) await a.bus.publish(message(7, id));
    await a.bus.publish({ type: 'typing', sellerId: '10', chatId: 7, from: 'buyer' });
    expect(await a.bus.isOnline(['buyer:1', 'buyer:2', 'buyer:3', 'seller:10'])).toEqual([true, false, true, false]);
    // No wait on Redis: everything above answered from memory.
    expect(Date.now() - started).toBeLessThan(200);

    await redis.restart();
    const wanted = (e: HubEvent) => e.type === 'message' && e.message.id === 3;
    await b.log.wait(wanted);
    const after = b.log.events;
    expect(after.filter((e) => e.type === 'message').map((e) => (e as any).message.id)).toEqual([1, 2, 3]);
    expect(after.some((e) => e.type === 'typing')).toBe(false);
    expect(after).toContainEqual({ ...offline(1), online: true });
    expect(after).toContainEqual({ ...offline(3), online: true });
    // buyer:2 left while Redis was away (and Redis came back empty): announced offline.
    expect(after).toContainEqual(offline(2));
    expect(await b.bus.isOnline(['buyer:1', 'buyer:2', 'buyer:3'])).toEqual([true, false, true]);
    await until(() => a.lines.length === 2, 'the end-of-outage line');
    expect(a.lines[0]).toMatch(/^redisBus: Redis unavailable \(.+\): pushes and presence stay on this instance until it is back$/);
    expect(a.lines[1]).toMatch(/^redisBus: Redis available again after \d+ ms .*; 2 presence keys announced again, 3 kept events written$/);
  });

  it('an instance cut off while the stream was trimmed past its last entry delivers a resync', async () => {
    // B signs in as a user of its own, so that the test can shut B (and only B) out for a while.
    const admin = new Redis(redis.url);
    try {
      await admin.call('ACL', 'SETUSER', 'bus-b', 'on', '>pw', '~*', '&*', '+@all');
      const a = await startBus({ backlog: 3 });
      const b = await startBus({ backlog: 3, url: `redis://bus-b:pw@127.0.0.1:${redis.port}` });
      await a.bus.publish(message(9, 1));
      await b.log.wait((e) => e.type === 'message' && e.message.id === 1);

      await admin.call('ACL', 'SETUSER', 'bus-b', 'off');
      await admin.call('CLIENT', 'KILL', 'USER', 'bus-b');
      await until(() => b.lines.length === 1, 'B’s outage line');
      for (let id = 2; id <= 7; id++) await a.bus.publish(message(9, id));
      expect(await admin.xlen('outage:stream')).toBe(3);
      await admin.call('ACL', 'SETUSER', 'bus-b', 'on');

      await b.log.wait((e) => e.type === 'resync');
      // What is still in the stream comes too; what was trimmed away is what the resync covers.
      await b.log.wait((e) => e.type === 'message' && e.message.id === 7);
      expect(b.log.events.filter((e) => e.type === 'message').map((e) => (e as any).message.id)).toEqual([1, 5, 6, 7]);
    } finally {
      await admin.call('ACL', 'DELUSER', 'bus-b');
      admin.disconnect();
    }
  });

  it('a reader that finds entries of a writer missing (trimmed while it lagged) delivers a resync', async () => {
    const b = await startBus();
    const admin = new Redis(redis.url);
    try {
      const write = (seq: number) =>
        admin.xadd('outage:stream', '*', 'e', JSON.stringify({ ...message(4, seq), instance: 'writer', epoch: 1, seq }));
      await write(1);
      await write(2);
      await write(4);
      await b.log.wait((e) => e.type === 'resync');
      expect(b.log.events.map((e) => (e.type === 'message' ? e.message.id : e.type))).toEqual([1, 2, 4, 'resync']);
      // Delivered events carry nothing of the stream's bookkeeping.
      expect(b.log.events[0]).toEqual(message(4, 1));
    } finally {
      admin.disconnect();
    }
  });

  it('a Redis that is connected but answers nothing costs one commandTimeoutMs, then answers from memory', async () => {
    const a = await startBus({ commandTimeoutMs: 200 });
    const b = await startBus({ commandTimeoutMs: 200 });
    await a.bus.join('buyer:5', offline(5));
    const admin = new Redis(redis.url);
    try {
      // Every client's commands wait until the pause ends (the sockets stay open).
      await admin.call('CLIENT', 'PAUSE', '1500', 'ALL');
      let started = Date.now();
      expect(await a.bus.isOnline(['buyer:5', 'buyer:6'])).toEqual([true, false]);
      expect(Date.now() - started).toBeLessThan(600);
      started = Date.now();
      expect(await a.bus.join('buyer:6', offline(6))).toBe(true);
      await a.bus.publish(message(6, 1));
      expect(Date.now() - started).toBeLessThan(100);
      expect(a.lines[0]).toMatch(/^redisBus: Redis unavailable \(no answer within 200 ms\)/);
      // When Redis answers again, the next heartbeat recovers: the kept message and buyer:6 reach B.
      await b.log.wait((e) => e.type === 'message' && e.message.chatId === 6, 5000);
      await b.log.wait((e) => e.type === 'buyer-presence' && e.chatId === 6 && e.online, 5000);
    } finally {
      admin.disconnect();
    }
  });

  it('keeps at most `backlog` events, and follows them with a resync when more came', async () => {
    const a = await startBus({ backlog: 3 });
    const b = await startBus({ backlog: 3 });
    await redis.kill();
    await until(() => a.lines.length === 1, 'the outage line');
    for (let id = 1; id <= 5; id++) await a.bus.publish(message(8, id));
    await redis.restart();
    await b.log.wait((e) => e.type === 'resync');
    // A wrote the first three, in order, then the resync; the stream is capped at `backlog`, so the
    // resync's entry trims the oldest kept one away when B's reader comes back after both writes (a
    // loaded machine): B sees the kept events that are still there, in order, then the resync.
    await until(() => a.lines.some((line) => /3 kept events written, resync sent/.test(line)), 'the recovery line');
    const seen = b.log.events.filter((e) => e.type === 'message' || e.type === 'resync').map((e) => (e.type === 'message' ? e.message.id : e.type));
    expect([[1, 2, 3, 'resync'], [2, 3, 'resync']]).toContainEqual(seen.slice(0, seen.indexOf('resync') + 1));
  });
});
