/** The wire protocol end to end: real server on port 0, real ws clients. */
import { describe, expect, it } from 'vitest';
import { memoryStore } from '../lib/store/memory-store.js';
import { TestClient } from './helpers/client.js';
import { failingOnce, SELLERS, signInSeller, signUpBuyer, useChatServer } from './helpers/chat-server.js';

const chat = useChatServer();
const track = chat.track;

describe('auth', () => {
  it('signs a buyer up with a name and gives a token, a chat and the seller as chatter', async () => {
    const { auth, token, chatId } = track(await signUpBuyer(chat.url, 'Alice', 10));
    expect(token).toMatch(/^[\w-]{32,}$/);
    expect(auth.data).toMatchObject({ chatId, name: 'Alice' });
    expect(auth.data.chats).toEqual([
      { id: chatId, chatter: 'Shop Ten', sellerId: 10, online: false, messages: [], more: false, unread: 0, readId: 0 },
    ]);
  });

  it('gives every buyer a different unguessable token', async () => {
    const a = track(await signUpBuyer(chat.url, 'A'));
    const b = track(await signUpBuyer(chat.url, 'B'));
    expect(a.token).not.toBe(b.token);
    expect(Buffer.from(a.token, 'base64url').length).toBeGreaterThanOrEqual(16);
  });

  it('signs a buyer back in with the token: same chat, history, no new token', async () => {
    const first = track(await signUpBuyer(chat.url));
    await first.client.request('message', { text: 'hello', clientDate: 1, chatId: first.chatId });
    first.client.close();
    const again = track({ client: await TestClient.connect(chat.url) });
    const auth = await again.client.request('auth', { token: first.token, sellerId: 10, protocol: 2 });
    expect(auth.data.token).toBeUndefined();
    expect(auth.data.chatId).toBe(first.chatId);
    expect(auth.data.chats[0].messages).toMatchObject([{ id: 1, text: 'hello', my: true }]);
  });

  it('signs a seller in with name and chats, newest activity first, buyers online or not', async () => {
    const a = track(await signUpBuyer(chat.url, 'Ann'));
    const b = track(await signUpBuyer(chat.url, 'Bob'));
    // Activity is kept in ms: let the clock move so Ann's message is strictly newer than Bob's chat.
    for (const t = Date.now(); Date.now() === t; );
    await a.client.request('message', { text: 'from ann', clientDate: 5, chatId: a.chatId });
    b.client.close();
    await b.client.closed;
    const { auth } = track(await signInSeller(chat.url));
    expect(auth.data.name).toBe('Shop Ten');
    expect(auth.data.chats.map((c: any) => [c.chatter, c.online])).toEqual([
      ['Ann', true],
      ['Bob', false],
    ]);
    expect(auth.data.chats[0].messages).toEqual([{ id: 1, chatId: a.chatId, text: 'from ann', date: expect.any(Number), my: false }]);
    expect(auth.data.chats[0].unread).toBe(1);
  });

  it.each([
    [{ id: 10, token: 'wrong' }, 'USER_IS_NOT_SELLER'],
    [{ id: 10 }, 'USER_IS_NOT_SELLER'],
    [{ id: 99, token: 'iofh3498hwe' }, 'USER_IS_NOT_SELLER'],
    [{ name: 'x' }, 'SELLER_ID_IS_REQUIRED'],
    [{ sellerId: 10 }, 'NAME_IS_REQUIRED'],
    [{ sellerId: 10, name: '   ' }, 'NAME_IS_REQUIRED'],
    [{ sellerId: 99, name: 'x' }, 'SELLER_NOT_FOUND'],
    [{ sellerId: 10, token: 'not-a-real-token' }, 'USER_NOT_FOUND'],
    [{ sellerId: 10, name: 42 }, 'BAD_REQUEST'],
    [{ sellerId: {}, name: 'x' }, 'BAD_REQUEST'],
  ])('answers auth %j with %s and keeps the socket open', async (data, code) => {
    const client = track(await TestClient.connect(chat.url));
    const answer = await client.request('auth', data);
    expect(answer).toEqual({ command: 'auth', error: code });
    // Still usable: a correct auth on the same socket works.
    const ok = await client.request('auth', { name: 'Later', sellerId: 10 });
    expect(ok.error).toBeUndefined();
  });

  it('refuses a second auth on a signed-in socket', async () => {
    const { client } = track(await signUpBuyer(chat.url));
    expect(await client.request('auth', { name: 'again', sellerId: 10 })).toEqual({ command: 'auth', error: 'ALREADY_AUTHORIZED' });
  });

  it('refuses any command before auth with NOT_AUTHORIZED', async () => {
    const client = track(await TestClient.connect(chat.url));
    expect(await client.request('message', { text: 'x', clientDate: 1, chatId: 1 })).toEqual({ command: 'message', error: 'NOT_AUTHORIZED' });
  });

  it('accepts string seller ids', async () => {
    const { auth } = track(await signUpBuyer(chat.url, 'S', '10'));
    expect(auth.data.chats[0].sellerId).toBe(10);
  });
});

