/**
 * Protocol versions (docs/PROTOCOL.md#protocol-versions), frame by frame over real sockets:
 * protocol 1 (no `protocol` in auth: the original README's shapes) and 2 (ours), side by side.
 * Also: chat ids given as strings, the original client's extra fields, and the fan-out's cost.
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { localBus } from '../lib/bus/local-bus.js';
import type { ChatConnection } from '../lib/chat/session.js';
import { Hub } from '../lib/chat/hub.js';
import { parseFrame, protocolFor } from '../lib/wire/index.js';
import type { Session } from '../lib/chat/session.js';
import type { Message } from '../lib/store/store.js';
import { TestClient } from './helpers/client.js';
import { SELLERS, useChatServer } from './helpers/chat-server.js';

const chat = useChatServer();

type Auth = Record<string, unknown>;

/** Signs in over a new socket; `protocol` is added to the auth data unless undefined. */
async function signIn(auth: Auth, protocol?: unknown) {
  const client = chat.track(await TestClient.connect(chat.url));
  const answer = await client.request('auth', protocol === undefined ? auth : { ...auth, protocol });
  if (answer.error) throw new Error(`auth ${JSON.stringify(auth)} failed: ${answer.error}`);
  return { client, answer, data: answer.data };
}

/** A buyer of seller 10 (sign-up by default), its status push after auth already taken. */
async function buyer(protocol?: unknown, auth: Auth = { name: 'Ann', sellerId: 10 }) {
  const signed = await signIn(auth, protocol);
  await signed.client.next('status');
  return { ...signed, chatId: signed.data.chatId as number, token: (signed.data.token ?? auth.token) as string };
}

const seller = (protocol?: unknown, id: 10 | 20 = 10) => signIn({ id, token: SELLERS[String(id)]!.token }, protocol);

/** The frames of `command` that reached `client`, once everything it sent before was answered. */
async function received(client: TestClient, chatId: number, command: string) {
  await client.barrier(chatId);
  return client.buffered(command);
}

