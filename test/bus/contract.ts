/**
 * The Bus contract suite: every guarantee written in lib/bus/bus.ts, checked against one bus.
 * Each bus's test file calls busContract with a factory of n buses (not started) and says whether
 * they share one backing system (instances of one deployment) or each stands alone, as localBus
 * does: a bus alone has no other instance to carry events to, so it runs the cases of one instance.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Bus, HubEvent, PresenceEvent } from '../../lib/bus/bus.js';
import { buyerKey, sellerKey } from '../../lib/bus/bus.js';
import { buyerOffline, EventLog, isPresence, messageEvent } from '../helpers/bus-events.js';

export type MakeBuses = (n: number) => Promise<{ buses: Bus[]; cleanup: () => Promise<void> }>;

/** Buses on a backing system the test can take away (buses alone have none). */
export interface AwayBuses {
  buses: Bus[];
  /** What each bus logged, one list per bus. */
  lines: string[][];
  /** Takes the backing system away (resolves once it is gone). */
  cutOff(): Promise<void>;
  cleanup(): Promise<void>;
}

export interface BusKind {
  /** True when the factory's buses are instances of one deployment (they see each other). */
  shared: boolean;
  /** For a bus with a backing system: n buses on one the test may take away, and the longest a call may then take. */
  away?: { make(n: number): Promise<AwayBuses>; boundMs: number };
}

/** One of each event type the hub publishes, with every optional field set. */
const EVERY_EVENT: HubEvent[] = [
  {
    type: 'message',
    sellerId: '10',
    origin: 'socket-1',
    message: {
      id: 3,
      chatId: 7,
      from: 'buyer',
      text: 'hé “quoted” ✓',
      createdAt: 1_700_000_000_123,
      clientDate: 1_700_000_000_000,
      clientId: 'c-1',
      context: { title: 'Shoes', url: 'https://shop.example/p/1', image: 'https://shop.example/1.png', price: 12.5, ref: 'p1' },
    },
  },
  { type: 'buyer-presence', sellerId: '10', chatId: 7, online: true },
  { type: 'seller-presence', sellerId: 'shop-a', online: false },
  { type: 'chat', sellerId: '10', chatId: 8, chatter: 'Ann', sellerName: 'Shop Ten' },
  { type: 'typing', sellerId: '10', chatId: 7, from: 'seller' },
  { type: 'read', sellerId: '10', chatId: 7, side: 'buyer', id: 3, unread: 0 },
  { type: 'closed', sellerId: '10', chatId: 7 },
  { type: 'context', sellerId: '10', chatId: 7, context: { title: 'Hat', url: 'https://shop.example/p/2' } },
  { type: 'chatter', sellerId: '10', chatId: 7, chatter: 'Bob' },
  { type: 'resync' },
];

const typing = (chatId: number): HubEvent => ({ type: 'typing', sellerId: '10', chatId, from: 'buyer' });
const closedChat = (chatId: number): HubEvent => ({ type: 'closed', sellerId: '10', chatId });
const sellerOffline: PresenceEvent = { type: 'seller-presence', sellerId: '10', online: false };