describe('messages', () => {
  it('confirms to the sender, pushes to the seller with my:false, and ids increase', async () => {
    const buyer = track(await signUpBuyer(chat.url));
    const seller = track(await signInSeller(chat.url));
    const sent = await buyer.client.request('message', { text: 'Is it in stock?', clientDate: 1700000000123, chatId: buyer.chatId, my: true });
    expect(sent.data).toEqual({
      id: 1, chatId: buyer.chatId, text: 'Is it in stock?', date: expect.any(Number), clientDate: 1700000000123, my: true,
    });
    expect(Math.abs(sent.data.date - Date.now() / 1000)).toBeLessThan(5);
    const pushed = await seller.client.next('message');
    expect(pushed.data).toEqual({ id: 1, chatId: buyer.chatId, text: 'Is it in stock?', date: sent.data.date, my: false });

    const reply = await seller.client.request('message', { text: 'Yes!', clientDate: 2, chatId: buyer.chatId });
    expect(reply.data).toMatchObject({ id: 2, my: true, clientDate: 2 });
    expect((await buyer.client.next('message')).data).toMatchObject({ id: 2, text: 'Yes!', my: false });
  });

  it("sends the sender's other tabs the message with my:true", async () => {
    const tab1 = track(await signUpBuyer(chat.url));
    const tab2 = track({ client: await TestClient.connect(chat.url) });
    await tab2.client.request('auth', { token: tab1.token, sellerId: 10, protocol: 2 });
    const sent = await tab1.client.request('message', { text: 'two tabs', clientDate: 1, chatId: tab1.chatId });
    const echoed = await tab2.client.next('message');
    expect(echoed.data).toMatchObject({ id: sent.data.id, text: 'two tabs', my: true });
    // The sending tab gets its confirmation only, not a second copy.
    await tab1.client.barrier(tab1.chatId);
    expect(tab1.client.buffered('message')).toEqual([]);
  });

  it('stores a message to an offline seller and shows it when the seller signs in (leave a message)', async () => {
    const buyer = track(await signUpBuyer(chat.url));
    await buyer.client.request('message', { text: 'left for you', clientDate: 1, chatId: buyer.chatId });
    const seller = track(await signInSeller(chat.url));
    expect(seller.auth.data.chats[0].messages.map((m: any) => m.text)).toEqual(['left for you']);
  });

  it.each([
    [{ clientDate: 1, chatId: 1 }, 'TEXT_IS_REQUIRED'],
    [{ text: '  \n ', clientDate: 1, chatId: 1 }, 'TEXT_IS_REQUIRED'],
    [{ text: 'x', chatId: 1 }, 'DATE_IS_REQUIRED'],
    [{ text: 'x', clientDate: 'soon', chatId: 1 }, 'BAD_REQUEST'],
    [{ text: 'x', clientDate: 1 }, 'CHAT_ID_IS_REQUIRED'],
    [{ text: 'x', clientDate: 1, chatId: '01' }, 'BAD_REQUEST'],
    [{ text: 5, clientDate: 1, chatId: 1 }, 'BAD_REQUEST'],
    [{ text: 'x', clientDate: 1, chatId: 1, clientId: 'y'.repeat(65) }, 'BAD_REQUEST'],
  ])('answers message %j with %s', async (data, code) => {
    const buyer = track(await signUpBuyer(chat.url));
    const fixed = { ...data } as Record<string, unknown>;
    if (fixed.chatId === 1) fixed.chatId = buyer.chatId;
    expect(await buyer.client.request('message', fixed)).toEqual({ command: 'message', error: code });
  });

  it('names the refused message by its clientId in error answers', async () => {
    const buyer = track(await signUpBuyer(chat.url));
    expect(await buyer.client.request('message', { text: '', clientDate: 1, chatId: buyer.chatId, clientId: 'k1' })).toEqual({
      command: 'message', error: 'TEXT_IS_REQUIRED', data: { clientId: 'k1' },
    });
    expect(await buyer.client.request('message', { text: 'x', clientDate: 1, chatId: 999999, clientId: 'k2' })).toEqual({
      command: 'message', error: 'CHAT_NOT_FOUND', data: { clientId: 'k2' },
    });
  });

  it('refuses a text over maxTextLength with TEXT_TOO_LONG, counting characters not UTF-16 units', async () => {
    const buyer = track(await signUpBuyer(chat.url));
    const ok = await buyer.client.request('message', { text: '😀'.repeat(4000), clientDate: 1, chatId: buyer.chatId });
    expect(ok.error).toBeUndefined();
    const tooLong = await buyer.client.request('message', { text: 'a'.repeat(4001), clientDate: 1, chatId: buyer.chatId });
    expect(tooLong).toEqual({ command: 'message', error: 'TEXT_TOO_LONG' });
  });

  it('deduplicates a resend with the same clientId: original confirmation, nothing stored or pushed twice', async () => {
    const buyer = track(await signUpBuyer(chat.url));
    const seller = track(await signInSeller(chat.url));
    const msg = { text: 'once', clientDate: 1, chatId: buyer.chatId, clientId: 'c-1' };
    const first = await buyer.client.request('message', msg);
    const second = await buyer.client.request('message', { ...msg, clientDate: 2 });
    expect(second.data).toEqual(first.data);
    expect((await seller.client.next('message')).data.id).toBe(first.data.id);
    await seller.client.barrier(buyer.chatId);
    expect(seller.client.buffered('message')).toEqual([]);
    const history = await seller.client.request('history', { chatId: buyer.chatId });
    expect(history.data.messages).toHaveLength(1);
  });
});