describe('auth answer', () => {
  it.each([
    ['no protocol', undefined],
    ['protocol 1', 1],
    ['protocol null', null],
  ])('%s: the original README\'s shapes, chats keyed by chat id, and no "protocol" field', async (_name, protocol) => {
    const { data, chatId } = await buyer(protocol);
    expect(data).toEqual({
      token: expect.any(String),
      chatId,
      name: 'Ann',
      chats: { [chatId]: { id: chatId, chatter: 'Shop Ten', sellerId: 10, online: false, messages: [], more: false, unread: 0, readId: 0 } },
    });
    // What a client written to the original README does with it.
    const ids: string[] = [];
    for (const id in data.chats) ids.push(id);
    expect(ids).toEqual([String(chatId)]);
  });

  it('protocol 2: chats an array, and the answer says protocol 2 and the server\'s limits', async () => {
    const { data, chatId } = await buyer(2);
    expect(data).toEqual({
      token: expect.any(String),
      chatId,
      name: 'Ann',
      chats: [{ id: chatId, chatter: 'Shop Ten', sellerId: 10, online: false, messages: [], more: false, unread: 0, readId: 0 }],
      protocol: 2,
      limits: { textLength: 4000 },
    });
  });

  it('limits: protocol 2 answers (buyer and seller) carry the server\'s maxTextLength; protocol 1 never', async () => {
    await chat.restart({ maxTextLength: 50 });
    expect((await buyer(2)).data.limits).toEqual({ textLength: 50 });
    expect((await seller(2)).data.limits).toEqual({ textLength: 50 });
    const legacy = await buyer(undefined);
    expect(legacy.data).not.toHaveProperty('limits');
    expect(Object.keys(legacy.data)).toEqual(['token', 'chatId', 'name', 'chats']);
    expect(Object.keys((await seller(1)).data)).toEqual(['name', 'chats']);
  });

  it.each([3, 99, 2 ** 40])('a protocol above ours (%s) gets 2, and the answer says so', async (protocol) => {
    const { data } = await buyer(protocol);
    expect(data.protocol).toBe(2);
    expect(Array.isArray(data.chats)).toBe(true);
    const { data: sellerData } = await seller(protocol);
    expect(sellerData).toEqual({ name: 'Shop Ten', chats: [expect.objectContaining({ id: data.chatId })], protocol: 2, limits: { textLength: 4000 } });
  });

  it.each([0, -1, 1.5, '2', true, [2], { v: 2 }])('answers protocol %j with BAD_REQUEST and stays usable', async (protocol) => {
    const client = chat.track(await TestClient.connect(chat.url));
    expect(await client.request('auth', { name: 'Ann', sellerId: 10, protocol })).toEqual({ command: 'auth', error: 'BAD_REQUEST' });
    expect((await client.request('auth', { name: 'Ann', sellerId: 10, protocol: 2 })).data.protocol).toBe(2);
  });

  it("seller: protocol 1 keys the chats by id (ascending) and leaves clientDate/clientId out of its messages; 2 lists them newest activity first, with them", async () => {
    const first = await buyer(2, { name: 'First', sellerId: 10 });
    const second = await buyer(2, { name: 'Second', sellerId: 10 });
    await first.client.request('message', { text: 'from first', clientDate: 11, chatId: first.chatId, clientId: 'f1' });
    await second.client.request('message', { text: 'from second', clientDate: 22, chatId: second.chatId, clientId: 's1' });
    const writer = await seller(2);
    await writer.client.request('message', { text: 'to first', clientDate: 33, chatId: first.chatId, clientId: 'k1' });

    const legacy = (await seller()).data;
    expect(legacy.protocol).toBeUndefined();
    expect(Object.keys(legacy.chats)).toEqual([String(first.chatId), String(second.chatId)]);
    const mine = (text: string) => ({ id: expect.any(Number), chatId: first.chatId, text, date: expect.any(Number), my: true });
    const theirs = (chatId: number, text: string) => ({ id: expect.any(Number), chatId, text, date: expect.any(Number), my: false });
    expect(legacy.chats[first.chatId]).toMatchObject({ id: first.chatId, chatter: 'First', sellerId: 10, online: true });
    expect(legacy.chats[first.chatId].messages).toEqual([theirs(first.chatId, 'from first'), mine('to first')]);
    expect(legacy.chats[second.chatId].messages).toEqual([theirs(second.chatId, 'from second')]);

    const ours = (await seller(2)).data;
    // The seller wrote in the first chat last: newest activity first.
    expect(ours.chats.map((c: { id: number }) => c.id)).toEqual([first.chatId, second.chatId]);
    expect(ours.chats[0].messages).toEqual([theirs(first.chatId, 'from first'), { ...mine('to first'), clientDate: 33, clientId: 'k1' }]);

    // The buyer's own messages, likewise, when it signs in again by token.
    const again = await buyer(undefined, { token: first.token, sellerId: 10 });
    expect(again.data.chats[first.chatId].messages[0]).toEqual({ ...theirs(first.chatId, 'from first'), my: true });
    const again2 = await buyer(2, { token: first.token, sellerId: 10 });
    expect(again2.data.chats[0].messages[0]).toMatchObject({ my: true, clientDate: 11, clientId: 'f1' });
  });

  it('activity order is kept in protocol 2 where protocol 1 can only give ascending ids', async () => {
    const first = await buyer(2, { name: 'First', sellerId: 10 });
    const second = await buyer(2, { name: 'Second', sellerId: 10 });
    await second.client.request('message', { text: 'two', clientDate: 1, chatId: second.chatId });
    await first.client.request('message', { text: 'one', clientDate: 2, chatId: first.chatId });
    await second.client.request('message', { text: 'two again', clientDate: 3, chatId: second.chatId });
    expect((await seller(2)).data.chats.map((c: { id: number }) => c.id)).toEqual([second.chatId, first.chatId]);
    expect(Object.keys((await seller()).data.chats)).toEqual([String(first.chatId), String(second.chatId)]);
  });

  it('resumes with since in protocol 1 too (only newer messages, still keyed by id)', async () => {
    const ann = await buyer();
    for (const n of [1, 2, 3]) await ann.client.request('message', { text: `m${n}`, clientDate: n, chatId: ann.chatId });
    const back = await buyer(undefined, { token: ann.token, sellerId: 10, since: { [ann.chatId]: 2 } });
    expect(back.data.chats[ann.chatId].messages.map((m: { text: string }) => m.text)).toEqual(['m3']);
  });
});