export function busContract(name: string, makeBuses: MakeBuses, kind: BusKind): void {
  describe(`Bus contract: ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0)) await cleanup();
    });

    /** n buses of the factory, the first `started` of them started, each with its event log. */
    async function open(n: number, started = n): Promise<{ bus: Bus; log: EventLog }[]> {
      const { buses, cleanup } = await makeBuses(n);
      cleanups.push(cleanup);
      const opened = buses.map((bus) => ({ bus, log: new EventLog() }));
      for (const { bus, log } of opened.slice(0, started)) await bus.start(log.onEvent);
      return opened;
    }

    describe('one instance', () => {
      it('presence: join is true for a key offline everywhere, isOnline follows join and leave, leave is true when it goes offline', async () => {
        const [a] = await open(1);
        const { bus } = a!;
        expect(await bus.isOnline([buyerKey(1), sellerKey('10')])).toEqual([false, false]);
        expect(await bus.join(buyerKey(1), buyerOffline(1))).toBe(true);
        expect(await bus.join(sellerKey('10'))).toBe(true);
        expect(await bus.isOnline([sellerKey('10'), buyerKey(2), buyerKey(1)])).toEqual([true, false, true]);
        expect(await bus.leave(buyerKey(1))).toBe(true);
        expect(await bus.isOnline([buyerKey(1), sellerKey('10')])).toEqual([false, true]);
        // A key that went offline comes back as offline-everywhere again.
        expect(await bus.join(buyerKey(1), buyerOffline(1))).toBe(true);
        expect(await bus.isOnline([buyerKey(1)])).toEqual([true]);
      });

      it('isOnline of no keys is an empty list, and one flag per key in the order asked, repeats included', async () => {
        const [a] = await open(1);
        await a!.bus.join(buyerKey(5));
        expect(await a!.bus.isOnline([])).toEqual([]);
        expect(await a!.bus.isOnline([buyerKey(5), buyerKey(6), buyerKey(5)])).toEqual([true, false, true]);
      });

      it('never delivers an event back to the instance that published it', async () => {
        const [a, b] = await open(kind.shared ? 2 : 1);
        for (const event of EVERY_EVENT) await a!.bus.publish(event);
        if (b) {
          // B answers once it heard all of A's: anything of A's own would have reached A before B's answer.
          await b.log.wait((e) => e.type === 'resync');
          await b.bus.publish(closedChat(99));
          await a!.log.wait((e) => e.type === 'closed' && e.chatId === 99);
          expect(a!.log.events).toEqual([closedChat(99)]);
        } else {
          expect(a!.log.events).toEqual([]);
        }
      });

      it('ping, where a bus has it, resolves once the bus is started', async () => {
        const [a] = await open(1);
        if (a!.bus.ping) await expect(a!.bus.ping()).resolves.toBeUndefined();
        else expect(a!.bus.ping).toBeUndefined();
      });

      it('close drops the presence this instance held', async () => {
        const [a, b] = await open(kind.shared ? 2 : 1);
        await a!.bus.join(buyerKey(3), buyerOffline(3));
        await a!.bus.join(sellerKey('10'), sellerOffline);
        await a!.bus.close();
        // Alone, the bus itself is all that can be asked; shared, another instance is.
        const observer = b?.bus ?? a!.bus;
        expect(await observer.isOnline([buyerKey(3), sellerKey('10')])).toEqual([false, false]);
      });
    });

    if (kind.away) awayCases(kind.away);
    if (!kind.shared) return;

    describe('instances of one deployment', () => {
      it('carries every event type, unchanged, to every other instance', async () => {
        const [a, b, c] = await open(3);
        for (const event of EVERY_EVENT) await a!.bus.publish(event);
        for (const other of [b!, c!]) {
          await other.log.wait((e) => e.type === 'resync');
          expect(other.log.events).toEqual(EVERY_EVENT);
        }
      });

      it('delivers each publisher’s events in the order it published them, also when publishes are not awaited one by one', async () => {
        const [a, b, c] = await open(3);
        const fromA = Array.from({ length: 30 }, (_, i) => typing(i));
        const fromB = Array.from({ length: 30 }, (_, i) => closedChat(i));
        await Promise.all([...fromA.map((e) => a!.bus.publish(e)), ...fromB.map((e) => b!.bus.publish(e))]);
        await c!.log.wait((e) => e.type === 'typing' && e.chatId === 29);
        await c!.log.wait((e) => e.type === 'closed' && e.chatId === 29);
        expect(c!.log.events.filter((e) => e.type === 'typing')).toEqual(fromA);
        expect(c!.log.events.filter((e) => e.type === 'closed')).toEqual(fromB);
        await a!.log.wait((e) => e.type === 'closed' && e.chatId === 29);
        expect(a!.log.events).toEqual(fromB);
      });

      it('starts delivering at start: an instance started later gets what was published after, not before', async () => {
        const [a, b, late] = await open(3, 2);
        await a!.bus.publish(closedChat(1));
        await b!.log.wait((e) => e.type === 'closed' && e.chatId === 1);
        await late!.bus.start(late!.log.onEvent);
        await a!.bus.publish(closedChat(2));
        await late!.log.wait((e) => e.type === 'closed' && e.chatId === 2);
        expect(late!.log.events).toEqual([closedChat(2)]);
      });

      it('presence across instances: join is true only for the first holder, leave only for the last, isOnline counts every instance', async () => {
        const [a, b, c] = await open(3);
        expect(await a!.bus.join(buyerKey(1), buyerOffline(1))).toBe(true);
        expect(await b!.bus.join(buyerKey(1), buyerOffline(1))).toBe(false);
        expect(await c!.bus.isOnline([buyerKey(1), sellerKey('10')])).toEqual([true, false]);
        expect(await a!.bus.leave(buyerKey(1))).toBe(false);
        expect(await c!.bus.isOnline([buyerKey(1)])).toEqual([true]);
        expect(await b!.bus.leave(buyerKey(1))).toBe(true);
        expect(await a!.bus.isOnline([buyerKey(1)])).toEqual([false]);
        expect(await c!.bus.join(buyerKey(1), buyerOffline(1))).toBe(true);
      });

      it('close stops delivery to that instance, and the others carry on', async () => {
        const [a, b, c] = await open(3);
        await b!.bus.close();
        await a!.bus.publish(closedChat(5));
        await c!.log.wait((e) => e.type === 'closed' && e.chatId === 5);
        // C heard A's event; B, had it still been delivering, would have heard it by now as well.
        await a!.bus.publish(closedChat(6));
        await c!.log.wait((e) => e.type === 'closed' && e.chatId === 6);
        expect(b!.log.events).toEqual([]);
      });

      it('close announces the offline event of each key no other live instance holds, once, and not the others', async () => {
        const [a, b, watcher] = await open(3);
        await b!.bus.join(buyerKey(2), buyerOffline(2));
        await b!.bus.join(buyerKey(3), buyerOffline(3));
        await a!.bus.join(buyerKey(3), buyerOffline(3));
        await b!.bus.close();
        await a!.log.wait(isPresence(2, false));
        expect(await a!.bus.isOnline([buyerKey(2), buyerKey(3)])).toEqual([false, true]);
        // A marker after the close: whatever the close announced has reached the watcher before it.
        await a!.bus.publish(closedChat(0));
        await watcher!.log.wait((e) => e.type === 'closed' && e.chatId === 0);
        expect(watcher!.log.count(isPresence(2, false))).toBe(1);
        expect(watcher!.log.count(isPresence(3, false))).toBe(0);
        expect(a!.log.count(isPresence(3, false))).toBe(0);
      });
    });
  });
}

/** Polls (the bus gives no event for it) until check() holds, within timeoutMs. */
async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function awayCases(away: NonNullable<BusKind['away']>): void {
  describe('while its backing system is away', () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0)) await cleanup();
    });

    it('answers every call within the bound from what this instance holds, and says so in one log line', async () => {
      const opened = await away.make(1);
      cleanups.push(opened.cleanup);
      const [bus] = opened.buses;
      const [lines] = opened.lines;
      await bus!.start(() => {});
      await bus!.join(buyerKey(1), buyerOffline(1));
      await bus!.join(buyerKey(2), buyerOffline(2));
      await opened.cutOff();
      await until(() => lines!.length > 0, 'the outage line');

      const started = Date.now();
      expect(await bus!.leave(buyerKey(2))).toBe(true);
      expect(await bus!.join(buyerKey(3), buyerOffline(3))).toBe(true);
      await bus!.publish(closedChat(1));
      await bus!.publish(typing(1));
      expect(await bus!.isOnline([buyerKey(1), buyerKey(2), buyerKey(3), sellerKey('10')])).toEqual([true, false, true, false]);
      expect(Date.now() - started).toBeLessThan(away.boundMs);
      expect(lines).toHaveLength(1);
    });

    it('ping rejects, with the reason, while the bus cannot carry events', async () => {
      const opened = await away.make(1);
      cleanups.push(opened.cleanup);
      const [bus] = opened.buses;
      await bus!.start(() => {});
      await expect(bus!.ping?.()).resolves.toBeUndefined();
      await opened.cutOff();
      await until(() => opened.lines[0]!.length > 0, 'the outage line');
      await expect(bus!.ping!()).rejects.toThrow(/./);
    });
  });
}