describe('isolation', () => {
  it("never lets a buyer read or write another buyer's chat, and answers as if it did not exist", async () => {
    const alice = track(await signUpBuyer(chat.url, 'Alice'));
    const mallory = track(await signUpBuyer(chat.url, 'Mallory'));
    for (const command of ['message', 'history', 'typing', 'read']) {
      const answer = await mallory.client.request(command, { text: 'x', clientDate: 1, chatId: alice.chatId, id: 1 });
      expect(answer).toEqual({ command, error: 'CHAT_NOT_FOUND' });
    }
    const missing = await mallory.client.request('message', { text: 'x', clientDate: 1, chatId: 987654 });
    expect(missing).toEqual({ command: 'message', error: 'CHAT_NOT_FOUND' });
    await alice.client.barrier(alice.chatId);
    expect(alice.client.frames).toEqual([]);
  });

  it("keeps two sellers out of each other's chats and pushes", async () => {
    const buyerOf10 = track(await signUpBuyer(chat.url, 'Ten buyer', 10));
    const seller20 = track(await signInSeller(chat.url, 20));
    expect(seller20.auth.data.chats).toEqual([]);
    const answer = await seller20.client.request('message', { text: 'hi', clientDate: 1, chatId: buyerOf10.chatId });
    expect(answer).toEqual({ command: 'message', error: 'CHAT_NOT_FOUND' });
    await buyerOf10.client.request('message', { text: 'for ten only', clientDate: 1, chatId: buyerOf10.chatId });
    const buyerOf20 = track(await signUpBuyer(chat.url, 'Twenty buyer', 20));
    await seller20.client.next('chat');
    expect(seller20.client.frames.filter((f) => f.command === 'message' || f.command === 'chat')).toEqual([]);
    expect(buyerOf20.chatId).not.toBe(buyerOf10.chatId);
  });
});

describe('pushes', () => {
  it('sends the seller a chat push on every open socket when a new chat starts', async () => {
    const tab1 = track(await signInSeller(chat.url));
    const tab2 = track(await signInSeller(chat.url));
    const buyer = track(await signUpBuyer(chat.url, 'Newbie'));
    for (const tab of [tab1, tab2]) {
      expect((await tab.client.next('chat')).data).toEqual({ id: buyer.chatId, chatter: 'Newbie', sellerId: 10 });
    }
  });

  it('tells the seller when a buyer comes and goes, counting tabs as one presence', async () => {
    const seller = track(await signInSeller(chat.url));
    const tab1 = track(await signUpBuyer(chat.url));
    await seller.client.next('chat');
    expect((await seller.client.next('status')).data).toEqual({ chatId: tab1.chatId, status: true });
    const tab2 = track({ client: await TestClient.connect(chat.url) });
    await tab2.client.request('auth', { token: tab1.token, sellerId: 10, protocol: 2 });
    tab1.client.close();
    await tab1.client.closed;
    await seller.client.barrier(tab1.chatId);
    expect(seller.client.buffered('status')).toEqual([]);
    tab2.client.close();
    expect((await seller.client.next('status')).data).toEqual({ chatId: tab1.chatId, status: false });
  });

  it("gives the buyer the seller's status right after auth and on every change", async () => {
    const buyer = track({ client: await TestClient.connect(chat.url) });
    await buyer.client.request('auth', { name: 'B', sellerId: 10, protocol: 2 });
    const initial = await buyer.client.next('status');
    expect(initial.data.status).toBe(false);
    const seller = track(await signInSeller(chat.url));
    expect((await buyer.client.next('status')).data).toEqual({ chatId: initial.data.chatId, status: true });
    seller.client.close();
    expect((await buyer.client.next('status')).data).toEqual({ chatId: initial.data.chatId, status: false });
    const back = track(await signUpBuyer(chat.url, 'C'));
    expect(back.auth.data.chats[0].online).toBe(false);
  });
});

