/**
 * Everything issue-16 added is off without its option (and without the widget sending it): the
 * original flows answer exactly what they answered before, field for field.
 */
import { describe, expect, it } from 'vitest';
import { PROTOCOL, SELLERS, useChatServer } from './helpers/chat-server.js';
import { TestClient } from './helpers/client.js';

describe('with none of the identity, context, e-mail or guest options', () => {
  const server = useChatServer();
  const connect = async () => server.track(await TestClient.connect(server.url));

  it('keeps the nameless and seller-less auth errors', async () => {
    const client = await connect();
    expect(await client.request('auth', {})).toEqual({ command: 'auth', error: 'SELLER_ID_IS_REQUIRED' });
    expect(await client.request('auth', { sellerId: 10 })).toEqual({ command: 'auth', error: 'NAME_IS_REQUIRED' });
  });

  it.each([1, PROTOCOL])('answers sign-up, seller list and pushes with the fields they always had (protocol %i)', async (protocol) => {
    const asked = protocol === 1 ? {} : { protocol };
    const seller = await connect();
    const list = await seller.request('auth', { id: 10, token: SELLERS['10']!.token, ...asked });
    // (Protocol 2 always says its version and the server's limits.)
    expect(Object.keys(list.data).sort()).toEqual(protocol === 1 ? ['chats', 'name'] : ['chats', 'limits', 'name', 'protocol']);

    const buyer = await connect();
    const auth = await buyer.request('auth', { sellerId: 10, name: 'Ann', ...asked });
    expect(Object.keys(auth.data).sort()).toEqual(['chatId', 'chats', 'name', 'token', ...(protocol === 1 ? [] : ['limits', 'protocol'])].sort());
    const chat = protocol === 1 ? auth.data.chats[auth.data.chatId] : auth.data.chats[0];
    expect(Object.keys(chat).sort()).toEqual(['chatter', 'id', 'messages', 'more', 'online', 'readId', 'sellerId', 'unread']);
    expect((await seller.next('chat')).data).toEqual({ id: auth.data.chatId, chatter: 'Ann', sellerId: 10 });

    await buyer.request('message', { chatId: auth.data.chatId, text: 'hi', clientDate: 1 });
    expect(Object.keys((await seller.next('message')).data).sort()).toEqual(['chatId', 'date', 'id', 'my', 'text']);
    const relisted = await (await connect()).request('auth', { id: 10, token: SELLERS['10']!.token, ...asked });
    const listed = protocol === 1 ? relisted.data.chats[auth.data.chatId] : relisted.data.chats[0];
    expect(Object.keys(listed).sort()).toEqual(['chatter', 'id', 'messages', 'more', 'online', 'readId', 'sellerId', 'unread']);
    expect(Object.keys(listed.messages[0]).sort()).toEqual(['chatId', 'date', 'id', 'my', 'text']);
    // Nothing but the pushes the seed already had.
    await seller.barrier(auth.data.chatId);
    expect(seller.frames.map((f) => f.command).filter((c) => c !== 'status')).toEqual([]);
  });
});
