/**
 * New chats cost storage and a place in a seller's list (issue 13, item 8): a buyer token signing in
 * with one sellerId after another is limited per address and per buyer as signUpRateLimit says,
 * even without findSeller; signing in to a chat the buyer already has is never limited.
 */
import { describe, expect, it } from 'vitest';
import { TestClient } from '../helpers/client.js';
import { silentLogger, startChat } from '../helpers/chat-server.js';
import { useTeardown } from '../helpers/teardown.js';

const scene = useTeardown();

async function from(ip: string): Promise<TestClient> {
  const client = await TestClient.connect(scene.running.url, { headers: { 'x-forwarded-for': ip } });
  scene.clients.push(client);
  return client;
}

/** Signs in with `token` to `sellerId` on a fresh socket from `ip`; the answer's error, or the chat id. */
async function signIn(ip: string, token: string, sellerId: string | number): Promise<string | number> {
  const client = await from(ip);
  const answer = await client.request('auth', { token, sellerId });
  client.close();
  return answer.error ?? answer.data.chatId;
}

describe('new chats per buyer token and per address', () => {
  it('stops one token from one address at its budget (100, the sign-up included), with no findSeller', async () => {
    // The host gives no findSeller: any sellerId opens a chat. The default count over an hour, so
    // that no token is refilled while the test runs (the default minute refills one per 600 ms).
    scene.running = await startChat({ findSeller: undefined, logger: silentLogger, trustProxy: true, signUpRateLimit: { count: 100, intervalMs: 3_600_000 } });
    const signUp = await (await from('203.0.113.20')).request('auth', { name: 'Collector', sellerId: 'seller-0' });
    const token = signUp.data.token as string;
    const answers: Array<string | number> = [];
    for (let i = 1; i <= 120; i++) answers.push(await signIn('203.0.113.20', token, `seller-${i}`));
    expect(answers.filter((a) => typeof a === 'number')).toHaveLength(99);
    expect(answers.slice(99)).toEqual(Array(21).fill('RATE_LIMITED'));
    // The chats the buyer has stay open to it.
    expect(typeof (await signIn('203.0.113.20', token, 'seller-0'))).toBe('number');
    expect(typeof (await signIn('203.0.113.20', token, 'seller-42'))).toBe('number');
  });

  it('counts per buyer across addresses and per address across buyers; refused attempts store nothing', async () => {
    scene.running = await startChat({ findSeller: undefined, logger: silentLogger, trustProxy: true, signUpRateLimit: { count: 3, intervalMs: 3_600_000 } });
    const { data } = await (await from('198.51.100.1')).request('auth', { name: 'Roamer', sellerId: 'a' });
    const token = data.token as string;
    // Address 1: the sign-up took one of its three, so two new chats, then RATE_LIMITED.
    expect(typeof (await signIn('198.51.100.1', token, 'b'))).toBe('number');
    expect(typeof (await signIn('198.51.100.1', token, 'c'))).toBe('number');
    expect(await signIn('198.51.100.1', token, 'd')).toBe('RATE_LIMITED');
    // Address 2: the buyer has spent two of its own three: one more, then RATE_LIMITED.
    expect(typeof (await signIn('198.51.100.2', token, 'd'))).toBe('number');
    expect(await signIn('198.51.100.2', token, 'e')).toBe('RATE_LIMITED');
    // Address 2 still has budget for someone else.
    expect((await (await from('198.51.100.2')).request('auth', { name: 'Neighbour', sellerId: 'e' })).error).toBeUndefined();
    // A known chat is not limited, from anywhere.
    expect(typeof (await signIn('198.51.100.1', token, 'a'))).toBe('number');
    for (const seller of ['a', 'b', 'c', 'd', 'e']) {
      const chats = await scene.running.chat.store.listChats(seller, { limit: 10 });
      expect(chats.map((c) => c.chatter)).toEqual(seller === 'e' ? ['Neighbour'] : ['Roamer']);
    }
  });
});