describe('history and resume', () => {
  it('pages back with history {before, limit} and flags more', async () => {
    const buyer = track(await signUpBuyer(chat.url));
    for (let i = 1; i <= 7; i++) await buyer.client.request('message', { text: `m${i}`, clientDate: i, chatId: buyer.chatId });
    const page1 = await buyer.client.request('history', { chatId: buyer.chatId, limit: 3 });
    expect(page1.data.messages.map((m: any) => m.id)).toEqual([5, 6, 7]);
    expect(page1.data.more).toBe(true);
    const page2 = await buyer.client.request('history', { chatId: buyer.chatId, limit: 3, before: 5 });
    expect(page2.data.messages.map((m: any) => m.id)).toEqual([2, 3, 4]);
    const page3 = await buyer.client.request('history', { chatId: buyer.chatId, limit: 3, before: 2 });
    expect(page3.data).toMatchObject({ more: false, messages: [{ id: 1, text: 'm1' }] });
  });

  it('answers auth with since: only newer messages', async () => {
    const buyer = track(await signUpBuyer(chat.url));
    for (let i = 1; i <= 4; i++) await buyer.client.request('message', { text: `m${i}`, clientDate: i, chatId: buyer.chatId });
    const seller = track({ client: await TestClient.connect(chat.url) });
    const auth = await seller.client.request('auth', { id: 10, token: SELLERS['10']!.token, since: { [buyer.chatId]: 2 }, protocol: 2 });
    expect(auth.data.chats[0].messages.map((m: any) => m.id)).toEqual([3, 4]);
    expect(auth.data.chats[0].more).toBe(false);
  });
});

describe('requireOnline', () => {
  it('gives USER_IS_NOT_ONLINE and stores nothing when the peer is offline', async () => {
    await chat.restart({ requireOnline: true });
    const buyer = track(await signUpBuyer(chat.url));
    expect(await buyer.client.request('message', { text: 'x', clientDate: 1, chatId: buyer.chatId })).toEqual({
      command: 'message', error: 'USER_IS_NOT_ONLINE',
    });
    const seller = track(await signInSeller(chat.url));
    expect(seller.auth.data.chats[0].messages).toEqual([]);
    const ok = await buyer.client.request('message', { text: 'now', clientDate: 1, chatId: buyer.chatId });
    expect(ok.data.id).toBe(1);
  });
});

describe('store failures', () => {
  it('answers INTERNAL_ERROR when the store fails during auth, and leaves the socket signed out', async () => {
    await chat.restart({ store: failingOnce(memoryStore(), 'listChats', 'disk on fire') });
    const client = track(await TestClient.connect(chat.url));
    expect(await client.request('auth', { id: 10, token: SELLERS['10']!.token })).toEqual({ command: 'auth', error: 'INTERNAL_ERROR' });
    expect(await client.request('history', { chatId: 1 })).toEqual({ command: 'history', error: 'NOT_AUTHORIZED' });
    const retry = await client.request('auth', { id: 10, token: SELLERS['10']!.token });
    expect(retry.data.name).toBe('Shop Ten');
  });

  it('answers INTERNAL_ERROR and confirms nothing when appendMessage fails; a resend with the clientId then works once', async () => {
    await chat.restart({ store: failingOnce(memoryStore(), 'appendMessage', 'write failed') });
    const buyer = track(await signUpBuyer(chat.url));
    const msg = { text: 'retry me', clientDate: 1, chatId: buyer.chatId, clientId: 'r1' };
    expect(await buyer.client.request('message', msg)).toEqual({ command: 'message', error: 'INTERNAL_ERROR', data: { clientId: 'r1' } });
    expect((await buyer.client.request('message', msg)).data.id).toBe(1);
    expect((await buyer.client.request('message', msg)).data.id).toBe(1);
    expect((await buyer.client.request('history', { chatId: buyer.chatId })).data.messages).toHaveLength(1);
  });
});

