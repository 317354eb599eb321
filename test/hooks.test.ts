/** Host hooks and events: beforeMessage, and chat.on('message' | 'chat' | 'status'). */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { MessageRejected } from '../lib/wire/index.js';
import { TestClient } from './helpers/client.js';
import { signInSeller, signUpBuyer, startChat } from './helpers/chat-server.js';
import { useTeardown } from './helpers/teardown.js';

const scene = useTeardown();

describe('beforeMessage', () => {
  it('stores the text the hook returns, masks included, and tells the hook who wrote what', async () => {
    const seen: unknown[] = [];
    scene.running = await startChat({
      beforeMessage: (ctx) => {
        seen.push(ctx);
        return ctx.text.replace(/\+?\d[\d\s-]{7,}\d/g, '[phone hidden]');
      },
    });
    const buyer = await signUpBuyer(scene.running.url, 'Alice');
    scene.clients.push(buyer.client);
    const sent = await buyer.client.request('message', { text: 'call me at +49 151 2345 6789', clientDate: 1, chatId: buyer.chatId });
    expect(sent.data.text).toBe('call me at [phone hidden]');
    expect(seen).toEqual([{ text: 'call me at +49 151 2345 6789', chatId: buyer.chatId, sellerId: 10, from: 'buyer', name: 'Alice' }]);
    const seller = await signInSeller(scene.running.url);
    scene.clients.push(seller.client);
    expect(seller.auth.data.chats[0].messages[0].text).toBe('call me at [phone hidden]');
  });

  it("refuses with MESSAGE_REJECTED and the host's reason, storing nothing", async () => {
    scene.running = await startChat({
      beforeMessage: ({ text }) => {
        if (text.includes('casino')) throw new MessageRejected('SPAM');
        if (text.includes('nope')) return null;
        return text;
      },
    });
    const buyer = await signUpBuyer(scene.running.url);
    scene.clients.push(buyer.client);
    expect(await buyer.client.request('message', { text: 'best casino', clientDate: 1, chatId: buyer.chatId })).toEqual({
      command: 'message', error: 'MESSAGE_REJECTED', data: { reason: 'SPAM' },
    });
    expect(await buyer.client.request('message', { text: 'nope', clientDate: 1, chatId: buyer.chatId })).toEqual({
      command: 'message', error: 'MESSAGE_REJECTED', data: { reason: 'REJECTED' },
    });
    const ok = await buyer.client.request('message', { text: 'fine', clientDate: 1, chatId: buyer.chatId });
    expect(ok.data.id).toBe(1);
  });

  it('answers INTERNAL_ERROR, stores nothing and keeps serving when the hook crashes', async () => {
    scene.running = await startChat({
      beforeMessage: () => {
        throw new Error('hook bug');
      },
    });
    const buyer = await signUpBuyer(scene.running.url);
    scene.clients.push(buyer.client);
    expect(await buyer.client.request('message', { text: 'x', clientDate: 1, chatId: buyer.chatId })).toEqual({ command: 'message', error: 'INTERNAL_ERROR' });
    const history = await buyer.client.request('history', { chatId: buyer.chatId });
    expect(history.data.messages).toEqual([]);
  });
});

describe('host events', () => {
  it("emits 'chat', 'status' and 'message' on the plugin", async () => {
    scene.running = await startChat();
    const chatEvent = once(scene.running.chat, 'chat');
    const statusEvent = once(scene.running.chat, 'status');
    const buyer = await signUpBuyer(scene.running.url, 'Eve');
    scene.clients.push(buyer.client);
    expect((await chatEvent)[0]).toEqual({ id: buyer.chatId, chatter: 'Eve', sellerId: 10 });
    expect((await statusEvent)[0]).toEqual({ side: 'buyer', sellerId: 10, chatId: buyer.chatId, online: true });
    const messageEvent = once(scene.running.chat, 'message');
    await buyer.client.request('message', { text: 'hello host', clientDate: 7, chatId: buyer.chatId });
    expect((await messageEvent)[0]).toMatchObject({ id: 1, chatId: buyer.chatId, from: 'buyer', text: 'hello host', sellerId: 10 });
  });
});

describe('onUnread', () => {
  function collector() {
    const notices: any[] = [];
    let wake: (() => void) | undefined;
    return {
      notices,
      hook: (notice: unknown) => {
        notices.push(notice);
        wake?.();
      },
      next: () => new Promise<void>((resolve) => (wake = resolve)),
    };
  }

  it('batches what an offline seller has not read into one call per quiet period', async () => {
    const c = collector();
    scene.running = await startChat({ onUnread: c.hook, unreadQuietPeriod: 100 });
    const buyer = await signUpBuyer(scene.running.url, 'Night owl');
    scene.clients.push(buyer.client);
    const first = c.next();
    for (const text of ['one', 'two', 'three']) await buyer.client.request('message', { text, clientDate: 1, chatId: buyer.chatId });
    await first;
    expect(c.notices).toHaveLength(1);
    expect(c.notices[0]).toMatchObject({ side: 'seller', sellerId: 10 });
    expect(c.notices[0].messages.map((m: any) => m.text)).toEqual(['one', 'two', 'three']);
  });

  it('tells about an offline buyer per chat, and not about what the buyer already read', async () => {
    const c = collector();
    scene.running = await startChat({ onUnread: c.hook, unreadQuietPeriod: 100 });
    const buyer = await signUpBuyer(scene.running.url, 'Gone');
    const seller = await signInSeller(scene.running.url);
    scene.clients.push(seller.client);
    await buyer.client.request('message', { text: 'hi', clientDate: 1, chatId: buyer.chatId });
    await seller.client.next('message');
    const early = await seller.client.request('message', { text: 'seen already', clientDate: 1, chatId: buyer.chatId });
    await buyer.client.next('message');
    buyer.client.send('read', { chatId: buyer.chatId, id: early.data.id });
    await buyer.client.next('unread');
    buyer.client.close();
    await seller.client.next('status');
    const called = c.next();
    await seller.client.request('message', { text: 'are you there?', clientDate: 2, chatId: buyer.chatId });
    await called;
    const buyerNotice = c.notices.find((n) => n.side === 'buyer');
    expect(buyerNotice).toMatchObject({ side: 'buyer', sellerId: 10, chatId: buyer.chatId });
    expect(buyerNotice.messages.map((m: any) => m.text)).toEqual(['are you there?']);
  });
});
