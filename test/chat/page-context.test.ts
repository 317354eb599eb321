/**
 * Page context: what the buyer is looking at, checked, optionally replaced by the host, stored on the
 * chat and on each buyer message, and shown to protocol-2 sellers only. A bad context is refused on
 * its own (a `context` error answer); the rest of the frame acts as if it had not been sent.
 */
import { describe, expect, it } from 'vitest';
import { checkContext } from '../../lib/chat/page-context.js';
import { ahChat } from '../../lib/ah-chat.js';
import type { PageContext } from '../../lib/store/store.js';
import { PROTOCOL, SELLERS, signInSeller, testSellers, useChatServer } from '../helpers/chat-server.js';
import { TestClient } from '../helpers/client.js';

const KETTLE = { title: 'Blue kettle', url: 'https://shop.example/kettle', price: '€12.50', ref: 'sku-1' };
const CDN = 'https://cdn.shop.example';

describe('checkContext', () => {
  const check = (value: unknown) => checkContext(value, [CDN]);

  it('keeps the known fields, normalised; drops unknown ones', () => {
    expect(check({ ...KETTLE, image: `${CDN}/k.png`, onclick: 'x', html: '<b>' })).toEqual({
      ok: true,
      context: { ...KETTLE, image: `${CDN}/k.png` },
    });
    expect(check({ title: ' Kettle ', url: 'HTTPS://Shop.Example:443/a%20b?c=d', price: 12.5, ref: 7 })).toEqual({
      ok: true,
      context: { title: 'Kettle', url: 'https://shop.example/a%20b?c=d', price: 12.5, ref: 7 },
    });
  });

  it.each([
    ['not an object', 'kettle', 'context'],
    ['an array', [KETTLE], 'context'],
    ['no title', { url: KETTLE.url }, 'title'],
    ['an invisible title', { ...KETTLE, title: '\u200b ' }, 'title'],
    ['a title over 200', { ...KETTLE, title: 'k'.repeat(201) }, 'title'],
    ['a lone surrogate', { ...KETTLE, title: 'k\ud800' }, 'title'],
    ['a javascript: URL', { ...KETTLE, url: 'javascript:alert(1)' }, 'url'],
    ['a data: URL', { ...KETTLE, url: 'data:text/html,<script>' }, 'url'],
    ['a relative URL', { ...KETTLE, url: '/kettle' }, 'url'],
    ['a URL with white space or controls', { ...KETTLE, url: 'https://shop.example/a b\n' }, 'url'],
    ['a URL with credentials', { ...KETTLE, url: 'https://user:pw@shop.example/' }, 'url'],
    ['a URL over 2048', { ...KETTLE, url: `https://shop.example/${'k'.repeat(2048)}` }, 'url'],
    ['an image from an origin not allowed', { ...KETTLE, image: 'https://evil.example/k.png' }, 'image'],
    ['an image over http from the allowed https origin', { ...KETTLE, image: 'http://cdn.shop.example/k.png' }, 'image'],
    ['a price over 32', { ...KETTLE, price: '1'.repeat(33) }, 'price'],
    ['a price that is no number', { ...KETTLE, price: Number.NaN }, 'price'],
    ['a ref over 128', { ...KETTLE, ref: 'r'.repeat(129) }, 'ref'],
    ['an object ref', { ...KETTLE, ref: { id: 1 } }, 'ref'],
  ])('refuses %s, naming the field', (_what, value, field) => {
    expect(check(value)).toEqual({ ok: false, field });
  });

  it('takes no images at all without contextImageOrigins', () => {
    expect(checkContext({ ...KETTLE, image: `${CDN}/k.png` }, [])).toEqual({ ok: false, field: 'image' });
  });
});

