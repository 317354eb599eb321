/**
 * lib/chat/commands.ts: the dispatch of a signed-in socket's commands (which answer, which push, which
 * side may), the unknown command, the chat a frame may name, and each command's own limits:
 * maxTextLength in characters, requireOnline, beforeMessage's refusals, the history page cap,
 * a closed chat.
 */
import { describe, expect, it } from 'vitest';
import type { AhChatOptions } from '../../lib/options.js';
import { signInSeller, signUpBuyer, startChat } from '../helpers/chat-server.js';
import { useTeardown } from '../helpers/teardown.js';

const scene = useTeardown();

/** A server with these options, a buyer (Ann, seller 10) and the seller 10 signed in. */
async function start(options: Partial<AhChatOptions> = {}) {
  scene.running = await startChat(options);
  const buyer = await signUpBuyer(scene.running.url, 'Ann');
  const seller = await signInSeller(scene.running.url);
  scene.clients.push(buyer.client, seller.client);
  return { buyer: buyer.client, chatId: buyer.chatId, seller: seller.client };
}

describe('commands: dispatch', () => {
  it('answers message and history to the asking socket; typing, read and close answer nothing there and push to whom they concern', async () => {
    const { buyer, chatId, seller } = await start();
    expect((await buyer.request('message', { chatId, text: 'one', clientDate: 1 })).data).toMatchObject({ id: 1, text: 'one', my: true });
    expect((await buyer.request('history', { chatId })).data).toMatchObject({ chatId, more: false, messages: [{ id: 1, text: 'one', my: true }] });
    await seller.next('message');

    buyer.send('typing', { chatId });
    expect((await seller.next('typing')).data).toEqual({ chatId });
    seller.send('read', { chatId, id: 1 });
    expect((await buyer.next('read')).data).toEqual({ chatId, id: 1 });
    seller.send('close', { chatId });
    expect((await buyer.next('close')).data).toEqual({ chatId });
    // None of typing, read or close answered the socket that sent it under its own name.
    await buyer.barrier(chatId);
    expect([...buyer.buffered('typing'), ...buyer.buffered('close')]).toEqual([]);
    expect(seller.buffered('read')).toEqual([]);
  });

  it('answers a command it does not know UNKNOWN_COMMAND under its name, and keeps serving the socket', async () => {
    const { buyer, chatId } = await start();
    expect(await buyer.request('delete', { chatId })).toEqual({ command: 'delete', error: 'UNKNOWN_COMMAND' });
    expect(await buyer.request('Message', { chatId, text: 'x', clientDate: 1 })).toEqual({ command: 'Message', error: 'UNKNOWN_COMMAND' });
    expect((await buyer.request('message', { chatId, text: 'still here', clientDate: 1 })).error).toBeUndefined();
  });

  it('lets each side only its own commands: FORBIDDEN for a buyer closing or using the inbox, a seller giving a profile or a page context', async () => {
    const { buyer, chatId, seller } = await start();
    expect(await buyer.request('close', { chatId })).toEqual({ command: 'close', error: 'FORBIDDEN' });
    expect(await buyer.request('chats', {})).toEqual({ command: 'chats', error: 'FORBIDDEN' });
    expect(await buyer.request('replies', {})).toEqual({ command: 'replies', error: 'FORBIDDEN' });
    expect(await seller.request('profile', { name: 'Shop' })).toEqual({ command: 'profile', error: 'FORBIDDEN' });
    expect(await seller.request('context', { chatId, context: { title: 'x', url: 'https://shop.example/' } })).toEqual({ command: 'context', error: 'FORBIDDEN' });
    // The seller's inbox is the seller's: it lists the chat once the buyer wrote in it.
    await buyer.request('message', { chatId, text: 'hello', clientDate: 1 });
    expect((await seller.request('chats', {})).data.chats).toMatchObject([{ id: chatId }]);
  });

  it('answers a chat the socket may not use exactly like a missing one (CHAT_NOT_FOUND), for either side', async () => {
    const { buyer, chatId, seller } = await start();
    const other = await signUpBuyer(scene.running.url, 'Zed', 20);
    scene.clients.push(other.client);
    for (const [client, foreign] of [[buyer, other.chatId], [seller, other.chatId], [other.client, chatId], [buyer, 9999]] as const) {
      expect(await client.request('message', { chatId: foreign, text: 'x', clientDate: 1 })).toEqual({ command: 'message', error: 'CHAT_NOT_FOUND' });
      expect(await client.request('history', { chatId: foreign })).toEqual({ command: 'history', error: 'CHAT_NOT_FOUND' });
    }
  });
});