describe('message frames', () => {
  it("confirmation: clientDate in both versions; the sender's other sockets: without it in 1, with it in 2; the other side: never", async () => {
    const tab1 = await buyer();
    const tab2 = await buyer(undefined, { token: tab1.token, sellerId: 10 });
    const tab3 = await buyer(2, { token: tab1.token, sellerId: 10 });
    const shop1 = await seller();
    const shop2 = await seller(2);
    const { chatId } = tab1;

    // As the original client sends it: the chat id as the string key it holds, and its own id, date and my.
    const confirmation = await tab1.client.request('message', { text: 'hi', clientDate: 1447933383000, chatId: String(chatId), id: 0, date: 0, my: false });
    const plain = { id: 1, chatId, text: 'hi', date: expect.any(Number) };
    expect(confirmation).toEqual({ command: 'message', data: { ...plain, my: true, clientDate: 1447933383000 } });
    expect((await tab2.client.next('message')).data).toEqual({ ...plain, my: true });
    expect((await tab3.client.next('message')).data).toEqual({ ...plain, my: true, clientDate: 1447933383000 });
    expect((await shop1.client.next('message')).data).toEqual({ ...plain, my: false });
    expect((await shop2.client.next('message')).data).toEqual({ ...plain, my: false });

    // A protocol-2 sender with a clientId: the protocol-1 tab still gets neither field.
    const second = await tab3.client.request('message', { text: 'again', clientDate: 5, chatId, clientId: 'k-2' });
    expect(second.data).toEqual({ id: 2, chatId, text: 'again', date: expect.any(Number), my: true, clientDate: 5, clientId: 'k-2' });
    expect((await tab1.client.next('message')).data).toEqual({ id: 2, chatId, text: 'again', date: expect.any(Number), my: true });
    expect((await tab2.client.next('message')).data).toEqual({ id: 2, chatId, text: 'again', date: expect.any(Number), my: true });
    for (const shop of [shop1, shop2]) expect((await shop.client.next('message')).data).toEqual({ id: 2, chatId, text: 'again', date: expect.any(Number), my: false });

    // A protocol-1 sender that does send a clientId gets it back on its confirmation (and only there).
    const third = await tab1.client.request('message', { text: 'third', clientDate: 6, chatId, clientId: 'k-3' });
    expect(third.data).toMatchObject({ id: 3, my: true, clientDate: 6, clientId: 'k-3' });
    expect((await tab2.client.next('message')).data).toEqual({ id: 3, chatId, text: 'third', date: expect.any(Number), my: true });
    expect((await tab3.client.next('message')).data).toMatchObject({ id: 3, clientDate: 6, clientId: 'k-3' });
    for (const shop of [shop1, shop2]) expect((await shop.client.next('message')).data).toEqual({ id: 3, chatId, text: 'third', date: expect.any(Number), my: false });

    // The seller's side in reverse: its protocol-1 tab sees the protocol-2 tab's message as plain.
    await shop2.client.request('message', { text: 'answer', clientDate: 7, chatId });
    expect((await shop1.client.next('message')).data).toEqual({ id: 4, chatId, text: 'answer', date: expect.any(Number), my: true });
    for (const tab of [tab1, tab2, tab3]) {
      expect((await tab.client.next('message')).data).toEqual({ id: 4, chatId, text: 'answer', date: expect.any(Number), my: false });
    }
    // Nobody got a second copy.
    for (const c of [tab1, tab2, tab3]) expect(await received(c.client, chatId, 'message')).toEqual([]);
    for (const c of [shop1, shop2]) expect(await received(c.client, chatId, 'message')).toEqual([]);
  });

  it.each([
    { my: false, id: 0, date: 0 },
    { my: true, id: 0, date: 0 },
    { my: 'yes', id: 'x', date: '2015-11-19' },
  ])('never refuses a message for the original client\'s extra fields %j', async (extra) => {
    const ann = await buyer();
    const shop = await seller();
    const fromBuyer = await ann.client.request('message', { text: 'b', clientDate: 1, chatId: String(ann.chatId), ...extra });
    expect(fromBuyer.error).toBeUndefined();
    expect(fromBuyer.data).toMatchObject({ id: 1, my: true });
    expect((await shop.client.next('message')).data).toMatchObject({ id: 1, my: false });
    const fromSeller = await shop.client.request('message', { text: 's', clientDate: 2, chatId: String(ann.chatId), ...extra });
    expect(fromSeller.error).toBeUndefined();
    expect(fromSeller.data).toMatchObject({ id: 2, my: true });
  });

  it('history: protocol 1 leaves clientDate/clientId out of own messages, 2 keeps them', async () => {
    const legacy = await buyer();
    const ours = await buyer(2, { token: legacy.token, sellerId: 10 });
    await ours.client.request('message', { text: 'kept', clientDate: 9, chatId: legacy.chatId, clientId: 'h1' });
    await legacy.client.next('message');
    const one = await legacy.client.request('history', { chatId: String(legacy.chatId) });
    expect(one.data).toEqual({ chatId: legacy.chatId, messages: [{ id: 1, chatId: legacy.chatId, text: 'kept', date: expect.any(Number), my: true }], more: false });
    const two = await ours.client.request('history', { chatId: legacy.chatId });
    expect(two.data.messages[0]).toMatchObject({ clientDate: 9, clientId: 'h1' });
  });
});