describe('page context over the wire', () => {
  const server = useChatServer({ contextImageOrigins: [CDN] });
  const connect = async () => server.track(await TestClient.connect(server.url));
  /** A protocol-2 seller, or with legacy a client that says nothing (protocol 1). */
  const seller = async (legacy = false) => {
    const protocol = legacy ? undefined : PROTOCOL;
    const client = await connect();
    const auth = await client.request('auth', { id: 10, token: SELLERS['10']!.token, ...(protocol ? { protocol } : {}) });
    return { client, auth };
  };

  it('stores the auth’s context on the chat and on the buyer’s messages; the seller sees both, the buyer no echo', async () => {
    const s = await seller();
    const buyer = await connect();
    const auth = await buyer.request('auth', { sellerId: 10, name: 'Ann', context: KETTLE, protocol: PROTOCOL });
    expect(auth.data.chats[0].context).toEqual(KETTLE);
    expect((await s.client.next('chat')).data).toEqual({ id: auth.data.chatId, chatter: 'Ann', sellerId: 10 });
    expect((await s.client.next('context')).data).toEqual({ chatId: auth.data.chatId, context: KETTLE });

    const confirmation = await buyer.request('message', { chatId: auth.data.chatId, text: 'Is it in stock?', clientDate: 1 });
    expect(confirmation.data.context).toBeUndefined();
    expect((await s.client.next('message')).data).toMatchObject({ text: 'Is it in stock?', context: KETTLE });

    const again = (await seller()).auth;
    expect(again.data.chats[0]).toMatchObject({ id: auth.data.chatId, context: KETTLE });
    expect(again.data.chats[0].messages[0].context).toEqual(KETTLE);
  });

  it('setContext: the context command replaces it; the seller gets the change and later messages carry the new one', async () => {
    const s = await seller();
    const buyer = await connect();
    const auth = await buyer.request('auth', { sellerId: 10, name: 'Ann', context: KETTLE, protocol: PROTOCOL });
    const chatId = auth.data.chatId;
    await buyer.request('message', { chatId, text: 'This one?', clientDate: 1 });
    const red = { title: 'Red kettle', url: 'https://shop.example/red', image: `${CDN}/red.png` };
    expect(await buyer.request('context', { chatId, context: red })).toEqual({ command: 'context', data: { chatId, context: red } });
    await buyer.request('message', { chatId, text: 'Or this one?', clientDate: 2 });

    const pushes = [await s.client.next('context'), await s.client.next('context')].map((f) => f.data.context.title);
    expect(pushes).toEqual(['Blue kettle', 'Red kettle']);
    const history = await s.client.request('history', { chatId });
    expect(history.data.messages.map((m: { text: string; context: PageContext }) => [m.text, m.context?.title])).toEqual([
      ['This one?', 'Blue kettle'],
      ['Or this one?', 'Red kettle'],
    ]);
    expect((await server.running.chat.store.getChat(chatId))?.context).toEqual(red);
    // Only the chat's own buyer sets it.
    expect((await buyer.request('context', { chatId: chatId + 1, context: red })).error).toBe('CHAT_NOT_FOUND');
    expect((await s.client.request('context', { chatId, context: red })).error).toBe('FORBIDDEN');
  });

  it('refuses a bad context on its own: the sign-in goes on as without it, the chat keeps what it had', async () => {
    const s = await seller();
    const buyer = await connect();
    const first = await buyer.request('auth', { sellerId: 10, name: 'Ann', context: KETTLE, protocol: PROTOCOL });
    const chatId = first.data.chatId;
    buyer.close();

    const again = await connect();
    again.send('auth', { sellerId: 10, token: first.data.token, context: { ...KETTLE, url: 'javascript:alert(1)' }, protocol: PROTOCOL });
    const answer = await again.next();
    // The sign-in's answer comes first and is the one without context (the chat's stored one shows).
    expect(answer.command).toBe('auth');
    expect(answer.error).toBeUndefined();
    expect(answer.data).toMatchObject({ chatId, name: 'Ann', chats: [{ context: KETTLE }] });
    expect((await again.next()).command).toBe('status');
    expect(await again.next()).toEqual({ command: 'context', error: 'BAD_REQUEST', data: { field: 'url' } });
    // Written now, the message carries no context: this page's was refused.
    await again.request('message', { chatId, text: 'hello', clientDate: 1 });
    expect((await s.client.next('message')).data.context).toBeUndefined();
    expect((await again.request('context', { chatId, context: { ...KETTLE, image: 'https://evil.example/x.png' } })).data).toEqual({ field: 'image' });
    expect((await server.running.chat.store.getChat(chatId))?.context).toEqual(KETTLE);
  });

  it('shows protocol-1 sellers nothing new: no context in the auth answer, messages or pushes', async () => {
    const legacy = await seller(true);
    const buyer = await connect();
    const auth = await buyer.request('auth', { sellerId: 10, name: 'Ann', context: KETTLE, protocol: PROTOCOL });
    await buyer.request('context', { chatId: auth.data.chatId, context: { ...KETTLE, title: 'Other' } });
    await buyer.request('message', { chatId: auth.data.chatId, text: 'hi', clientDate: 1 });
    expect((await legacy.client.next('message')).data).toEqual({ id: 1, chatId: auth.data.chatId, text: 'hi', date: expect.any(Number), my: false });
    expect(legacy.client.frames.map((f) => f.command)).toEqual(['chat', 'status']);
    const relisted = (await seller(true)).auth.data.chats[auth.data.chatId];
    expect(relisted).toEqual({
      id: auth.data.chatId, chatter: 'Ann', sellerId: 10, online: true, more: false, unread: 1, readId: 0,
      messages: [{ id: 1, chatId: auth.data.chatId, text: 'hi', date: expect.any(Number), my: false }],
    });
    const history = await legacy.client.request('history', { chatId: auth.data.chatId });
    expect(history.data.messages[0].context).toBeUndefined();
  });
});