describe('review fixes', () => {
  it('publishes a message whose append failed after storing it, when the sender resends it', async () => {
    const store = memoryStore();
    let failAfterStoring = true;
    const leaky = new Proxy(store, {
      get(target, key, receiver) {
        if (key !== 'appendMessage') return Reflect.get(target, key, receiver);
        return async (input: Parameters<typeof store.appendMessage>[0]) => {
          const result = await target.appendMessage(input);
          if (!failAfterStoring) return result;
          failAfterStoring = false;
          throw new Error('stored, then the write failed');
        };
      },
    });
    await chat.restart({ store: leaky });
    const buyer = track(await signUpBuyer(chat.url));
    const seller = track(await signInSeller(chat.url));
    const msg = { text: 'did you get this?', clientDate: 1, chatId: buyer.chatId, clientId: 'once' };
    expect((await buyer.client.request('message', msg)).error).toBe('INTERNAL_ERROR');
    const resent = await buyer.client.request('message', msg);
    expect(resent.data).toMatchObject({ id: 1, my: true });
    expect((await seller.client.next('message')).data).toMatchObject({ id: 1, text: 'did you get this?', my: false });
    // A further resend is an ordinary duplicate again: no second push.
    await buyer.client.request('message', msg);
    await seller.client.barrier(buyer.chatId);
    expect(seller.client.buffered('message')).toEqual([]);
  });

  it('refuses a seller whose authSeller vouches for another id (a host that finds sellers by token only)', async () => {
    await chat.restart({ authSeller: async ({ token }) => (token === 'any-valid' ? { id: 20, name: 'Twenty' } : null) });
    const client = chat.track(await TestClient.connect(chat.url));
    expect(await client.request('auth', { id: 10, token: 'any-valid' })).toEqual({ command: 'auth', error: 'USER_IS_NOT_SELLER' });
    expect((await client.request('auth', { id: 20, token: 'any-valid' })).data.name).toBe('Twenty');
  });

  it("files a buyer's chat under the id findSeller returns, so '010' and 10 are one seller", async () => {
    await chat.restart({ findSeller: async (id) => (Number(id) === 10 ? { id: 10, name: 'Shop Ten' } : null) });
    const buyer = track(await signUpBuyer(chat.url, 'Zero-padded', '010'));
    const seller = track(await signInSeller(chat.url, 10));
    expect(seller.auth.data.chats.map((c: any) => c.id)).toEqual([buyer.chatId]);
  });

  it('refuses NUL characters in strings with BAD_REQUEST', async () => {
    const buyer = track(await signUpBuyer(chat.url));
    expect(await buyer.client.request('message', { text: 'a\u0000b', clientDate: 1, chatId: buyer.chatId })).toEqual({ command: 'message', error: 'BAD_REQUEST' });
    const other = track(await TestClient.connect(chat.url));
    expect(await other.request('auth', { name: 'nul\u0000name', sellerId: 10 })).toEqual({ command: 'auth', error: 'BAD_REQUEST' });
  });

  it('runs the auth deadline again after an auth that failed half-way', async () => {
    await chat.restart({ authTimeout: 300, store: failingOnce(memoryStore(), 'listChats') });
    const client = chat.track(await TestClient.connect(chat.url));
    expect((await client.request('auth', { id: 10, token: SELLERS['10']!.token })).error).toBe('INTERNAL_ERROR');
    expect((await client.closed).code).toBe(1008);
  });

  it("keeps a seller's auth answer within its text budget: older chats carry only their newest message", async () => {
    await chat.restart({ maxTextLength: 60_000, maxPayload: 256 * 1024, rateLimit: { frames: 100, intervalMs: 1000 } });
    const big = 'x'.repeat(50_000);
    const buyers = [];
    for (let i = 0; i < 4; i++) {
      const buyer = track(await signUpBuyer(chat.url, `B${i}`));
      for (let k = 0; k < 3; k++) await buyer.client.request('message', { text: big, clientDate: k, chatId: buyer.chatId });
      buyers.push(buyer);
    }
    const { auth } = track(await signInSeller(chat.url));
    // 256 Ki characters: the newest chat's three (150k), two of the next (100k), then one each.
    expect(auth.data.chats.map((c: any) => c.messages.length)).toEqual([3, 2, 1, 1]);
    expect(auth.data.chats.map((c: any) => c.more)).toEqual([false, true, true, true]);
    // Every chat still shows its newest message, and says there is more to page.
    for (const c of auth.data.chats) expect(c.messages.at(-1).id).toBe(3);
    expect(auth.data.chats.at(-1)).toMatchObject({ more: true, messages: [{ id: 3 }] });
  });
});