describe('other pushes', () => {
  it('status and chat are the same in both versions', async () => {
    const shop1 = await seller();
    const shop2 = await seller(2);
    const ann = await buyer();
    for (const shop of [shop1, shop2]) {
      expect((await shop.client.next('chat')).data).toEqual({ id: ann.chatId, chatter: 'Ann', sellerId: 10 });
      expect((await shop.client.next('status')).data).toEqual({ chatId: ann.chatId, status: true });
    }
    ann.client.close();
    for (const shop of [shop1, shop2]) expect((await shop.client.next('status')).data).toEqual({ chatId: ann.chatId, status: false });

    // A buyer: the seller's status right after auth, then on every change.
    shop1.client.close();
    shop2.client.close();
    const legacy = chat.track(await TestClient.connect(chat.url));
    const auth = await legacy.request('auth', { name: 'Bob', sellerId: 10 });
    expect(await legacy.next()).toEqual({ command: 'status', data: { chatId: auth.data.chatId, status: false } });
    await seller();
    expect(await legacy.next()).toEqual({ command: 'status', data: { chatId: auth.data.chatId, status: true } });
  });

  it('typing, read, unread and close reach protocol 2 only (the original protocol has no such pushes)', async () => {
    const legacyBuyer = await buyer();
    const ourBuyer = await buyer(2, { token: legacyBuyer.token, sellerId: 10 });
    const legacyShop = await seller();
    const ourShop = await seller(2);
    const { chatId } = legacyBuyer;
    await legacyBuyer.client.request('message', { text: 'x', clientDate: 1, chatId: String(chatId) });
    await ourBuyer.client.next('message');
    await legacyShop.client.next('message');
    await ourShop.client.next('message');

    ourShop.client.send('typing', { chatId });
    expect((await ourBuyer.client.next('typing')).data).toEqual({ chatId });
    ourShop.client.send('read', { chatId, id: 1 });
    expect((await ourBuyer.client.next('read')).data).toEqual({ chatId, id: 1 });
    expect((await ourShop.client.next('unread')).data).toEqual({ chatId, unread: 0 });
    // A protocol-1 socket may still send them (they are not refused), it just hears none.
    legacyShop.client.send('typing', { chatId: String(chatId) });
    expect((await ourBuyer.client.next('typing')).data).toEqual({ chatId });
    expect(await received(legacyBuyer.client, chatId, 'typing')).toEqual([]);
    expect(await received(legacyBuyer.client, chatId, 'read')).toEqual([]);
    expect(await received(legacyShop.client, chatId, 'unread')).toEqual([]);

    ourShop.client.send('close', { chatId });
    expect((await ourBuyer.client.next('close')).data).toEqual({ chatId });
    expect((await ourShop.client.next('close')).data).toEqual({ chatId });
    expect(await received(legacyShop.client, chatId, 'close')).toEqual([]);
    expect(legacyBuyer.client.buffered('close')).toEqual([]);
    expect(await legacyBuyer.client.request('message', { text: 'late', clientDate: 2, chatId: String(chatId) })).toEqual({ command: 'message', error: 'CHAT_CLOSED' });
  });
});