describe('resolveContext', () => {
  const calls: unknown[] = [];
  const server = useChatServer({
    async resolveContext(context, about) {
      calls.push({ context, about });
      if (context.ref === 'gone') return null;
      if (context.ref === 'boom') throw new Error(`database down for ${context.url}`);
      if (context.ref === 'bad') return { ...context, url: 'ftp://shop.example/' };
      // The shop's own truth: the price from its database, whatever the page said.
      return { ...context, price: '€9.99' };
    },
  });
  const connect = async () => server.track(await TestClient.connect(server.url));

  it('replaces what the browser sent with the host’s answer, and is told who and which seller', async () => {
    calls.length = 0;
    const { client: s } = server.track(await signInSeller(server.url));
    const buyer = await connect();
    const auth = await buyer.request('auth', { sellerId: 10, name: 'Ann', context: { ...KETTLE, price: '€0.01' }, protocol: PROTOCOL });
    expect(auth.data.chats[0].context).toEqual({ ...KETTLE, price: '€9.99' });
    expect((await s.next('context')).data.context.price).toBe('€9.99');
    expect(calls).toEqual([{ context: { ...KETTLE, price: '€0.01' }, about: { buyer: { id: 1, name: 'Ann' }, sellerId: 10 } }]);
  });

  it('refused (null) is BAD_REQUEST with reason REFUSED; a throw or a bad answer INTERNAL_ERROR; the sign-in goes on', async () => {
    const buyer = await connect();
    const auth = await buyer.request('auth', { sellerId: 10, name: 'Ann', context: { ...KETTLE, ref: 'gone' }, protocol: PROTOCOL });
    expect(auth.data).toMatchObject({ name: 'Ann', token: expect.any(String) });
    expect(await buyer.next('context')).toEqual({ command: 'context', error: 'BAD_REQUEST', data: { reason: 'REFUSED' } });
    const chatId = auth.data.chatId;
    expect(await buyer.request('context', { chatId, context: { ...KETTLE, ref: 'boom' } })).toEqual({ command: 'context', error: 'INTERNAL_ERROR' });
    expect(await buyer.request('context', { chatId, context: { ...KETTLE, ref: 'bad' } })).toEqual({ command: 'context', error: 'INTERNAL_ERROR' });
    expect((await server.running.chat.store.getChat(chatId))?.context).toBeUndefined();
  });
});

describe('options', () => {
  it('refuses a contextImageOrigins entry no browser could send, naming it', () => {
    expect(() => ahChat({ ...testSellers, contextImageOrigins: ['https://cdn.example/images'] })).toThrow(
      'ahChat: option "contextImageOrigins[0]": "https://cdn.example/images" must be scheme and host only',
    );
    expect(() => ahChat({ ...testSellers, resolveContext: {} as never })).toThrow('ahChat: option "resolveContext" must be a function');
  });
});
