/**
 * The Store contract suite: every guarantee written in lib/store/store.ts, checked against one store.
 * Each store's test file calls storeContract with a factory; nothing here knows which store it runs on.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChatClosedError, type Chat, type Side, type Store } from '../../lib/store/store.js';

export type MakeStore = () => Promise<{ store: Store; cleanup: () => Promise<void> }>;

const other = (side: Side): Side => (side === 'buyer' ? 'seller' : 'buyer');

/**
 * Resolves once Date.now() has moved past its value at the call. Activity order is by timestamp, so
 * a test that needs two events to be in distinct milliseconds waits for the clock, not for the store.
 */
async function nextMillisecond(): Promise<void> {
  const start = Date.now();
  while (Date.now() <= start) await new Promise((resolve) => setImmediate(resolve));
}

export function storeContract(name: string, makeStore: MakeStore): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let tokens = 0;

    beforeEach(async () => {
      ({ store, cleanup } = await makeStore());
    });
    afterEach(async () => {
      await cleanup();
    });

    const newBuyer = (name = 'Ann') => store.createBuyer({ name, tokenHash: `hash-${++tokens}` });
    async function newChat(sellerId = '10', name = 'Ann'): Promise<Chat> {
      const buyer = await newBuyer(name);
      return (await store.openChat({ buyerId: buyer.id, sellerId, chatter: name })).chat;
    }
    const say = (chatId: number, from: Side, text: string, clientId?: string) =>
      store.appendMessage({ chatId, from, text, clientDate: 1_700_000_000_000, ...(clientId === undefined ? {} : { clientId }) });

    describe('buyers', () => {
      it('createBuyer stores the buyer and findBuyerByTokenHash finds it', async () => {
        const before = Date.now();
        const buyer = await store.createBuyer({ name: 'Ann', tokenHash: 'a'.repeat(64) });
        expect(buyer).toEqual({ id: expect.any(Number), name: 'Ann', tokenHash: 'a'.repeat(64), createdAt: expect.any(Number) });
        expect(buyer.id).toBeGreaterThan(0);
        expect(buyer.createdAt).toBeGreaterThanOrEqual(before);
        expect(await store.findBuyerByTokenHash('a'.repeat(64))).toEqual(buyer);
      });

      it('gives every buyer its own id', async () => {
        const buyers = await Promise.all(Array.from({ length: 20 }, (_, i) => newBuyer(`b${i}`)));
        expect(new Set(buyers.map((b) => b.id)).size).toBe(20);
      });

      it('finds nothing (null) for an unknown tokenHash', async () => {
        await newBuyer();
        expect(await store.findBuyerByTokenHash('unknown')).toBeNull();
      });

      it('rejects a second buyer with the same tokenHash', async () => {
        await store.createBuyer({ name: 'Ann', tokenHash: 'same' });
        await expect(store.createBuyer({ name: 'Bob', tokenHash: 'same' })).rejects.toThrow();
        expect((await store.findBuyerByTokenHash('same'))?.name).toBe('Ann');
      });
    });

    describe('openChat', () => {
      it('creates an open chat with no messages', async () => {
        const buyer = await newBuyer('Ann');
        const before = Date.now();
        const { chat, created } = await store.openChat({ buyerId: buyer.id, sellerId: '10', chatter: 'Ann' });
        expect(created).toBe(true);
        expect(chat).toEqual({
          id: expect.any(Number),
          sellerId: '10',
          buyerId: buyer.id,
          chatter: 'Ann',
          createdAt: expect.any(Number),
          lastActivity: chat.createdAt,
          lastMessageId: 0,
          readIds: { buyer: 0, seller: 0 },
          unread: { buyer: 0, seller: 0 },
        });
        expect(chat.id).toBeGreaterThan(0);
        expect(chat.createdAt).toBeGreaterThanOrEqual(before);
        expect(chat.closedAt).toBeUndefined();
        expect(await store.getChat(chat.id)).toEqual(chat);
      });

      it('returns the same open chat to the same buyer and seller', async () => {
        const buyer = await newBuyer();
        const first = await store.openChat({ buyerId: buyer.id, sellerId: '10', chatter: 'Ann' });
        await say(first.chat.id, 'buyer', 'hi');
        const second = await store.openChat({ buyerId: buyer.id, sellerId: '10', chatter: 'Ann' });
        expect(second.created).toBe(false);
        expect(second.chat).toEqual(await store.getChat(first.chat.id));
      });

      it('gives another seller or another buyer another chat', async () => {
        const ann = await newBuyer('Ann');
        const bob = await newBuyer('Bob');
        const a10 = await store.openChat({ buyerId: ann.id, sellerId: '10', chatter: 'Ann' });
        const a11 = await store.openChat({ buyerId: ann.id, sellerId: '11', chatter: 'Ann' });
        const b10 = await store.openChat({ buyerId: bob.id, sellerId: '10', chatter: 'Bob' });
        expect([a10.created, a11.created, b10.created]).toEqual([true, true, true]);
        expect(new Set([a10.chat.id, a11.chat.id, b10.chat.id]).size).toBe(3);
      });

      it('is atomic: concurrent calls for one buyer and seller give one chat, created once', async () => {
        const buyer = await newBuyer();
        const results = await Promise.all(
          Array.from({ length: 10 }, () => store.openChat({ buyerId: buyer.id, sellerId: '10', chatter: 'Ann' })),
        );
        expect(new Set(results.map((r) => r.chat.id)).size).toBe(1);
        expect(results.filter((r) => r.created)).toHaveLength(1);
        expect(await store.listChats('10', { limit: 100, includeClosed: true })).toHaveLength(1);
      });

      it('starts a new chat once the open one is closed', async () => {
        const buyer = await newBuyer();
        const first = await store.openChat({ buyerId: buyer.id, sellerId: '10', chatter: 'Ann' });
        await store.closeChat(first.chat.id);
        const second = await store.openChat({ buyerId: buyer.id, sellerId: '10', chatter: 'Ann' });
        expect(second.created).toBe(true);
        expect(second.chat.id).not.toBe(first.chat.id);
        expect(second.chat.closedAt).toBeUndefined();
        expect((await store.getChat(first.chat.id))?.closedAt).toEqual(expect.any(Number));
      });
    });

    describe('getChat and closeChat', () => {
      it('return null for a chat that does not exist', async () => {
        await newChat();
        expect(await store.getChat(987_654)).toBeNull();
        expect(await store.closeChat(987_654)).toBeNull();
      });

      it('closeChat marks the chat closed and returns it', async () => {
        const chat = await newChat();
        const before = Date.now();
        const closed = await store.closeChat(chat.id);
        expect(closed).toEqual({ ...chat, closedAt: expect.any(Number) });
        expect(closed!.closedAt).toBeGreaterThanOrEqual(before);
        expect(await store.getChat(chat.id)).toEqual(closed);
      });

      it('a closed chat takes no new message (ChatClosedError), but a resend of an earlier one is still its duplicate', async () => {
        const chat = await newChat();
        const { message } = await store.appendMessage({ chatId: chat.id, from: 'buyer', text: 'before', clientDate: 1, clientId: 'k1' });
        await store.closeChat(chat.id);
        await expect(store.appendMessage({ chatId: chat.id, from: 'buyer', text: 'after', clientDate: 2, clientId: 'k2' })).rejects.toBeInstanceOf(ChatClosedError);
        await expect(store.appendMessage({ chatId: chat.id, from: 'seller', text: 'after', clientDate: 2 })).rejects.toBeInstanceOf(ChatClosedError);
        expect(await store.appendMessage({ chatId: chat.id, from: 'buyer', text: 'before', clientDate: 1, clientId: 'k1' })).toEqual({ message, duplicate: true });
        expect((await store.listMessages(chat.id, { limit: 10 })).map((m) => m.text)).toEqual(['before']);
        expect((await store.getChat(chat.id))?.lastMessageId).toBe(1);
      });

      it('closing a closed chat changes nothing', async () => {
        const chat = await newChat();
        const closed = await store.closeChat(chat.id);
        await nextMillisecond();
        expect(await store.closeChat(chat.id)).toEqual(closed);
      });
    });

    describe('listChats', () => {
      it("lists only that seller's chats", async () => {
        const a = await newChat('10', 'Ann');
        const b = await newChat('10', 'Bob');
        await newChat('11', 'Cid');
        const ids = (await store.listChats('10', { limit: 100 })).map((c) => c.id);
        expect(ids.sort()).toEqual([a.id, b.id].sort());
        expect(await store.listChats('12', { limit: 100 })).toEqual([]);
      });

      it('puts the newest activity first', async () => {
        const a = await newChat('10', 'Ann');
        await nextMillisecond();
        const b = await newChat('10', 'Bob');
        await nextMillisecond();
        const c = await newChat('10', 'Cid');
        expect((await store.listChats('10', { limit: 100 })).map((x) => x.id)).toEqual([c.id, b.id, a.id]);
        await nextMillisecond();
        await say(a.id, 'buyer', 'still there?');
        const list = await store.listChats('10', { limit: 100 });
        expect(list.map((x) => x.id)).toEqual([a.id, c.id, b.id]);
        expect(list[0]).toEqual(await store.getChat(a.id));
      });

      it('keeps the newest `limit` chats', async () => {
        const chats: Chat[] = [];
        for (let i = 0; i < 5; i++) {
          chats.push(await newChat('10', `b${i}`));
          await nextMillisecond();
        }
        expect((await store.listChats('10', { limit: 2 })).map((c) => c.id)).toEqual([chats[4]!.id, chats[3]!.id]);
      });

      it('leaves closed chats out unless includeClosed', async () => {
        const open = await newChat('10', 'Ann');
        const closed = await newChat('10', 'Bob');
        await store.closeChat(closed.id);
        expect((await store.listChats('10', { limit: 100 })).map((c) => c.id)).toEqual([open.id]);
        const all = await store.listChats('10', { limit: 100, includeClosed: true });
        expect(all.map((c) => c.id).sort()).toEqual([open.id, closed.id].sort());
        expect(all.find((c) => c.id === closed.id)?.closedAt).toEqual(expect.any(Number));
      });
    });

    describe('appendMessage', () => {
      it('stores the message and updates the chat', async () => {
        const chat = await newChat();
        const before = Date.now();
        const { message, duplicate } = await store.appendMessage({ chatId: chat.id, from: 'buyer', text: 'hello', clientDate: 123, clientId: 'c1' });
        expect(duplicate).toBe(false);
        expect(message).toEqual({ id: 1, chatId: chat.id, from: 'buyer', text: 'hello', createdAt: expect.any(Number), clientDate: 123, clientId: 'c1' });
        expect(message.createdAt).toBeGreaterThanOrEqual(before);
        const updated = await store.getChat(chat.id);
        expect(updated).toMatchObject({ lastMessageId: 1, unread: { buyer: 0, seller: 1 }, readIds: { buyer: 0, seller: 0 } });
        expect(updated!.lastActivity).toBeGreaterThanOrEqual(message.createdAt);
        expect(await store.listMessages(chat.id, { limit: 10 })).toEqual([message]);
      });

      it('stores no clientId when none was given', async () => {
        const chat = await newChat();
        const { message } = await say(chat.id, 'seller', 'hi');
        expect(message.clientId).toBeUndefined();
        expect((await store.listMessages(chat.id, { limit: 1 }))[0]?.clientId).toBeUndefined();
      });

      it('numbers messages 1, 2, 3, … within each chat', async () => {
        const a = await newChat('10', 'Ann');
        const b = await newChat('10', 'Bob');
        expect((await say(a.id, 'buyer', 'a1')).message.id).toBe(1);
        expect((await say(a.id, 'seller', 'a2')).message.id).toBe(2);
        expect((await say(b.id, 'buyer', 'b1')).message.id).toBe(1);
        expect((await say(a.id, 'buyer', 'a3')).message.id).toBe(3);
      });

      it('gives concurrent appends to one chat unique consecutive ids, all stored', async () => {
        const chat = await newChat();
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => say(chat.id, i % 3 ? 'buyer' : 'seller', `m${i}`)),
        );
        expect(results.map((r) => r.message.id).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
        const stored = await store.listMessages(chat.id, { limit: 100 });
        expect(stored.map((m) => m.id)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
        expect(new Set(stored.map((m) => m.text)).size).toBe(50);
        expect((await store.getChat(chat.id))?.lastMessageId).toBe(50);
      });

      it('counts unread for the other side: from buyer → unread.seller, from seller → unread.buyer', async () => {
        const chat = await newChat();
        await say(chat.id, 'buyer', '1');
        await say(chat.id, 'buyer', '2');
        await say(chat.id, 'seller', '3');
        expect((await store.getChat(chat.id))?.unread).toEqual({ buyer: 1, seller: 2 });
      });

      it('returns the original with duplicate: true for a clientId the same side already used in that chat', async () => {
        const chat = await newChat();
        const original = await say(chat.id, 'buyer', 'hello', 'c1');
        const before = await store.getChat(chat.id);
        const again = await say(chat.id, 'buyer', 'hello, edited', 'c1');
        expect(again).toEqual({ message: original.message, duplicate: true });
        expect(await store.getChat(chat.id)).toEqual(before);
        expect(await store.listMessages(chat.id, { limit: 10 })).toEqual([original.message]);
      });

      it('does not treat the same clientId from the other side or in another chat as a duplicate', async () => {
        const a = await newChat('10', 'Ann');
        const b = await newChat('10', 'Bob');
        await say(a.id, 'buyer', 'x', 'c1');
        expect((await say(a.id, 'seller', 'y', 'c1')).duplicate).toBe(false);
        expect((await say(b.id, 'buyer', 'z', 'c1')).duplicate).toBe(false);
        expect((await store.getChat(a.id))?.lastMessageId).toBe(2);
      });

      it('stores one message when the same clientId arrives concurrently', async () => {
        const chat = await newChat();
        const results = await Promise.all(Array.from({ length: 5 }, () => say(chat.id, 'buyer', 'once', 'retry')));
        expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
        expect(new Set(results.map((r) => r.message.id))).toEqual(new Set([1]));
        expect(await store.listMessages(chat.id, { limit: 10 })).toHaveLength(1);
      });

      it('keeps dedupe working after many other messages', async () => {
        const chat = await newChat();
        const first = await say(chat.id, 'seller', 'first', 'k0');
        for (let i = 1; i <= 12; i++) await say(chat.id, 'seller', `m${i}`, `k${i}`);
        expect(await say(chat.id, 'seller', 'first', 'k0')).toEqual({ message: first.message, duplicate: true });
      });
    });

    describe('listMessages', () => {
      let chatId: number;
      beforeEach(async () => {
        chatId = (await newChat()).id;
        for (let i = 1; i <= 10; i++) await say(chatId, i % 2 ? 'buyer' : 'seller', `m${i}`);
      });
      const ids = async (options: { limit: number; before?: number; after?: number }) =>
        (await store.listMessages(chatId, options)).map((m) => m.id);

      it('returns the newest `limit` in ascending id order', async () => {
        expect(await ids({ limit: 3 })).toEqual([8, 9, 10]);
        expect(await ids({ limit: 100 })).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        const messages = await store.listMessages(chatId, { limit: 2 });
        expect(messages.map((m) => m.text)).toEqual(['m9', 'm10']);
      });

      it('pages back with before', async () => {
        expect(await ids({ limit: 3, before: 8 })).toEqual([5, 6, 7]);
        expect(await ids({ limit: 3, before: 3 })).toEqual([1, 2]);
        expect(await ids({ limit: 3, before: 1 })).toEqual([]);
        expect(await ids({ limit: 3, before: 50 })).toEqual([8, 9, 10]);
      });

      it('catches up with after (the newest `limit` of the newer ones)', async () => {
        expect(await ids({ limit: 100, after: 7 })).toEqual([8, 9, 10]);
        expect(await ids({ limit: 2, after: 3 })).toEqual([9, 10]);
        expect(await ids({ limit: 5, after: 10 })).toEqual([]);
        expect(await ids({ limit: 5, after: 0 })).toEqual([6, 7, 8, 9, 10]);
      });

      it('combines before and after', async () => {
        expect(await ids({ limit: 100, after: 2, before: 6 })).toEqual([3, 4, 5]);
        expect(await ids({ limit: 2, after: 2, before: 6 })).toEqual([4, 5]);
        expect(await ids({ limit: 100, after: 5, before: 6 })).toEqual([]);
      });

      it('walking back page by page yields every message once', async () => {
        const seen: number[] = [];
        let before: number | undefined;
        for (;;) {
          const page = await ids({ limit: 3, ...(before === undefined ? {} : { before }) });
          if (page.length === 0) break;
          seen.unshift(...page);
          before = page[0];
        }
        expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      });

      it('returns [] for a chat that does not exist', async () => {
        expect(await store.listMessages(987_654, { limit: 10 })).toEqual([]);
      });
    });

    describe('listRecentMessages (optional; every built-in store has it)', () => {
      it('answers for each chat, in the order asked, what listMessages would: newest `limit`, after per chat, [] for none', async () => {
        const recent = store.listRecentMessages?.bind(store);
        if (!recent) return;
        const a = (await newChat('10', 'Ann')).id;
        const b = (await newChat('10', 'Bea')).id;
        const empty = (await newChat('10', 'Cid')).id;
        for (let i = 1; i <= 6; i++) await say(a, i % 2 ? 'buyer' : 'seller', `a${i}`, `ka${i}`);
        for (let i = 1; i <= 3; i++) await say(b, 'seller', `b${i}`);
        const asked = [b, 987_654, a, empty];
        const lists = await recent(asked, { limit: 4 });
        expect(lists).toHaveLength(4);
        for (const [i, chatId] of asked.entries()) expect(lists[i]).toEqual(await store.listMessages(chatId, { limit: 4 }));
        expect(lists[2]!.map((m) => m.id)).toEqual([3, 4, 5, 6]);
        expect(lists[2]![3]).toMatchObject({ chatId: a, from: 'seller', text: 'a6', clientId: 'ka6' });
        expect(lists[0]!.map((m) => m.text)).toEqual(['b1', 'b2', 'b3']);
        expect(lists[1]).toEqual([]);
        expect(lists[3]).toEqual([]);
        // after, per chat: catching up, the newest `limit` of the newer ones.
        const caught = await recent([a, b], { limit: 2, after: new Map([[a, 2]]) });
        expect(caught.map((l) => l.map((m) => m.id))).toEqual([[5, 6], [2, 3]]);
        expect((await recent([a], { limit: 10, after: new Map([[a, 6]]) }))[0]).toEqual([]);
        expect(await recent([], { limit: 3 })).toEqual([]);
        // The same chat twice gets its messages twice, as copies.
        const twice = await recent([b, b], { limit: 1 });
        expect(twice[0]).toEqual(twice[1]);
        twice[0]![0]!.text = 'changed';
        expect((await store.listMessages(b, { limit: 1 }))[0]!.text).toBe('b3');
      });
    });

    describe('markRead', () => {
      let chatId: number;
      beforeEach(async () => {
        chatId = (await newChat()).id;
        // ids: 1 buyer, 2 seller, 3 buyer, 4 buyer, 5 seller
        for (const from of ['buyer', 'seller', 'buyer', 'buyer', 'seller'] as const) await say(chatId, from, from);
      });

      it('moves the marker and recounts unread from the other side after it', async () => {
        expect((await store.getChat(chatId))?.unread).toEqual({ buyer: 2, seller: 3 });
        const chat = await store.markRead(chatId, 'seller', 3);
        expect(chat).toMatchObject({ readIds: { buyer: 0, seller: 3 }, unread: { buyer: 2, seller: 1 } });
        expect(await store.getChat(chatId)).toEqual(chat);
        expect(await store.markRead(chatId, 'buyer', 2)).toMatchObject({ readIds: { buyer: 2, seller: 3 }, unread: { buyer: 1, seller: 1 } });
        expect(await store.markRead(chatId, 'buyer', 5)).toMatchObject({ readIds: { buyer: 5, seller: 3 }, unread: { buyer: 0, seller: 1 } });
      });

      it('never moves the marker down', async () => {
        await store.markRead(chatId, 'seller', 4);
        const chat = await store.markRead(chatId, 'seller', 2);
        expect(chat).toMatchObject({ readIds: { seller: 4 }, unread: { seller: 0 } });
        expect((await store.getChat(chatId))?.readIds.seller).toBe(4);
      });

      it('clamps the marker to the last message', async () => {
        const chat = await store.markRead(chatId, 'buyer', 1000);
        expect(chat).toMatchObject({ readIds: { buyer: 5 }, unread: { buyer: 0 } });
        const next = await say(chatId, 'seller', 'new');
        expect(next.message.id).toBe(6);
        expect((await store.getChat(chatId))?.unread.buyer).toBe(1);
      });

      it('returns null for a chat that does not exist', async () => {
        expect(await store.markRead(987_654, 'buyer', 1)).toBeNull();
      });

      it('keeps unread equal to the messages from the other side above the marker, for any sequence', async () => {
        type Step = { kind: 'say'; from: Side } | { kind: 'read'; side: Side; id: number };
        const step = fc.oneof(
          fc.record({ kind: fc.constant('say' as const), from: fc.constantFrom<Side>('buyer', 'seller') }),
          fc.record({ kind: fc.constant('read' as const), side: fc.constantFrom<Side>('buyer', 'seller'), id: fc.integer({ min: -2, max: 30 }) }),
        );
        await fc.assert(
          fc.asyncProperty(fc.array(step, { maxLength: 25 }), async (steps: Step[]) => {
            const chat = await newChat();
            const from: Side[] = [];
            const read = { buyer: 0, seller: 0 };
            for (const s of steps) {
              if (s.kind === 'say') {
                from.push(s.from);
                await say(chat.id, s.from, 'x');
              } else {
                read[s.side] = Math.max(read[s.side], Math.min(s.id, from.length));
                await store.markRead(chat.id, s.side, s.id);
              }
            }
            const unread = (side: Side) => from.filter((f, i) => f === other(side) && i + 1 > read[side]).length;
            expect(await store.getChat(chat.id)).toMatchObject({
              lastMessageId: from.length,
              readIds: read,
              unread: { buyer: unread('buyer'), seller: unread('seller') },
            });
          }),
          { numRuns: 30 },
        );
      });
    });

    describe('copies, not aliases', () => {
      it('changing a returned buyer, chat or message changes nothing stored', async () => {
        const buyer = await store.createBuyer({ name: 'Ann', tokenHash: 'h-copy' });
        buyer.name = 'Mallory';
        const found = await store.findBuyerByTokenHash('h-copy');
        expect(found?.name).toBe('Ann');
        found!.name = 'Mallory';
        expect((await store.findBuyerByTokenHash('h-copy'))?.name).toBe('Ann');

        const { chat } = await store.openChat({ buyerId: buyer.id, sellerId: '10', chatter: 'Ann' });
        const { message } = await say(chat.id, 'buyer', 'original', 'c1');
        const snapshot = await store.getChat(chat.id);
        for (const c of [chat, snapshot!, (await store.listChats('10', { limit: 1 }))[0]!, (await store.markRead(chat.id, 'seller', 0))!]) {
          c.chatter = 'Mallory';
          c.readIds.seller = 99;
          c.unread.seller = 99;
          c.lastMessageId = 99;
        }
        expect(await store.getChat(chat.id)).toEqual({ ...snapshot, chatter: 'Ann', readIds: { buyer: 0, seller: 0 }, unread: { buyer: 0, seller: 1 }, lastMessageId: 1 });

        message.text = 'changed';
        (await store.listMessages(chat.id, { limit: 1 }))[0]!.text = 'changed';
        (await say(chat.id, 'buyer', 'dup', 'c1')).message.text = 'changed';
        expect((await store.listMessages(chat.id, { limit: 1 }))[0]?.text).toBe('original');
      });

      it('changing the input after the call changes nothing stored', async () => {
        const chat = await newChat();
        const input = { chatId: chat.id, from: 'buyer' as Side, text: 'original', clientDate: 1, clientId: 'c1' };
        await store.appendMessage(input);
        input.text = 'changed';
        expect((await store.listMessages(chat.id, { limit: 1 }))[0]?.text).toBe('original');
      });
    });

    describe('host identities, e-mail and page context', () => {
      const context = { title: 'Blue kettle', url: 'https://shop.example/kettle', price: '€12.50', ref: 'sku-1' };
      const need = <K extends keyof Store>(name: K): NonNullable<Store[K]> => {
        const method = store[name];
        if (typeof method !== 'function') throw new Error(`the store has no ${String(name)}`);
        return (method as (...args: unknown[]) => unknown).bind(store) as NonNullable<Store[K]>;
      };

      it('upsertBuyer creates a buyer once per externalId, also under concurrent calls', async () => {
        const upsert = need('upsertBuyer');
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => upsert({ externalId: 'cust-7', name: 'Ann', tokenHash: `ext-${i}` })),
        );
        expect(new Set(results.map((r) => r.buyer.id)).size).toBe(1);
        expect(results.filter((r) => r.created)).toHaveLength(1);
        expect(results[0]!.buyer).toMatchObject({ name: 'Ann', externalId: 'cust-7' });
        expect(await need('findBuyerByExternalId')('cust-7')).toEqual(results.find((r) => r.created)!.buyer);
      });

      it('findBuyerByExternalId never finds an anonymous buyer, whatever its id', async () => {
        const anonymous = await newBuyer('Ann');
        expect(await need('findBuyerByExternalId')(String(anonymous.id))).toBeNull();
        const { buyer } = await need('upsertBuyer')({ externalId: String(anonymous.id), name: 'Host Ann', tokenHash: 'ext-x' });
        expect(buyer.id).not.toBe(anonymous.id);
        expect(await store.findBuyerByTokenHash(anonymous.tokenHash)).toMatchObject({ id: anonymous.id, name: 'Ann' });
      });

      it("upsertBuyer of a known externalId takes the host's name and e-mail, and renames its open chats", async () => {
        const upsert = need('upsertBuyer');
        const { buyer } = await upsert({ externalId: 'c1', name: 'Ann', email: 'ann@example.com', tokenHash: 'e1' });
        const { chat } = await store.openChat({ buyerId: buyer.id, sellerId: '10', chatter: 'Ann' });
        const again = await upsert({ externalId: 'c1', name: 'Ann Smith', tokenHash: 'e2' });
        expect(again).toEqual({ buyer: { ...buyer, name: 'Ann Smith' }, created: false });
        expect((await store.getChat(chat.id))?.chatter).toBe('Ann Smith');
        const third = await upsert({ externalId: 'c1', name: 'Ann Smith', email: 'ann@work.example', tokenHash: 'e3' });
        expect(third.buyer.email).toBe('ann@work.example');
        expect(await need('getBuyer')(buyer.id)).toEqual(third.buyer);
      });

      it('createBuyer keeps an e-mail and the guest mark; updateBuyer names a guest and renames only open chats', async () => {
        const buyer = await store.createBuyer({ name: 'Guest 1234', tokenHash: 'g1', guest: true, email: 'g@example.com' });
        expect(buyer).toMatchObject({ name: 'Guest 1234', guest: true, email: 'g@example.com' });
        const closed = (await store.openChat({ buyerId: buyer.id, sellerId: '20', chatter: buyer.name })).chat;
        await store.closeChat(closed.id);
        const open = (await store.openChat({ buyerId: buyer.id, sellerId: '10', chatter: buyer.name })).chat;
        const named = await need('updateBuyer')(buyer.id, { name: 'Zoe' });
        expect(named).toEqual({ id: buyer.id, name: 'Zoe', tokenHash: 'g1', createdAt: buyer.createdAt, email: 'g@example.com' });
        expect((await store.getChat(open.id))?.chatter).toBe('Zoe');
        expect((await store.getChat(closed.id))?.chatter).toBe('Guest 1234');
        const mailed = await need('updateBuyer')(buyer.id, { email: 'zoe@example.com' });
        expect(mailed).toMatchObject({ name: 'Zoe', email: 'zoe@example.com' });
        expect(await store.findBuyerByTokenHash('g1')).toEqual(mailed);
        expect(await need('updateBuyer')(buyer.id + 1000, { name: 'Nobody' })).toBeNull();
        expect(await need('getBuyer')(buyer.id + 1000)).toBeNull();
      });

      it('setChatContext keeps the latest context on the chat; getChat and listChats show it', async () => {
        const chat = await newChat();
        expect((await store.getChat(chat.id))?.context).toBeUndefined();
        const set = await need('setChatContext')(chat.id, context);
        expect(set?.context).toEqual(context);
        const next = { title: 'Red kettle', url: 'https://shop.example/red', image: 'https://cdn.example/red.png' };
        await need('setChatContext')(chat.id, next);
        expect((await store.getChat(chat.id))?.context).toEqual(next);
        expect((await store.listChats('10', { limit: 5 }))[0]?.context).toEqual(next);
        expect(await need('setChatContext')(chat.id + 1000, context)).toBeNull();
      });

      it('appendMessage keeps the context each message was written under', async () => {
        const chat = await newChat();
        await store.appendMessage({ chatId: chat.id, from: 'buyer', text: 'Is it in stock?', clientDate: 1, context });
        await store.appendMessage({ chatId: chat.id, from: 'seller', text: 'Yes', clientDate: 2 });
        const other = { title: 'Red kettle', url: 'https://shop.example/red', price: 15 };
        await store.appendMessage({ chatId: chat.id, from: 'buyer', text: 'And this one?', clientDate: 3, context: other });
        const listed = await store.listMessages(chat.id, { limit: 10 });
        expect(listed.map((m) => m.context)).toEqual([context, undefined, other]);
      });
    });

    describe('close', () => {
      it('resolves, and the store refuses work afterwards', async () => {
        const chat = await newChat();
        await say(chat.id, 'buyer', 'hi');
        await store.close();
        await expect(store.getChat(chat.id)).rejects.toThrow();
        await expect(say(chat.id, 'buyer', 'after close')).rejects.toThrow();
      });
    });
  });
}
