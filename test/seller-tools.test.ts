/** typing, read receipts with unread counts, and closing chats (protocol extensions). */
import { describe, expect, it } from 'vitest';
import { TestClient } from './helpers/client.js';
import { signInSeller, signUpBuyer, useChatServer } from './helpers/chat-server.js';

const chat = useChatServer();
const track = chat.track;

describe('typing', () => {
  it('reaches the other side only, and is not stored', async () => {
    const buyer = track(await signUpBuyer(chat.url));
    const seller = track(await signInSeller(chat.url));
    const sellerTab2 = track(await signInSeller(chat.url));
    buyer.client.send('typing', { chatId: buyer.chatId });
    expect((await seller.client.next('typing')).data).toEqual({ chatId: buyer.chatId });
    expect((await sellerTab2.client.next('typing')).data).toEqual({ chatId: buyer.chatId });
    seller.client.send('typing', { chatId: buyer.chatId });
    expect((await buyer.client.next('typing')).data).toEqual({ chatId: buyer.chatId });
    await sellerTab2.client.barrier(buyer.chatId);
    expect(sellerTab2.client.buffered('typing')).toEqual([]);
    const history = await buyer.client.request('history', { chatId: buyer.chatId });
    expect(history.data.messages).toEqual([]);
  });
});

describe('read receipts and unread counts', () => {
  it('counts unread per side, survives a reload, and syncs across tabs', async () => {
    const buyer = track(await signUpBuyer(chat.url));
    for (const text of ['a', 'b', 'c']) await buyer.client.request('message', { text, clientDate: 1, chatId: buyer.chatId });
    const seller = track(await signInSeller(chat.url));
    expect(seller.auth.data.chats[0].unread).toBe(3);
    const tab2 = track(await signInSeller(chat.url));

    seller.client.send('read', { chatId: buyer.chatId, id: 2 });
    expect((await buyer.client.next('read')).data).toEqual({ chatId: buyer.chatId, id: 2 });
    expect((await seller.client.next('unread')).data).toEqual({ chatId: buyer.chatId, unread: 1 });
    expect((await tab2.client.next('unread')).data).toEqual({ chatId: buyer.chatId, unread: 1 });

    // A marker never moves back.
    seller.client.send('read', { chatId: buyer.chatId, id: 1 });
    expect((await seller.client.next('unread')).data.unread).toBe(1);

    const reloaded = track(await signInSeller(chat.url));
    expect(reloaded.auth.data.chats[0]).toMatchObject({ unread: 1 });
    const buyerAgain = track({ client: await TestClient.connect(chat.url) });
    const auth = await buyerAgain.client.request('auth', { token: buyer.token, sellerId: 10, protocol: 2 });
    expect(auth.data.chats[0].readId).toBe(2);
  });
});

describe('closing chats', () => {
  it('lets the seller close a chat: both sides told, no more messages, gone from the list, new chat on return', async () => {
    const buyer = track(await signUpBuyer(chat.url));
    const seller = track(await signInSeller(chat.url));
    await buyer.client.request('message', { text: 'thanks, bye', clientDate: 1, chatId: buyer.chatId });
    expect(await buyer.client.request('close', { chatId: buyer.chatId })).toEqual({ command: 'close', error: 'FORBIDDEN' });

    seller.client.send('close', { chatId: buyer.chatId });
    expect((await buyer.client.next('close')).data).toEqual({ chatId: buyer.chatId });
    expect((await seller.client.next('close')).data).toEqual({ chatId: buyer.chatId });
    expect(await buyer.client.request('message', { text: 'wait', clientDate: 1, chatId: buyer.chatId })).toEqual({
      command: 'message', error: 'CHAT_CLOSED',
    });
    // Closed chats keep their history.
    expect((await seller.client.request('history', { chatId: buyer.chatId })).data.messages).toHaveLength(1);

    const sellerAgain = track(await signInSeller(chat.url));
    expect(sellerAgain.auth.data.chats).toEqual([]);
    const back = track({ client: await TestClient.connect(chat.url) });
    const auth = await back.client.request('auth', { token: buyer.token, sellerId: 10, protocol: 2 });
    expect(auth.data.chatId).not.toBe(buyer.chatId);
    expect(auth.data.chats[0].messages).toEqual([]);
    expect((await seller.client.next('chat')).data.id).toBe(auth.data.chatId);
  });
});

describe('closing races', () => {
  it('refuses with CHAT_CLOSED a message that was on its way when the seller closed the chat', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inHook = new Promise<void>((resolve) => (entered = resolve));
    await chat.restart({
      beforeMessage: async ({ text }) => {
        entered();
        await held;
        return text;
      },
    });
    const buyer = track(await signUpBuyer(chat.url));
    const seller = track(await signInSeller(chat.url));
    buyer.client.send('message', { text: 'last words', clientDate: 1, chatId: buyer.chatId, clientId: 'late' });
    await inHook;
    seller.client.send('close', { chatId: buyer.chatId });
    await seller.client.next('close');
    release();
    expect(await buyer.client.next('message')).toEqual({ command: 'message', error: 'CHAT_CLOSED', data: { clientId: 'late' } });
    expect((await seller.client.request('history', { chatId: buyer.chatId })).data.messages).toEqual([]);
  });
});
