/**
 * The host's own session identifies people (identifyBuyer / identifySeller): a real Express shop
 * with express-session (a cookie), customers signing in over HTTP, then the chat over real sockets
 * carrying the session cookie, exactly as a browser on the shop's origin would.
 */
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, Server } from 'node:http';
import express from 'express';
import session from 'express-session';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ahChat, type AhChat } from '../lib/ah-chat.js';
import type { AhChatOptions } from '../lib/options.js';
import { memoryStore } from '../lib/store/memory-store.js';
import type { Store } from '../lib/store/store.js';
import { PROTOCOL, silentLogger, testSellers } from './helpers/chat-server.js';
import { TestClient } from './helpers/client.js';

declare module 'express-session' {
  interface SessionData {
    customer?: { id: number; name: string; email?: string };
    seller?: { id: number; name: string };
  }
}

const CUSTOMERS: Record<string, { id: number; name: string; email?: string }> = {
  '1': { id: 1, name: 'Ann Customer', email: 'ann@example.com' },
  '7': { id: 7, name: 'Bob Customer' },
};

interface Shop {
  url: string;
  base: string;
  store: Store;
  chat: AhChat;
  logs: string[];
  /** Signs in over HTTP like a browser would; returns the cookie jar (the session cookie). */
  login(path: string): Promise<string>;
  connect(cookie?: string): Promise<TestClient>;
}

let server: Server | undefined;
let chat: AhChat | undefined;
const clients: TestClient[] = [];