describe('commands: message', () => {
  it('counts maxTextLength in characters, not UTF-16 units: TEXT_TOO_LONG one over, with the clientId', async () => {
    const { buyer, chatId } = await start({ maxTextLength: 5 });
    expect((await buyer.request('message', { chatId, text: '😀😀😀😀😀', clientDate: 1 })).error).toBeUndefined();
    expect(await buyer.request('message', { chatId, text: '😀😀😀😀😀😀', clientDate: 1, clientId: 'long' })).toEqual({
      command: 'message',
      error: 'TEXT_TOO_LONG',
      data: { clientId: 'long' },
    });
  });

  it('with requireOnline, refuses USER_IS_NOT_ONLINE while the other side is away and stores nothing', async () => {
    scene.running = await startChat({ requireOnline: true });
    const { client: buyer, chatId } = await signUpBuyer(scene.running.url, 'Ann');
    scene.clients.push(buyer);
    expect(await buyer.request('message', { chatId, text: 'anyone?', clientDate: 1 })).toEqual({ command: 'message', error: 'USER_IS_NOT_ONLINE' });
    expect((await buyer.request('history', { chatId })).data.messages).toEqual([]);
    const { client: seller } = await signInSeller(scene.running.url);
    scene.clients.push(seller);
    await buyer.next('status');
    expect((await buyer.request('message', { chatId, text: 'hello', clientDate: 1 })).data).toMatchObject({ id: 1 });
  });

  it('beforeMessage: null is MESSAGE_REJECTED (REJECTED), a hook that returns no text is INTERNAL_ERROR, and neither stores', async () => {
    const { buyer, chatId } = await start({ beforeMessage: ({ text }) => (text === 'no' ? null : text === 'empty' ? '  ' : text) });
    expect(await buyer.request('message', { chatId, text: 'no', clientDate: 1 })).toEqual({ command: 'message', error: 'MESSAGE_REJECTED', data: { reason: 'REJECTED' } });
    expect(await buyer.request('message', { chatId, text: 'empty', clientDate: 1 })).toEqual({ command: 'message', error: 'INTERNAL_ERROR' });
    expect((await buyer.request('history', { chatId })).data.messages).toEqual([]);
  });

  it('refuses a message to a chat the seller closed with CHAT_CLOSED', async () => {
    const { buyer, chatId, seller } = await start();
    seller.send('close', { chatId });
    await buyer.next('close');
    expect(await buyer.request('message', { chatId, text: 'wait', clientDate: 1, clientId: 'late' })).toEqual({
      command: 'message',
      error: 'CHAT_CLOSED',
      data: { clientId: 'late' },
    });
  });
});

describe('commands: history', () => {
  it('pages at most 200 messages whatever the limit asked, oldest first, flagging more; historyLimit is the default page', async () => {
    const { buyer, chatId } = await start({ historyLimit: 3 });
    for (let i = 1; i <= 205; i++) await scene.running.chat.store.appendMessage({ chatId, from: 'seller', text: `m${i}`, clientDate: i });
    const page = (await buyer.request('history', { chatId, limit: 500 })).data;
    expect(page.messages).toHaveLength(200);
    expect(page.messages[0]).toMatchObject({ id: 6, my: false });
    expect(page.messages.at(-1)).toMatchObject({ id: 205 });
    expect(page.more).toBe(true);
    const byDefault = (await buyer.request('history', { chatId, before: 4 })).data;
    expect(byDefault.messages.map((m: { id: number }) => m.id)).toEqual([1, 2, 3]);
    expect(byDefault.more).toBe(false);
  });

  it('gives a protocol-2 socket its own messages with clientDate and clientId', async () => {
    const { buyer, chatId } = await start();
    await buyer.request('message', { chatId, text: 'mine', clientDate: 42, clientId: 'c-42' });
    expect((await buyer.request('history', { chatId })).data.messages[0]).toMatchObject({ clientDate: 42, clientId: 'c-42', my: true });
  });
});