describe('chat ids as strings', () => {
  /** Each command with the chat id, as buyer (close: as the seller), and how a success shows. */
  const COMMANDS = ['message', 'history', 'typing', 'read', 'close'] as const;
  const dataFor = (command: string, chatId: unknown): Auth =>
    command === 'message' ? { text: 'x', clientDate: 1, chatId } : command === 'read' ? { chatId, id: 1 } : command === 'history' ? { chatId, limit: 5 } : { chatId };

  it.each([undefined, 2])('"7" means 7 for every command (protocol %s)', async (protocol) => {
    const ann = await buyer(protocol);
    const shop = await seller(2);
    const id = String(ann.chatId);
    expect((await ann.client.request('message', dataFor('message', id))).data).toMatchObject({ chatId: ann.chatId, my: true });
    await shop.client.next('message');
    expect((await ann.client.request('history', dataFor('history', id))).data).toMatchObject({ chatId: ann.chatId, messages: [{ id: 1 }] });
    ann.client.send('typing', dataFor('typing', id));
    expect((await shop.client.next('typing')).data).toEqual({ chatId: ann.chatId });
    await shop.client.request('message', { text: 'y', clientDate: 2, chatId: id });
    await ann.client.next('message');
    ann.client.send('read', { chatId: id, id: 2 });
    expect((await shop.client.next('read')).data).toEqual({ chatId: ann.chatId, id: 2 });
    const legacyShop = await seller(protocol);
    legacyShop.client.send('close', { chatId: id });
    expect((await shop.client.next('close')).data).toEqual({ chatId: ann.chatId });
  });

  const malformed: Array<[string, (id: number) => unknown]> = [
    ['leading zero', (id) => `0${id}`],
    ['decimal point', (id) => `${id}.0`],
    ['leading space', (id) => ` ${id}`],
    ['trailing space', (id) => `${id} `],
    ['empty string', () => ''],
    ['plus sign', (id) => `+${id}`],
    ['hexadecimal', (id) => `0x${id.toString(16)}`],
    ['exponent', (id) => `${id}e0`],
    ['negative', (id) => `-${id}`],
    ['other digits', (id) => String(id).replace(/\d/g, (d) => String.fromCharCode(0x660 + Number(d)))],
    ['too long', () => '9'.repeat(17)],
    ['negative number', (id) => -id],
    ['fraction', (id) => id + 0.5],
    ['boolean', () => true],
  ];
  it.each(COMMANDS.flatMap((command) => malformed.map(([name, make]) => [command, name, make] as const)))(
    '%s with a chat id that is a %s: BAD_REQUEST',
    async (command, _name, make) => {
      const ann = await buyer();
      const shop = await seller();
      const client = command === 'close' ? shop.client : ann.client;
      expect(await client.request(command, dataFor(command, make(ann.chatId)))).toEqual({ command, error: 'BAD_REQUEST' });
    },
  );

  it.each(COMMANDS)('%s without a chat id (absent or null): CHAT_ID_IS_REQUIRED', async (command) => {
    const ann = await buyer();
    const shop = await seller();
    const client = command === 'close' ? shop.client : ann.client;
    for (const chatId of [undefined, null]) {
      expect(await client.request(command, dataFor(command, chatId))).toEqual({ command, error: 'CHAT_ID_IS_REQUIRED' });
    }
  });

  it.each(COMMANDS)('%s with 0, "0", or a chat that is not yours (as number or string): CHAT_NOT_FOUND', async (command) => {
    const ann = await buyer();
    const other = await buyer(undefined, { name: 'Other', sellerId: 10 });
    const elsewhere = await buyer(undefined, { name: 'Elsewhere', sellerId: 20 });
    const shop = await seller();
    // The buyer may not close (FORBIDDEN): close is tried by the seller, on another seller's chat.
    const [client, foreign] = command === 'close' ? [shop.client, elsewhere.chatId] : [ann.client, other.chatId];
    for (const chatId of [0, '0', foreign, String(foreign), 99_999, '99999']) {
      expect(await client.request(command, dataFor(command, chatId)), `chatId ${JSON.stringify(chatId)}`).toEqual({ command, error: 'CHAT_NOT_FOUND' });
    }
  });

  it('parses canonical strings to the same request as numbers; read.id and history.before stay numbers', () => {
    const parse = (data: Auth) => parseFrame(JSON.stringify({ command: 'read', data }));
    expect(parse({ chatId: '7', id: 3 })).toEqual(parse({ chatId: 7, id: 3 }));
    expect(parse({ chatId: '7', id: 3 })).toEqual({ ok: true, request: { command: 'read', data: { chatId: 7, id: 3 } } });
    expect(parse({ chatId: 7, id: '3' })).toMatchObject({ ok: false, error: 'BAD_REQUEST' });
    expect(parseFrame(JSON.stringify({ command: 'history', data: { chatId: '7', before: '3' } }))).toMatchObject({ ok: false, error: 'BAD_REQUEST' });
    expect(parseFrame(JSON.stringify({ command: 'message', data: { chatId: String(Number.MAX_SAFE_INTEGER), text: 'x', clientDate: 1 } }))).toMatchObject({
      ok: true,
      request: { data: { chatId: Number.MAX_SAFE_INTEGER } },
    });
    expect(parseFrame(JSON.stringify({ command: 'message', data: { chatId: String(Number.MAX_SAFE_INTEGER + 2), text: 'x', clientDate: 1 } }))).toMatchObject({
      ok: false,
      error: 'BAD_REQUEST',
    });
  });

  it('maps asked protocols to the one spoken', () => {
    expect([undefined, 1, 2, 3, 1000].map(protocolFor)).toEqual([1, 1, 2, 2, 2]);
  });
});

