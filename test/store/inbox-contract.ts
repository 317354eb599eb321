/**
 * The Store contract for the seller's inbox (the optional methods of lib/store/store.ts: findChats,
 * reopenChat, markUnread and the quick replies), checked against one store. Each store's test file
 * calls inboxContract with the same factory as storeContract.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChatOpenError, MAX_REPLIES, ReplyLimitError, type Chat, type Side, type Store } from '../../lib/store/store.js';
import type { MakeStore } from './contract.js';

type Inbox = Required<Pick<Store, 'findChats' | 'reopenChat' | 'markUnread' | 'listReplies' | 'saveReply' | 'deleteReply'>>;

/** Resolves once Date.now() has moved on: activity order is by timestamp. */
async function nextMillisecond(): Promise<void> {
  const start = Date.now();
  while (Date.now() <= start) await new Promise((resolve) => setImmediate(resolve));
}

export function inboxContract(name: string, makeStore: MakeStore): void {
  describe(`Store contract, inbox: ${name}`, () => {
    let store: Store & Inbox;
    let cleanup: () => Promise<void>;
    let tokens = 0;

    beforeEach(async () => {
      const made = await makeStore();
      store = made.store as Store & Inbox;
      cleanup = made.cleanup;
    });
    afterEach(async () => {
      await cleanup();
    });

    async function newChat(chatter: string, sellerId = '10', buyerId?: number): Promise<Chat> {
      const buyer = buyerId ?? (await store.createBuyer({ name: chatter, tokenHash: `inbox-${++tokens}` })).id;
      return (await store.openChat({ buyerId: buyer, sellerId, chatter })).chat;
    }
    const say = async (chatId: number, from: Side, text: string) => {
      await nextMillisecond();
      return store.appendMessage({ chatId, from, text, clientDate: 0 });
    };
    const ids = (page: { chats: Chat[] }) => page.chats.map((c) => c.id);
    const find = (options: Partial<Parameters<Inbox['findChats']>[1]> = {}, sellerId = '10') =>
      store.findChats(sellerId, { filter: 'open', limit: 50, ...options });

    it('has every inbox method', () => {
      for (const method of ['findChats', 'reopenChat', 'markUnread', 'listReplies', 'saveReply', 'deleteReply'] as const) {
        expect(typeof store[method]).toBe('function');
      }
    });

    it('findChats lists chats with messages only, newest activity first, the seller’s own only', async () => {
      const quiet = await newChat('Quiet');
      const a = await newChat('Ann');
      const b = await newChat('Bob');
      const other = await newChat('Other', '11');
      await say(a.id, 'buyer', 'hello');
      await say(b.id, 'buyer', 'hi');
      await say(other.id, 'buyer', 'elsewhere');
      await say(a.id, 'seller', 'answer');
      expect(ids(await find())).toEqual([a.id, b.id]);
      expect(ids(await find())).not.toContain(quiet.id);
      expect(ids(await find({}, '11'))).toEqual([other.id]);
      expect((await find()).next).toBeNull();
    });

    it('findChats pages with a cursor: every chat once, in order, then next is null', async () => {
      const chats: Chat[] = [];
      for (let i = 0; i < 7; i++) {
        const chat = await newChat(`Buyer ${i}`);
        await say(chat.id, 'buyer', `question ${i}`);
        chats.push(chat);
      }
      const seen: number[] = [];
      let page = await find({ limit: 3 });
      const pages = [page];
      while (page.next) pages.push((page = await find({ limit: 3, after: page.next })));
      for (const p of pages) seen.push(...ids(p));
      expect(seen).toEqual(chats.map((c) => c.id).reverse());
      expect(pages.map((p) => p.chats.length)).toEqual([3, 3, 1]);
    });

    it('findChats filters: unread (for the seller), waiting (the buyer wrote last), closed (the archive)', async () => {
      const read = await newChat('Read');
      const waiting = await newChat('Waiting');
      const answered = await newChat('Answered');
      const closed = await newChat('Closed');
      await say(read.id, 'buyer', 'one');
      const last = await say(read.id, 'buyer', 'two');
      await store.markRead(read.id, 'seller', last.message.id);
      await say(waiting.id, 'buyer', 'anyone?');
      await say(answered.id, 'buyer', 'q');
      await say(answered.id, 'seller', 'a');
      await say(closed.id, 'buyer', 'bye');
      await store.closeChat(closed.id);
      expect(new Set(ids(await find({ filter: 'unread' })))).toEqual(new Set([waiting.id, answered.id]));
      expect(ids(await find({ filter: 'waiting' }))).toEqual([waiting.id, read.id]);
      expect(ids(await find({ filter: 'closed' }))).toEqual([closed.id]);
      expect(ids(await find())).not.toContain(closed.id);
    });

    it('findChats searches the buyer’s name (any part, any case) and the words of any message (as starts of words)', async () => {
      const olga = await newChat('Olga Petrova');
      const tea = await newChat('Sam');
      const none = await newChat('Nobody');
      await say(olga.id, 'buyer', 'hello');
      await say(tea.id, 'buyer', 'Is the Darjeeling tea in stock?');
      await say(tea.id, 'seller', 'Yes, we ship tomorrow.');
      await say(tea.id, 'buyer', 'thanks');
      await say(none.id, 'buyer', 'nothing here');
      expect(ids(await find({ query: 'petro' }))).toEqual([olga.id]);
      expect(ids(await find({ query: 'OLGA' }))).toEqual([olga.id]);
      expect(ids(await find({ query: 'darjee' }))).toEqual([tea.id]);
      expect(ids(await find({ query: 'ship tomorrow' }))).toEqual([tea.id]);
      expect(ids(await find({ query: 'stock tomorrow' }))).toEqual([]);
      expect(ids(await find({ query: 'arjeeling' }))).toEqual([]);
      expect(ids(await find({ query: 'darjeeling', filter: 'closed' }))).toEqual([]);
      expect(ids(await find({ query: '50% off_' }))).toEqual([]);
    });

    it('reopenChat opens a closed chat again, and refuses while the buyer has another open chat', async () => {
      const first = await newChat('Ann');
      await say(first.id, 'buyer', 'one');
      await store.closeChat(first.id);
      const reopened = await store.reopenChat(first.id);
      expect(reopened?.closedAt).toBeUndefined();
      expect((await store.appendMessage({ chatId: first.id, from: 'buyer', text: 'again', clientDate: 0 })).message.id).toBe(2);
      // openChat finds the reopened chat: it is the buyer's chat with this seller again.
      expect((await store.openChat({ buyerId: first.buyerId, sellerId: '10', chatter: 'Ann' })).chat.id).toBe(first.id);
      // An open chat is returned as it is.
      expect((await store.reopenChat(first.id))?.id).toBe(first.id);
      await store.closeChat(first.id);
      const second = (await store.openChat({ buyerId: first.buyerId, sellerId: '10', chatter: 'Ann' })).chat;
      expect(second.id).not.toBe(first.id);
      await expect(store.reopenChat(first.id)).rejects.toBeInstanceOf(ChatOpenError);
      expect((await store.getChat(first.id))?.closedAt).toBeDefined();
      expect(await store.reopenChat(987_654)).toBeNull();
    });

    it('markUnread moves the read marker back before the newest message from the other side', async () => {
      const chat = await newChat('Ann');
      await say(chat.id, 'buyer', 'q1');
      const q2 = await say(chat.id, 'buyer', 'q2');
      await say(chat.id, 'seller', 'a1');
      await store.markRead(chat.id, 'seller', q2.message.id);
      const marked = await store.markUnread(chat.id, 'seller');
      expect(marked?.readIds.seller).toBe(q2.message.id - 1);
      expect(marked?.unread.seller).toBe(1);
      expect((await store.getChat(chat.id))?.unread.seller).toBe(1);
      // Already unread: unchanged; and a read moves it on again.
      expect((await store.markUnread(chat.id, 'seller'))?.readIds.seller).toBe(q2.message.id - 1);
      expect((await store.markRead(chat.id, 'seller', q2.message.id))?.unread.seller).toBe(0);
      // Nothing from the other side: unchanged.
      expect((await store.markUnread(chat.id, 'buyer'))?.readIds.buyer).toBe(0);
      expect(await store.markUnread(987_654, 'seller')).toBeNull();
    });

    it('quick replies: saved per seller, edited, deleted, oldest first, at most MAX_REPLIES', async () => {
      expect(await store.listReplies('10')).toEqual([]);
      const a = await store.saveReply('10', { text: 'Thanks for your order!' });
      const b = await store.saveReply('10', { text: 'It ships tomorrow.' });
      await store.saveReply('11', { text: 'Another seller' });
      expect(await store.listReplies('10')).toEqual([a, b]);
      expect(await store.saveReply('10', { id: a!.id, text: 'Thank you!' })).toEqual({ id: a!.id, text: 'Thank you!' });
      expect(await store.saveReply('11', { id: a!.id, text: 'not mine' })).toBeNull();
      expect(await store.deleteReply('11', b!.id)).toBe(false);
      expect(await store.deleteReply('10', b!.id)).toBe(true);
      expect(await store.listReplies('10')).toEqual([{ id: a!.id, text: 'Thank you!' }]);
      expect((await store.listReplies('11')).map((r) => r.text)).toEqual(['Another seller']);
      for (let i = 1; i < MAX_REPLIES; i++) await store.saveReply('12', { text: `r${i}` });
      await store.saveReply('12', { text: 'the last one' });
      await expect(store.saveReply('12', { text: 'one too many' })).rejects.toBeInstanceOf(ReplyLimitError);
      expect(await store.listReplies('12')).toHaveLength(MAX_REPLIES);
    });
  });
}
