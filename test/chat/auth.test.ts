/**
 * lib/chat/auth.ts: which path an auth request takes (seller by id and token, buyer sign-up by name,
 * buyer sign-in by token, the host's identity), the exact error of each refusal, the seller
 * sign-in throttle in front of authSeller, and a failed auth leaving the socket signed out.
 */
import { describe, expect, it } from 'vitest';
import { signIdentity } from '../../lib/chat/identity.js';
import type { AhChatOptions } from '../../lib/options.js';
import { PROTOCOL, SELLERS, startChat, testSellers } from '../helpers/chat-server.js';
import { TestClient } from '../helpers/client.js';
import { useTeardown } from '../helpers/teardown.js';

const SECRET = 'a-secret-of-at-least-thirty-two-chars!';
const scene = useTeardown();

async function start(options: Partial<AhChatOptions> = {}) {
  scene.running = await startChat(options);
}

async function socket(headers: Record<string, string> = {}): Promise<TestClient> {
  const client = await TestClient.connect(scene.running.url, { headers });
  scene.clients.push(client);
  return client;
}

const auth = async (data: Record<string, unknown>, headers?: Record<string, string>) => (await socket(headers)).request('auth', { protocol: PROTOCOL, ...data });

describe('auth: sellers', () => {
  it('signs a seller in by id and token with its name; refuses a wrong token, a missing one and an unknown id alike', async () => {
    await start();
    expect((await auth({ id: 10, token: SELLERS['10']!.token })).data).toMatchObject({ name: 'Shop Ten', chats: [], protocol: 2 });
    for (const data of [{ id: 10, token: 'wrong' }, { id: 10 }, { id: 99, token: SELLERS['10']!.token }]) {
      expect(await auth(data), JSON.stringify(data)).toEqual({ command: 'auth', error: 'USER_IS_NOT_SELLER' });
    }
  });

  it('asks authSeller nothing while the address waits after its failures: RATE_LIMITED with retryAfterMs, even for the right token', async () => {
    let asked = 0;
    await start({
      trustProxy: true,
      sellerSignInLimit: { failures: 2, maxDelayMs: 60_000 },
      authSeller: async (credentials) => {
        asked++;
        return testSellers.authSeller(credentials);
      },
    });
    const guesser = { 'x-forwarded-for': '203.0.113.9' };
    expect((await auth({ id: 10, token: 'guess-1' }, guesser)).error).toBe('USER_IS_NOT_SELLER');
    expect((await auth({ id: 10, token: 'guess-2' }, guesser)).error).toBe('USER_IS_NOT_SELLER');
    const limited = await auth({ id: 10, token: SELLERS['10']!.token }, guesser);
    expect(limited.error).toBe('RATE_LIMITED');
    expect(limited.data.retryAfterMs).toBeGreaterThan(0);
    expect(limited.data.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(asked).toBe(2);
    // The guessed seller id waits from every address; another seller from another address does not.
    expect((await auth({ id: 10, token: SELLERS['10']!.token }, { 'x-forwarded-for': '198.51.100.7' })).error).toBe('RATE_LIMITED');
    expect((await auth({ id: 20, token: SELLERS['20']!.token }, { 'x-forwarded-for': '198.51.100.7' })).error).toBeUndefined();
    expect(asked).toBe(3);
  });
});

describe('auth: buyers', () => {
  it('refuses, in this order: no sellerId, a seller findSeller does not know, no name for a sign-up, an unknown token', async () => {
    await start();
    expect(await auth({ name: 'Ann' })).toEqual({ command: 'auth', error: 'SELLER_ID_IS_REQUIRED' });
    expect(await auth({ name: 'Ann', sellerId: 99 })).toEqual({ command: 'auth', error: 'SELLER_NOT_FOUND' });
    expect(await auth({ sellerId: 10 })).toEqual({ command: 'auth', error: 'NAME_IS_REQUIRED' });
    expect(await auth({ sellerId: 10, name: ' \u200b ' })).toEqual({ command: 'auth', error: 'NAME_IS_REQUIRED' });
    expect(await auth({ sellerId: 10, token: 'no-such-token' })).toEqual({ command: 'auth', error: 'USER_NOT_FOUND' });
  });

  it('takes a findSeller answer without a usable id as nobody: SELLER_NOT_FOUND, and no chat is opened', async () => {
    // A host's lookup in a plain object finds its own properties too: 'constructor' gives Object.
    const lookup: Record<string, { id: number; name: string }> = { '10': { id: 10, name: 'Shop Ten' } };
    await start({ findSeller: async (id) => lookup[String(id)] as never });
    expect(await auth({ name: 'Ann', sellerId: 'constructor' })).toEqual({ command: 'auth', error: 'SELLER_NOT_FOUND' });
    expect(await scene.running!.chat.store.getChat(1)).toBeNull();
    expect((await auth({ name: 'Ann', sellerId: 10 })).data).toMatchObject({ chatId: 1 });
  });

  it('signs up with a name (a token and a chat), signs back in with the token (the same chat, no token), and opens a second chat with another seller', async () => {
    await start();
    const up = await auth({ sellerId: 10, name: 'Ann' });
    expect(up.data).toMatchObject({ name: 'Ann', chatId: expect.any(Number), token: expect.stringMatching(/^[\w-]{32,}$/) });
    const back = await auth({ sellerId: 10, token: up.data.token });
    expect(back.data).toMatchObject({ name: 'Ann', chatId: up.data.chatId });
    expect(back.data.token).toBeUndefined();
    const elsewhere = await auth({ sellerId: 20, token: up.data.token });
    expect(elsewhere.data.chatId).not.toBe(up.data.chatId);
    expect(elsewhere.data.chats[0]).toMatchObject({ chatter: 'Shop Twenty', sellerId: 20 });
  });

  it('gives the buyer the seller’s status right after the answer', async () => {
    await start();
    const client = await socket();
    const answer = await client.request('auth', { sellerId: 10, name: 'Ann', protocol: PROTOCOL });
    expect(await client.next()).toEqual({ command: 'status', data: { chatId: answer.data.chatId, status: false } });
  });

  it('signs up a guest without a name when nameRequired is false: "Guest" and four digits, guest: true', async () => {
    await start({ nameRequired: false });
    const guest = await auth({ sellerId: 10 });
    expect(guest.data.name).toMatch(/^Guest \d{4}$/);
    expect(guest.data.guest).toBe(true);
    expect((await auth({ sellerId: 10, name: 'Bob' })).data.guest).toBeUndefined();
  });

  it('counts sign-ups per address: RATE_LIMITED past signUpRateLimit, other addresses unaffected', async () => {
    await start({ trustProxy: true, signUpRateLimit: { count: 2, intervalMs: 3_600_000 } });
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    expect((await auth({ sellerId: 10, name: 'A' }, from('203.0.113.1'))).error).toBeUndefined();
    expect((await auth({ sellerId: 10, name: 'B' }, from('203.0.113.1'))).error).toBeUndefined();
    expect(await auth({ sellerId: 10, name: 'C' }, from('203.0.113.1'))).toEqual({ command: 'auth', error: 'RATE_LIMITED' });
    expect((await auth({ sellerId: 10, name: 'D' }, from('203.0.113.2'))).error).toBeUndefined();
  });
});

describe('auth: the host’s identity', () => {
  it('a signed identity without identitySecret is IDENTITY_INVALID (invalid), never an anonymous sign-in', async () => {
    await start();
    const identity = await signIdentity({ id: 'cust-1', name: 'Ann' }, SECRET);
    expect(await auth({ sellerId: 10, identity })).toEqual({ command: 'auth', error: 'IDENTITY_INVALID', data: { reason: 'invalid' } });
  });

  it('takes a seller from its identity when the request names no seller, and a buyer from its identity when it does', async () => {
    await start({ identitySecret: SECRET });
    const seller = await auth({ identity: await signIdentity({ id: 10, name: 'Shop Ten' }, SECRET, { side: 'seller' }) });
    expect(seller.data).toMatchObject({ name: 'Shop Ten', chats: [] });
    const buyer = await auth({ sellerId: 10, identity: await signIdentity({ id: 'cust-1', name: 'Ann' }, SECRET) });
    expect(buyer.data).toMatchObject({ name: 'Ann', identified: true });
    expect(buyer.data.token).toBeUndefined();
  });

  it('identifyBuyer sees the upgrade request; a hook that throws answers INTERNAL_ERROR and logs only the error’s kind', async () => {
    const lines: string[] = [];
    await start({
      logger: { info() {}, warn() {}, error: (m) => lines.push(m) },
      identifyBuyer: async (request) => {
        const cookie = request.headers.cookie ?? '';
        if (cookie === 'session=broken') throw new TypeError('session of ann@example.org is corrupt');
        return cookie === 'session=ann' ? { id: 'cust-ann', name: 'Ann' } : null;
      },
    });
    expect((await auth({ sellerId: 10 }, { cookie: 'session=ann' })).data).toMatchObject({ name: 'Ann', identified: true });
    // No session: an ordinary sign-up, which needs a name.
    expect((await auth({ sellerId: 10 }, { cookie: 'session=none' })).error).toBe('NAME_IS_REQUIRED');
    expect(await auth({ sellerId: 10, name: 'Ann' }, { cookie: 'session=broken' })).toEqual({ command: 'auth', error: 'INTERNAL_ERROR' });
    expect(lines).toEqual(['identifyBuyer failed: TypeError']);
  });
});

describe('auth: a failed sign-in', () => {
  it('leaves the socket signed out: other commands are NOT_AUTHORIZED and a second auth is taken', async () => {
    await start();
    const client = await socket();
    expect((await client.request('auth', { sellerId: 10, token: 'unknown' })).error).toBe('USER_NOT_FOUND');
    expect((await client.request('history', { chatId: 1 })).error).toBe('NOT_AUTHORIZED');
    expect((await client.request('auth', { sellerId: 10, name: 'Ann', protocol: PROTOCOL })).error).toBeUndefined();
  });
});
