/**
 * A way back to the buyer, and writing before naming: e-mail addresses captured at sign-up or later
 * (profile), given to onUnread and to nobody else; guests (nameRequired: false) named later.
 */
import { describe, expect, it } from 'vitest';
import type { UnreadNotice } from '../../lib/options.js';
import { failingOnce, PROTOCOL, SELLERS, signInSeller, useChatServer } from '../helpers/chat-server.js';
import { TestClient } from '../helpers/client.js';
import { memoryStore } from '../../lib/store/memory-store.js';

const ADDRESS = 'ann.buyer@example.com';

describe('e-mail addresses', () => {
  const notices: UnreadNotice[] = [];
  let noticed: (notice: UnreadNotice) => void = () => {};
  const logs: string[] = [];
  const server = useChatServer({
    unreadQuietPeriod: 50,
    onUnread: (notice) => {
      notices.push(notice);
      noticed(notice);
    },
    logger: { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) },
  });
  const connect = async () => server.track(await TestClient.connect(server.url));
  const nextNotice = () => new Promise<UnreadNotice>((resolve) => (noticed = resolve));

  it('is captured at sign-up and handed to onUnread with the seller’s id and the page to link back to', async () => {
    const buyer = await connect();
    const context = { title: 'Blue kettle', url: 'https://shop.example/kettle' };
    const auth = await buyer.request('auth', { sellerId: 10, name: 'Ann', email: ADDRESS, context, protocol: PROTOCOL });
    expect(JSON.stringify(auth)).not.toContain(ADDRESS);
    buyer.close();
    await buyer.closed;

    const { client: seller } = server.track(await signInSeller(server.url));
    const notice = nextNotice();
    await seller.request('message', { chatId: auth.data.chatId, text: 'It is in stock!', clientDate: 1 });
    expect(await notice).toMatchObject({
      side: 'buyer',
      sellerId: 10,
      chatId: auth.data.chatId,
      email: ADDRESS,
      name: 'Ann',
      context,
      messages: [{ text: 'It is in stock!', from: 'seller' }],
    });
  });

  it('can be given later with profile; the answer says only that one is kept', async () => {
    const buyer = await connect();
    const auth = await buyer.request('auth', { sellerId: 10, name: 'Ann', protocol: PROTOCOL });
    expect(await buyer.request('profile', { email: ADDRESS })).toEqual({ command: 'profile', data: { name: 'Ann', email: true } });
    // A token sign-in may bring one too (a form that asked for it once the buyer had a token).
    const other = await connect();
    await other.request('auth', { sellerId: 10, token: auth.data.token, email: 'ann@work.example', protocol: PROTOCOL });
    expect((await server.running.chat.store.getBuyer!(1))?.email).toBe('ann@work.example');
  });

  it('is refused when it is no address (BAD_REQUEST), and nothing is created', async () => {
    const buyer = await connect();
    for (const email of ['ann', 'ann@', '<b>@x.example', 'ann @example.com', 'a'.repeat(250) + '@x.example', 42]) {
      expect((await buyer.request('auth', { sellerId: 10, name: 'Ann', email })).error).toBe('BAD_REQUEST');
    }
    expect(await server.running.chat.store.getBuyer!(1)).toBeNull();
    const auth = await buyer.request('auth', { sellerId: 10, name: 'Ann', protocol: PROTOCOL });
    expect((await buyer.request('profile', { email: 'not an address' })).error).toBe('BAD_REQUEST');
    expect((await buyer.request('profile', {})).error).toBe('BAD_REQUEST');
    expect(auth.error).toBeUndefined();
  });

  it('never reaches the seller, another buyer, or the log', async () => {
    await server.restart({
      store: failingOnce(memoryStore(), 'updateBuyer', `constraint failed for ${ADDRESS}`),
      logger: { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    });
    logs.length = 0;
    const { client: seller } = server.track(await signInSeller(server.url));
    const ann = await connect();
    const auth = await ann.request('auth', { sellerId: 10, name: 'Ann', email: ADDRESS, protocol: PROTOCOL });
    await ann.request('message', { chatId: auth.data.chatId, text: 'hello', clientDate: 1 });
    expect((await ann.request('profile', { email: ADDRESS.replace('ann', 'anne') })).error).toBe('INTERNAL_ERROR');
    const bob = await connect();
    await bob.request('auth', { sellerId: 10, name: 'Bob', protocol: PROTOCOL });
    await seller.barrier(auth.data.chatId);
    const relisted = await (await connect()).request('auth', { id: 10, token: SELLERS['10']!.token, protocol: PROTOCOL });
    const everything = JSON.stringify([seller.frames, relisted, bob.frames]);
    expect(everything).not.toContain('example.com');
    expect(logs).toEqual(['profile failed: constraint failed for [redacted]']);
  });
});

describe('guests (nameRequired: false)', () => {
  const server = useChatServer({ nameRequired: false });
  const connect = async () => server.track(await TestClient.connect(server.url));

  it('lets a buyer write first as "Guest ####", name themselves later, and the seller sees the change', async () => {
    const { client: seller } = server.track(await signInSeller(server.url));
    const buyer = await connect();
    const auth = await buyer.request('auth', { sellerId: 10, protocol: PROTOCOL });
    expect(auth.data).toMatchObject({ name: expect.stringMatching(/^Guest \d{4}$/), guest: true, token: expect.any(String) });
    const chatId = auth.data.chatId;
    expect((await seller.next('chat')).data).toEqual({ id: chatId, chatter: auth.data.name, sellerId: 10 });
    await buyer.request('message', { chatId, text: 'Do you ship to Oslo?', clientDate: 1 });

    expect(await buyer.request('profile', { name: '  Zoe  ' })).toEqual({ command: 'profile', data: { name: 'Zoe', email: false } });
    expect((await seller.next('chatter')).data).toEqual({ chatId, chatter: 'Zoe' });
    const relisted = await (await connect()).request('auth', { id: 10, token: SELLERS['10']!.token, protocol: PROTOCOL });
    expect(relisted.data.chats[0]).toMatchObject({ id: chatId, chatter: 'Zoe' });
    // Signed in again, no longer a guest.
    const back = await (await connect()).request('auth', { sellerId: 10, token: auth.data.token, protocol: PROTOCOL });
    expect(back.data).toMatchObject({ name: 'Zoe', chatId });
    expect(back.data.guest).toBeUndefined();
  });

  it('refuses an invisible name, a seller’s profile, and tells protocol-1 clients nothing new', async () => {
    const buyer = await connect();
    await buyer.request('auth', { sellerId: 10, protocol: PROTOCOL });
    expect((await buyer.request('profile', { name: '\u200b ' })).error).toBe('NAME_IS_REQUIRED');
    const { client: seller } = server.track(await signInSeller(server.url));
    expect((await seller.request('profile', { name: 'Shop' })).error).toBe('FORBIDDEN');
    const legacy = await connect();
    const old = await legacy.request('auth', { sellerId: 10 });
    expect(Object.keys(old.data).sort()).toEqual(['chatId', 'chats', 'name', 'token']);
  });

  it('is off by default: a nameless sign-up is NAME_IS_REQUIRED, as it always was', async () => {
    await server.restart({ nameRequired: undefined });
    expect((await (await connect()).request('auth', { sellerId: 10 })).error).toBe('NAME_IS_REQUIRED');
  });
});
