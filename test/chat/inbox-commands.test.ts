/** The seller's inbox commands over raw sockets: chats (paging, filters, search), reopen, markUnread, quick replies. */
import { describe, expect, it } from 'vitest';
import { memoryStore } from '../../lib/store/memory-store.js';
import { SELLERS, signInSeller, signUpBuyer, useChatServer } from '../helpers/chat-server.js';
import { TestClient } from '../helpers/client.js';

const chat = useChatServer();
const track = chat.track;

/** A buyer who wrote `text` (a chat shows in the inbox once the buyer wrote). */
async function buyerWho(name: string, text: string) {
  const buyer = track(await signUpBuyer(chat.url, name));
  const sent = await buyer.client.request('message', { text, clientDate: 1, chatId: buyer.chatId });
  expect(sent.error).toBeUndefined();
  return buyer;
}

describe('chats', () => {
  it('pages the seller’s chats newest first with a cursor, each with its newest message; quiet chats are left out', async () => {
    const buyers = [];
    for (let i = 0; i < 5; i++) buyers.push(await buyerWho(`B${i}`, `hello ${i}`));
    track(await signUpBuyer(chat.url, 'Quiet'));
    const seller = track(await signInSeller(chat.url));
    const first = await seller.client.request('chats', { limit: 2 });
    expect(first.error).toBeUndefined();
    expect(first.data.filter).toBe('open');
    expect(first.data.chats.map((c: { chatter: string }) => c.chatter)).toEqual(['B4', 'B3']);
    expect(first.data.chats[0]).toMatchObject({ id: buyers[4]!.chatId, online: true, unread: 1, more: false });
    expect(first.data.chats[0].messages.map((m: { text: string }) => m.text)).toEqual(['hello 4']);
    expect(first.data.cursor).toMatch(/^\d+\.\d+$/);
    const second = await seller.client.request('chats', { limit: 2, cursor: first.data.cursor });
    const third = await seller.client.request('chats', { limit: 2, cursor: second.data.cursor });
    expect(second.data.chats.map((c: { chatter: string }) => c.chatter)).toEqual(['B2', 'B1']);
    expect(third.data.chats.map((c: { chatter: string }) => c.chatter)).toEqual(['B0']);
    expect(third.data.cursor).toBeNull();
  });

  it('filters (unread, waiting, closed) and searches names and message words; echoes filter and query', async () => {
    const ann = await buyerWho('Ann Smith', 'Is the oolong in stock?');
    const bob = await buyerWho('Bob', 'Where is my parcel?');
    const cid = await buyerWho('Cid', 'thanks, bye');
    const seller = track(await signInSeller(chat.url));
    await seller.client.request('message', { text: 'Yes it is', clientDate: 1, chatId: ann.chatId });
    seller.client.send('read', { chatId: bob.chatId, id: 1 });
    await seller.client.next('unread');
    seller.client.send('close', { chatId: cid.chatId });
    await seller.client.next('close');
    const names = async (data: Record<string, unknown>) => {
      const answer = await seller.client.request('chats', data);
      expect(answer.error).toBeUndefined();
      return answer.data.chats.map((c: { chatter: string }) => c.chatter);
    };
    expect(await names({ filter: 'unread' })).toEqual(['Ann Smith']);
    expect(await names({ filter: 'waiting' })).toEqual(['Bob']);
    expect(await names({ filter: 'closed' })).toEqual(['Cid']);
    expect(await names({ query: 'smi' })).toEqual(['Ann Smith']);
    expect(await names({ query: 'PARC' })).toEqual(['Bob']);
    expect(await names({ query: 'bye' })).toEqual([]);
    expect(await names({ query: 'bye', filter: 'closed' })).toEqual(['Cid']);
    const echoed = await seller.client.request('chats', { query: '  oolong ', filter: 'open' });
    expect(echoed.data).toMatchObject({ filter: 'open', query: 'oolong', cursor: null });
  });

  it('refuses bad requests with exact codes, and buyers with FORBIDDEN', async () => {
    const buyer = track(await signUpBuyer(chat.url));
    const seller = track(await signInSeller(chat.url));
    for (const data of [{ filter: 'all' }, { query: 'x'.repeat(101) }, { query: 5 }, { cursor: 'abc' }, { cursor: '1.0' }, { limit: 0 }, { limit: 1.5 }]) {
      expect((await seller.client.request('chats', data)).error, JSON.stringify(data)).toBe('BAD_REQUEST');
    }
    for (const [command, data] of [['chats', {}], ['reopen', { chatId: buyer.chatId }], ['markUnread', { chatId: buyer.chatId }], ['replies', {}], ['saveReply', { text: 'x' }], ['deleteReply', { id: 1 }]] as const) {
      expect((await buyer.client.request(command, data)).error, command).toBe('FORBIDDEN');
    }
  });
});