/** The shop: express-session on the app, and the same middleware run on the socket's upgrade request. */
async function startShop(options: Partial<AhChatOptions> = {}): Promise<Shop> {
  const sessions = session({ secret: 'shop-session-secret', resave: false, saveUninitialized: false });
  /** What the README shows: run the host's session middleware on the upgrade request. */
  const sessionOf = (request: IncomingMessage) =>
    new Promise<session.SessionData | undefined>((resolve, reject) => {
      const req = request as express.Request;
      sessions(req, {} as express.Response, (error?: unknown) => (error ? reject(error) : resolve(req.session)));
    });
  const logs: string[] = [];
  const store = memoryStore();
  chat = ahChat({
    ...testSellers,
    store,
    logger: { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    async identifyBuyer(request) {
      const customer = (await sessionOf(request))?.customer;
      return customer ? { id: customer.id, name: customer.name, ...(customer.email ? { email: customer.email } : {}) } : null;
    },
    async identifySeller(request) {
      const seller = (await sessionOf(request))?.seller;
      return seller ?? null;
    },
    ...options,
  });
  const app = express();
  app.use(sessions);
  app.get('/login/:customer', (req, res) => {
    req.session.customer = CUSTOMERS[req.params.customer!];
    res.sendStatus(204);
  });
  app.get('/rename/:name', (req, res) => {
    req.session.customer = { ...req.session.customer!, name: req.params.name! };
    res.sendStatus(204);
  });
  app.get('/seller-login/:id', (req, res) => {
    const seller = testSellers.findSeller!;
    void seller(Number(req.params.id)).then((found) => {
      req.session.seller = { id: Number(found!.id), name: found!.name };
      res.sendStatus(204);
    });
  });
  app.use(chat);
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base.replace('http', 'ws')}/ahchat`,
    base,
    store,
    chat,
    logs,
    async login(path) {
      const response = await fetch(`${base}${path}`);
      expect(response.status).toBe(204);
      const cookie = response.headers.get('set-cookie');
      expect(cookie).toMatch(/^connect\.sid=/);
      return cookie!.split(';')[0]!;
    },
    async connect(cookie) {
      const client = await TestClient.connect(`${base.replace('http', 'ws')}/ahchat`, cookie ? { headers: { cookie } } : {});
      clients.push(client);
      return client;
    },
  };
}

beforeEach(() => {
  server = undefined;
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await chat?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

describe('identifyBuyer: the shop’s signed-in customers', () => {
  it('signs a customer in by the session cookie alone, and two devices (two cookie jars) land in one chat', async () => {
    const shop = await startShop();
    const phone = await shop.login('/login/1');
    const laptop = await shop.login('/login/1');
    expect(laptop).not.toBe(phone);

    const a = await shop.connect(phone);
    const first = await a.request('auth', { sellerId: 10, protocol: PROTOCOL });
    expect(first.error).toBeUndefined();
    expect(first.data).toMatchObject({ name: 'Ann Customer', identified: true, protocol: 2 });
    // No token: the host's session is the key, and a token could outlive the customer's sign-out.
    expect(first.data.token).toBeUndefined();
    await a.next('status');
    const sent = await a.request('message', { chatId: first.data.chatId, text: 'From my phone', clientDate: 1 });
    expect(sent.error).toBeUndefined();

    const b = await shop.connect(laptop);
    const second = await b.request('auth', { sellerId: 10, protocol: PROTOCOL });
    expect(second.data.chatId).toBe(first.data.chatId);
    expect(second.data.chats[0].messages.map((m: { text: string; my: boolean }) => [m.text, m.my])).toEqual([['From my phone', true]]);

    const buyer = await shop.store.findBuyerByExternalId!('1');
    expect(buyer).toMatchObject({ name: 'Ann Customer', email: 'ann@example.com', externalId: '1' });
  });

  it('lets the seller see the customer by the host’s name, and follows a rename at the next sign-in', async () => {
    const shop = await startShop();
    const jar = await shop.login('/login/7');
    const buyer = await shop.connect(jar);
    const auth = await buyer.request('auth', { sellerId: 10, protocol: PROTOCOL });
    buyer.close();

    const seller = await shop.connect(await shop.login('/seller-login/10'));
    const list = await seller.request('auth', { protocol: PROTOCOL });
    expect(list.data.chats.map((c: { id: number; chatter: string }) => [c.id, c.chatter])).toEqual([[auth.data.chatId, 'Bob Customer']]);

    const renamed = await fetch(`${shop.base}/rename/Robert`, { headers: { cookie: jar } });
    expect(renamed.status).toBe(204);
    const again = await shop.connect(jar);
    expect((await again.request('auth', { sellerId: 10, protocol: PROTOCOL })).data).toMatchObject({ chatId: auth.data.chatId, name: 'Robert' });
    expect((await shop.store.getChat(auth.data.chatId))?.chatter).toBe('Robert');
  });

  it('falls back to the usual flows for a visitor the session does not know (null)', async () => {
    const shop = await startShop();
    const visitor = await shop.connect();
    expect((await visitor.request('auth', { sellerId: 10, protocol: PROTOCOL })).error).toBe('NAME_IS_REQUIRED');
    const signedUp = await visitor.request('auth', { sellerId: 10, name: 'Walk-in', protocol: PROTOCOL });
    expect(signedUp.data).toMatchObject({ name: 'Walk-in', token: expect.any(String) });
    expect(signedUp.data.identified).toBeUndefined();
  });

  it('never lets a host id reach one of our anonymous buyers: customer "1" is not anonymous buyer 1', async () => {
    const shop = await startShop();
    const anonymous = await shop.connect();
    const walkIn = await anonymous.request('auth', { sellerId: 10, name: 'Walk-in', protocol: PROTOCOL });
    await anonymous.request('message', { chatId: walkIn.data.chatId, text: 'anonymous secret', clientDate: 1 });
    const walkInBuyer = await shop.store.findBuyerByTokenHash((await import('../lib/chat/tokens.js')).hashToken(walkIn.data.token));
    expect(walkInBuyer?.id).toBe(1);

    const customer = await shop.connect(await shop.login('/login/1'));
    const auth = await customer.request('auth', { sellerId: 10, protocol: PROTOCOL });
    expect(auth.data.chatId).not.toBe(walkIn.data.chatId);
    expect(auth.data.chats[0].messages).toEqual([]);
    // A token the customer's browser still holds does not beat the session either way.
    const withToken = await shop.connect(await shop.login('/login/1'));
    expect((await withToken.request('auth', { sellerId: 10, token: walkIn.data.token, protocol: PROTOCOL })).data.chatId).toBe(auth.data.chatId);
  });

  it('leaves a protocol-1 client that sends a name or token its original flows, token included', async () => {
    const shop = await startShop();
    const jar = await shop.login('/login/1');
    const legacy = await shop.connect(jar);
    const signedUp = await legacy.request('auth', { sellerId: 10, name: 'Old client' });
    expect(Object.keys(signedUp.data).sort()).toEqual(['chatId', 'chats', 'name', 'token']);
    expect(signedUp.data.name).toBe('Old client');
    const again = await shop.connect(jar);
    expect((await again.request('auth', { sellerId: 10, token: signedUp.data.token })).data.chatId).toBe(signedUp.data.chatId);
    // Asking for nothing but a seller, it is the shop's customer (a flow the original README has not).
    const bare = await shop.connect(jar);
    expect((await bare.request('auth', { sellerId: 10 })).data).toMatchObject({ name: 'Ann Customer' });
  });

  it('answers INTERNAL_ERROR when identifyBuyer throws, logging only the error’s kind', async () => {
    const shop = await startShop({
      async identifyBuyer() {
        throw new TypeError('session store down for ann@example.com');
      },
    });
    const client = await shop.connect(await shop.login('/login/1'));
    expect((await client.request('auth', { sellerId: 10, protocol: PROTOCOL })).error).toBe('INTERNAL_ERROR');
    expect(shop.logs).toEqual(['identifyBuyer failed: TypeError']);
  });

  it('answers INTERNAL_ERROR, naming the field, when identifyBuyer gives a wrong shape', async () => {
    const shop = await startShop({ identifyBuyer: async () => ({ id: 3, name: '   ' }) });
    const client = await shop.connect();
    expect((await client.request('auth', { sellerId: 10, protocol: PROTOCOL })).error).toBe('INTERNAL_ERROR');
    expect(shop.logs).toEqual(['identifyBuyer: name must be 1–100 characters with something visible']);
  });
});

describe('identifySeller: the seller’s own session, no token in the page', () => {
  it('signs the seller in with auth {} and shows the chats; without the session auth {} is what it was', async () => {
    const shop = await startShop();
    const buyer = await shop.connect(await shop.login('/login/7'));
    const bought = await buyer.request('auth', { sellerId: 10, protocol: PROTOCOL });
    await buyer.next('status');

    const seller = await shop.connect(await shop.login('/seller-login/10'));
    const auth = await seller.request('auth', { protocol: PROTOCOL });
    expect(auth.error).toBeUndefined();
    expect(auth.data).toMatchObject({ name: 'Shop Ten', protocol: 2 });
    expect(auth.data.chats.map((c: { id: number }) => c.id)).toEqual([bought.data.chatId]);
    // The seller answers; the buyer hears it.
    await seller.request('message', { chatId: bought.data.chatId, text: 'Hello Bob', clientDate: 1 });
    expect((await buyer.next('message')).data).toMatchObject({ text: 'Hello Bob', my: false });

    const stranger = await shop.connect();
    expect((await stranger.request('auth', { protocol: PROTOCOL })).error).toBe('SELLER_ID_IS_REQUIRED');
    // A customer's session is no seller's.
    const customer = await shop.connect(await shop.login('/login/7'));
    expect((await customer.request('auth', {})).error).toBe('SELLER_ID_IS_REQUIRED');
  });

  it('leaves the token sign-in as it was, session or not', async () => {
    const shop = await startShop();
    const seller = await shop.connect(await shop.login('/seller-login/10'));
    expect((await seller.request('auth', { id: 20, token: 'wrong' })).error).toBe('USER_IS_NOT_SELLER');
    const twenty = await seller.request('auth', { id: 20, token: 'secret-twenty' });
    expect(twenty.data).toEqual({ name: 'Shop Twenty', chats: {} });
  });
});

describe('options', () => {
  it('refuses identify hooks that are not functions, and a store without the identity methods', () => {
    expect(() => ahChat({ ...testSellers, identifyBuyer: 'yes' as never })).toThrow('ahChat: option "identifyBuyer" must be a function, got "yes"');
    const { upsertBuyer: _u, findBuyerByExternalId: _f, ...older } = memoryStore();
    expect(() => ahChat({ ...testSellers, store: older as Store, logger: silentLogger, identifyBuyer: async () => null })).toThrow(
      'ahChat: option "store" must be a store with findBuyerByExternalId, upsertBuyer (identifyBuyer/identitySecret need them), got one without findBuyerByExternalId, upsertBuyer',
    );
  });
});
