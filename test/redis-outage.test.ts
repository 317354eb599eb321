/**
 * Redis killed and restarted under two real instances (one PostgreSQL schema): during the outage
 * each instance keeps serving its own sockets (sign-up, sign-in, send, pushes on the same instance,
 * history, read, typing) at normal latency; after it, presence converges within the TTL and the
 * messages of the outage reach the other instance's clients. The Redis is this suite's own
 * redis-server process, never the machine's shared one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Frame } from '../lib/wire/index.js';
import { nextWhere, type TestClient } from './helpers/client.js';
import { type OwnRedis, startOwnRedis } from './helpers/redis.js';
import type { ServerProcess } from './helpers/server-process.js';
import { useStandaloneSuite } from './helpers/standalone-suite.js';

const TTL_MS = 2000;
const SELLER = { id: 10, token: 'iofh3498hwe' };
/** Far above a sign-in or send on this machine (a few ms), far below the 10 s they took when they waited on Redis. */
const NORMAL_MS = 1500;

let redis: OwnRedis;
const suite = useStandaloneSuite('ahchat-redis-outage-');
const { servers, connect } = suite;

/** Signs in (or up) and returns the answer with the time it took. */
async function timedAuth(client: TestClient, data: unknown): Promise<{ auth: Frame<any>; ms: number }> {
  const started = Date.now();
  const auth = await client.request('auth', { protocol: 2, ...(data as object) });
  const ms = Date.now() - started;
  expect(auth.error).toBeUndefined();
  return { auth, ms };
}

/** Sends a message and awaits its confirmation; returns it with the time it took. */
async function timedSend(client: TestClient, chatId: number, text: string): Promise<{ data: any; ms: number }> {
  const started = Date.now();
  client.send('message', { chatId, text, clientDate: started, clientId: text });
  const confirmed = await nextWhere(client, 'message', (d: any) => d.clientId === text);
  expect(confirmed.error).toBeUndefined();
  return { data: confirmed.data, ms: Date.now() - started };
}