describe('fan-out', () => {
  afterEach(() => vi.restoreAllMocks());

  /** A socket the hub can push to. */
  function fakeSocket(id: string, session: Session) {
    const pushed: string[] = [];
    const socket = { id, open: true, session, push: (text: string) => pushed.push(text) } as unknown as ChatConnection;
    return { socket, pushed };
  }

  it('serialises each push once per (side, version) at most, whatever the number of sockets', async () => {
    const hub = new Hub(localBus(), new EventEmitter());
    const buyerSession = (protocol: 1 | 2): Session => ({ side: 'buyer', sellerId: '10', chatId: 7, buyerId: 1, name: 'Ann', protocol });
    const sellerSession = (protocol: 1 | 2): Session => ({ side: 'seller', sellerId: '10', name: 'Shop', protocol });
    const buyers = [1, 1, 1, 2, 2, 2].map((p, i) => fakeSocket(`b${i}`, buyerSession(p as 1 | 2)));
    const sellers = [1, 1, 2, 2].map((p, i) => fakeSocket(`s${i}`, sellerSession(p as 1 | 2)));
    for (const { socket } of [...buyers, ...sellers]) await hub.add(socket);
    for (const { pushed } of [...buyers, ...sellers]) pushed.splice(0);

    const message: Message = { id: 1, chatId: 7, from: 'buyer', text: 'hi', createdAt: 1_000_000, clientDate: 5, clientId: 'k' };
    const stringify = vi.spyOn(JSON, 'stringify');
    hub.deliver({ type: 'message', sellerId: '10', message, origin: 'b0' });
    // The sender's side: one text per version; the other side: one text for both.
    expect(stringify).toHaveBeenCalledTimes(3);
    const plain = { id: 1, chatId: 7, text: 'hi', date: 1000 };
    expect(buyers[0]!.pushed).toEqual([]);
    for (const { pushed } of buyers.slice(1, 3)) expect(pushed.map((t) => JSON.parse(t))).toEqual([{ command: 'message', data: { ...plain, my: true } }]);
    for (const { pushed } of buyers.slice(3)) {
      expect(pushed.map((t) => JSON.parse(t))).toEqual([{ command: 'message', data: { ...plain, my: true, clientDate: 5, clientId: 'k' } }]);
    }
    for (const { pushed } of sellers) expect(pushed.map((t) => JSON.parse(t))).toEqual([{ command: 'message', data: { ...plain, my: false } }]);

    // An extension push: serialised once, for protocol 2 only.
    stringify.mockClear();
    hub.deliver({ type: 'typing', sellerId: '10', chatId: 7, from: 'seller' });
    expect(stringify).toHaveBeenCalledTimes(1);
    expect(buyers.map(({ pushed }) => pushed.length)).toEqual([0, 1, 1, 2, 2, 2]);
    expect(sellers.map(({ pushed }) => pushed.length)).toEqual([1, 1, 1, 1]);

    // No socket of protocol 1 left on the sender's side: the legacy copy is never serialised.
    for (const { socket } of sellers.slice(0, 2)) await hub.remove(socket);
    stringify.mockClear();
    hub.deliver({ type: 'message', sellerId: '10', message: { ...message, id: 2, from: 'seller' }, origin: 's2' });
    expect(stringify).toHaveBeenCalledTimes(2);
    expect(sellers.map(({ pushed }) => pushed.length)).toEqual([1, 1, 1, 2]);
  });
});