describe('reopen', () => {
  it('opens a closed chat again for both sides; the seller’s other tab gets the chat push', async () => {
    const buyer = await buyerWho('Ann', 'hello');
    const seller = track(await signInSeller(chat.url));
    const tab2 = track(await signInSeller(chat.url));
    seller.client.send('close', { chatId: buyer.chatId });
    await buyer.client.next('close');
    expect((await buyer.client.request('message', { text: 'still there?', clientDate: 1, chatId: buyer.chatId })).error).toBe('CHAT_CLOSED');
    const answer = await seller.client.request('reopen', { chatId: buyer.chatId });
    expect(answer.error).toBeUndefined();
    expect(answer.data.chat).toMatchObject({ id: buyer.chatId, chatter: 'Ann', unread: 1 });
    expect(answer.data.chat.closed).toBeUndefined();
    expect((await tab2.client.next('chat')).data).toEqual({ id: buyer.chatId, chatter: 'Ann', sellerId: 10 });
    // The buyer's next sign-in is in the reopened chat, which takes messages again.
    const again = track(await TestClient.connect(chat.url));
    const auth = await again.request('auth', { token: buyer.token, sellerId: 10, protocol: 2 });
    expect(auth.data.chatId).toBe(buyer.chatId);
    expect((await again.request('message', { text: 'back', clientDate: 1, chatId: buyer.chatId })).error).toBeUndefined();
  });

  it('reaches the buyer’s open tabs: protocol 2 gets the chat push and writes again at once, protocol 1 nothing new', async () => {
    const buyer = await buyerWho('Ann', 'hello');
    // A tab of the original README's client, in the same chat (signed in before the close: after it, a sign-in starts a new chat).
    const legacy = track(await TestClient.connect(chat.url));
    expect((await legacy.request('auth', { token: buyer.token, sellerId: 10 })).data.chatId).toBe(buyer.chatId);
    const seller = track(await signInSeller(chat.url));
    seller.client.send('close', { chatId: buyer.chatId });
    await buyer.client.next('close');
    expect((await seller.client.request('reopen', { chatId: buyer.chatId })).error).toBeUndefined();
    // The buyer's chatter is the seller's name, as in the buyer's auth answer.
    expect((await buyer.client.next('chat')).data).toEqual({ id: buyer.chatId, chatter: 'Shop Ten', sellerId: 10 });
    expect((await buyer.client.request('message', { text: 'thanks', clientDate: 2, chatId: buyer.chatId })).error).toBeUndefined();
    // A push would have been written to this socket before the buyer's message: none came, only presence.
    expect((await legacy.next('message')).data).toMatchObject({ text: 'thanks', my: true });
    await legacy.barrier(buyer.chatId);
    expect(legacy.frames.filter((f) => f.command !== 'status')).toEqual([]);
    expect((await legacy.request('message', { text: 'me too', clientDate: 3, chatId: buyer.chatId })).error).toBeUndefined();
  });

  it('CHAT_ALREADY_OPEN while the buyer has a newer open chat; CHAT_NOT_FOUND for another seller’s chat', async () => {
    const buyer = await buyerWho('Ann', 'hello');
    const seller = track(await signInSeller(chat.url));
    seller.client.send('close', { chatId: buyer.chatId });
    await buyer.client.next('close');
    const again = track(await TestClient.connect(chat.url));
    const auth = await again.request('auth', { token: buyer.token, sellerId: 10, protocol: 2 });
    expect(auth.data.chatId).not.toBe(buyer.chatId);
    expect((await seller.client.request('reopen', { chatId: buyer.chatId })).error).toBe('CHAT_ALREADY_OPEN');
    const other = Object.keys(SELLERS).find((id) => id !== '10')!;
    const stranger = track(await signInSeller(chat.url, other));
    expect((await stranger.client.request('reopen', { chatId: buyer.chatId })).error).toBe('CHAT_NOT_FOUND');
    expect((await stranger.client.request('markUnread', { chatId: buyer.chatId })).error).toBe('CHAT_NOT_FOUND');
    expect((await seller.client.request('reopen', {})).error).toBe('CHAT_ID_IS_REQUIRED');
  });
});