async function until(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output:\n${servers.map((s) => s.output()).join('\n---\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const lines = (server: ServerProcess, text: string) => server.output().split('\n').filter((l) => l.includes(text));

beforeAll(async () => {
  redis = await startOwnRedis();
  for (let i = 0; i < 2; i++) await suite.start({ AHCHAT_REDIS_URL: redis.url, AHCHAT_PRESENCE_TTL_MS: String(TTL_MS) });
});

afterAll(async () => {
  await redis?.kill();
});

describe('Redis killed and restarted under two instances', () => {
  it('each instance serves its own sockets during the outage; afterwards presence converges and the outage’s messages cross', async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];

    // Before: a buyer on A, the seller on B, talking across instances.
    const shopB = await connect(b);
    const before = await timedAuth(shopB, SELLER);
    const ann = await connect(a);
    const annAuth = await timedAuth(ann, { name: 'Ann', sellerId: SELLER.id });
    const annChat = annAuth.auth.data.chatId as number;
    expect((await ann.next('status')).data).toEqual({ chatId: annChat, status: true });
    await nextWhere(shopB, 'status', (d: any) => d.chatId === annChat && d.status === true);
    await timedSend(ann, annChat, 'before');
    await nextWhere(shopB, 'message', (d: any) => d.text === 'before');

    // Redis goes away. Both instances say so, once.
    const killedAt = Date.now();
    await redis.kill();
    await until(() => servers.every((s) => lines(s, 'redisBus: Redis unavailable').length === 1), 'both outage lines', 5000);

    // A new buyer signs up on A; the seller, on B, cannot be seen from here: reported offline.
    const bea = await connect(a);
    const beaAuth = await timedAuth(bea, { name: 'Bea', sellerId: SELLER.id });
    const beaChat = beaAuth.auth.data.chatId as number;
    expect((await bea.next('status')).data).toEqual({ chatId: beaChat, status: false });
    // Ann signs in with her token on B too (a second tab), and the seller signs in on A.
    const annB = await connect(b);
    const tokenSignIn = await timedAuth(annB, { token: annAuth.auth.data.token, sellerId: SELLER.id });
    const shopA = await connect(a);
    const sellerSignIn = await timedAuth(shopA, SELLER);
    expect(sellerSignIn.auth.data.chats.map((c: any) => c.id).sort()).toEqual([annChat, beaChat].sort());
    // Ann's chat: online here (her socket is on A); Bea's too.
    expect(sellerSignIn.auth.data.chats.every((c: any) => c.online === true)).toBe(true);

    // Sends on A are stored, confirmed and pushed to the seller's socket on A.
    const sends: number[] = [];
    for (let i = 0; i < 5; i++) {
      const sent = await timedSend(bea, beaChat, `during-bea-${i}`);
      sends.push(sent.ms);
      expect((await nextWhere(shopA, 'message', (d: any) => d.text === `during-bea-${i}`)).data).toMatchObject({ chatId: beaChat, my: false });
    }
    const annDuring = await timedSend(ann, annChat, 'during-ann');
    sends.push(annDuring.ms);
    await nextWhere(shopA, 'message', (d: any) => d.text === 'during-ann');
    // The seller on B answers: stored and confirmed there (it reaches A when Redis is back).
    const reply = await timedSend(shopB, annChat, 'during-reply');
    sends.push(reply.ms);
    // Typing, read and history on A.
    shopA.send('typing', { chatId: beaChat });
    expect((await bea.next('typing')).data).toEqual({ chatId: beaChat });
    shopA.send('read', { chatId: beaChat, id: 5 });
    expect((await bea.next('read')).data).toEqual({ chatId: beaChat, id: 5 });
    const history = await bea.request('history', { chatId: beaChat });
    expect(history.data.messages.map((m: any) => m.text)).toEqual([0, 1, 2, 3, 4].map((i) => `during-bea-${i}`));

    const authMs = [beaAuth.ms, tokenSignIn.ms, sellerSignIn.ms];
    for (const ms of [...authMs, ...sends]) expect(ms).toBeLessThan(NORMAL_MS);
    // Nothing of Bea's crossed to B while Redis was away.
    expect(shopB.buffered('message').filter((f) => f.data.chatId === beaChat)).toEqual([]);

    // The outage lasts beyond the presence TTL (every instance's entry would have expired) and long
    // enough for the clients' reconnect backoff to grow: a fault's length, not a synchronisation.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, killedAt + 2.5 * TTL_MS - Date.now())));
    // Redis comes back (empty: no persistence).
    const outageMs = Date.now() - killedAt;
    const restartedAt = Date.now();
    await redis.restart();

    // The outage's messages reach the other instance: A's to the seller on B, B's reply to Ann on A.
    for (let i = 0; i < 5; i++) {
      expect((await nextWhere(shopB, 'message', (d: any) => d.text === `during-bea-${i}`, 10_000)).data).toMatchObject({ chatId: beaChat, id: i + 1, my: false });
    }
    const firstCrossed = Date.now() - restartedAt;
    await nextWhere(shopB, 'message', (d: any) => d.text === 'during-ann', 5000);
    expect((await nextWhere(ann, 'message', (d: any) => d.text === 'during-reply', 5000)).data).toMatchObject({ chatId: annChat, my: false });
    // Ann's tab on B hears of the seller's reply on B at once (same instance); and of her own message from A now.
    await nextWhere(annB, 'message', (d: any) => d.text === 'during-ann', 5000);
    // Bea's chat, which started during the outage, reaches the seller on B as well.
    expect((await nextWhere(shopB, 'chat', (d: any) => d.id === beaChat, 5000)).data).toEqual({ id: beaChat, chatter: 'Bea', sellerId: 10 });

    // Presence converges within the TTL: Bea (on A) learns the seller is online on B, and the seller
    // on B sees Bea online.
    await nextWhere(bea, 'status', (d: any) => d.chatId === beaChat && d.status === true, TTL_MS + 3000);
    await nextWhere(shopB, 'status', (d: any) => d.chatId === beaChat && d.status === true, TTL_MS + 3000);
    const converged = Date.now() - restartedAt;
    expect(converged).toBeLessThan(TTL_MS + 3000);

    // Back to normal: a new message from A reaches B live.
    await timedSend(bea, beaChat, 'after');
    await nextWhere(shopB, 'message', (d: any) => d.text === 'after', 3000);

    for (const server of servers) {
      expect(lines(server, 'redisBus: Redis unavailable')).toHaveLength(1);
      await until(() => lines(server, 'redisBus: Redis available again').length === 1, 'the end-of-outage line', 5000);
      expect(server.child.exitCode).toBeNull();
    }
    console.info(
      `Redis outage ${outageMs} ms: sign-in ${authMs.join('/')} ms, sends max ${Math.max(...sends)} ms (before: sign-in ${before.ms} ms); ` +
        `after restart: first outage message on the other instance in ${firstCrossed} ms, presence converged in ${converged} ms`,
    );
  });
});