describe('markUnread', () => {
  it('counts the newest message from the buyer as unread again, on every tab of the seller', async () => {
    const buyer = await buyerWho('Ann', 'one');
    await buyer.client.request('message', { text: 'two', clientDate: 1, chatId: buyer.chatId });
    const seller = track(await signInSeller(chat.url));
    const tab2 = track(await signInSeller(chat.url));
    seller.client.send('read', { chatId: buyer.chatId, id: 2 });
    expect((await tab2.client.next('unread')).data).toEqual({ chatId: buyer.chatId, unread: 0 });
    expect((await seller.client.next('unread')).data).toEqual({ chatId: buyer.chatId, unread: 0 });
    seller.client.send('markUnread', { chatId: buyer.chatId });
    expect((await seller.client.next('unread')).data).toEqual({ chatId: buyer.chatId, unread: 1 });
    expect((await tab2.client.next('unread')).data).toEqual({ chatId: buyer.chatId, unread: 1 });
    const list = await seller.client.request('chats', { filter: 'unread' });
    expect(list.data.chats.map((c: { id: number }) => c.id)).toEqual([buyer.chatId]);
  });
});

describe('quick replies', () => {
  it('are kept per seller: saved, listed, edited, deleted, with exact errors', async () => {
    const seller = track(await signInSeller(chat.url));
    expect((await seller.client.request('replies')).data).toEqual({ replies: [] });
    const saved = await seller.client.request('saveReply', { text: '  Thanks for your order!  ' });
    expect(saved.data.replies).toEqual([{ id: expect.any(Number), text: 'Thanks for your order!' }]);
    const id = saved.data.replies[0].id as number;
    // Another device of the same seller sees them.
    const phone = track(await signInSeller(chat.url));
    expect((await phone.client.request('replies')).data.replies).toEqual([{ id, text: 'Thanks for your order!' }]);
    expect((await phone.client.request('saveReply', { id, text: 'Thank you!' })).data.replies).toEqual([{ id, text: 'Thank you!' }]);
    expect((await seller.client.request('saveReply', { text: '   ' })).error).toBe('TEXT_IS_REQUIRED');
    expect((await seller.client.request('saveReply', {})).error).toBe('TEXT_IS_REQUIRED');
    expect((await seller.client.request('saveReply', { text: 'x'.repeat(1001) })).error).toBe('TEXT_TOO_LONG');
    expect((await seller.client.request('saveReply', { id: 999, text: 'x' })).error).toBe('REPLY_NOT_FOUND');
    expect((await seller.client.request('deleteReply', { id: 999 })).error).toBe('REPLY_NOT_FOUND');
    expect((await seller.client.request('deleteReply', {})).error).toBe('BAD_REQUEST');
    const other = Object.keys(SELLERS).find((s) => s !== '10')!;
    const stranger = track(await signInSeller(chat.url, other));
    expect((await stranger.client.request('deleteReply', { id })).error).toBe('REPLY_NOT_FOUND');
    expect((await seller.client.request('deleteReply', { id })).data).toEqual({ replies: [] });
  });

  it('LIMIT_REACHED past 100 replies', async () => {
    // Filled in the store directly: a hundred frames in a row would meet the rate limit first.
    const store = memoryStore();
    for (let i = 0; i < 100; i++) await store.saveReply!('10', { text: `reply ${i}` });
    await chat.restart({ store });
    const seller = track(await signInSeller(chat.url));
    expect((await seller.client.request('replies')).data.replies).toHaveLength(100);
    expect((await seller.client.request('saveReply', { text: 'one more' })).error).toBe('LIMIT_REACHED');
  });
});

describe('protocol 1', () => {
  it('a protocol-1 seller may use the inbox commands; own messages come without clientDate/clientId', async () => {
    const buyer = await buyerWho('Ann', 'hello');
    const seller = track(await TestClient.connect(chat.url));
    await seller.request('auth', { id: 10, token: SELLERS['10']!.token });
    const sent = await seller.request('message', { text: 'answer', clientDate: 5, chatId: buyer.chatId, clientId: 'c1' });
    expect(sent.data.clientId).toBe('c1');
    const list = await seller.request('chats', {});
    expect(list.data.chats[0].messages).toEqual([{ id: 2, chatId: buyer.chatId, text: 'answer', date: expect.any(Number), my: true }]);
  });
});

describe('a store without the inbox methods', () => {
  it('answers the inbox commands UNKNOWN_COMMAND', async () => {
    const { findChats: _f, reopenChat: _r, markUnread: _m, listReplies: _l, saveReply: _s, deleteReply: _d, ...plain } = memoryStore();
    await chat.restart({ store: plain });
    const seller = track(await signInSeller(chat.url));
    for (const command of ['chats', 'replies']) expect((await seller.client.request(command, {})).error, command).toBe('UNKNOWN_COMMAND');
    expect((await seller.client.request('reopen', { chatId: 1 })).error).toBe('UNKNOWN_COMMAND');
  });
});
