/**
 * Two real standalone server processes sharing one PostgreSQL schema and one Redis prefix:
 * conversation across instances, pushes across instances, an instance killed with SIGKILL, and
 * concurrent writers to one chat on both instances.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Frame } from '../lib/wire/index.js';
import { nextWhere, type TestClient } from './helpers/client.js';
import { testDatabaseUrl } from './helpers/postgres.js';
import { connectTestRedis, dropPrefix, freshPrefix, testRedisUrl } from './helpers/redis.js';
import { runServerExpectingFailure, SELLERS_ENV, type ServerProcess } from './helpers/server-process.js';
import { useStandaloneSuite } from './helpers/standalone-suite.js';

const TTL_MS = 2000;
const SELLER = { id: 10, token: 'iofh3498hwe', protocol: 2 };

let redis: Redis;
const prefix = freshPrefix();
const suite = useStandaloneSuite('ahchat-scale-');
const { schema, dataDir, servers, connect } = suite;

const startInstance = () =>
  suite.start({ AHCHAT_REDIS_URL: testRedisUrl, AHCHAT_REDIS_PREFIX: prefix, AHCHAT_PRESENCE_TTL_MS: String(TTL_MS) });

async function seller(server: ServerProcess): Promise<TestClient> {
  const client = await connect(server);
  const auth = await client.request('auth', SELLER);
  expect(auth.error).toBeUndefined();
  return client;
}

async function buyer(server: ServerProcess, data: { name: string } | { token: string }) {
  const client = await connect(server);
  const auth = await client.request('auth', { ...data, sellerId: SELLER.id, protocol: 2 });
  expect(auth.error).toBeUndefined();
  const status = await client.next('status');
  return { client, chatId: auth.data.chatId as number, token: (auth.data.token as string | undefined) ?? '', status: status.data.status as boolean };
}


const send = (client: TestClient, chatId: number, text: string, clientId: string) =>
  client.send('message', { chatId, text, clientDate: Date.now(), clientId });

beforeAll(async () => {
  redis = await connectTestRedis();
  // Both start on an empty schema at once: the migration must run exactly once.
  await Promise.all([startInstance(), startInstance()]);
});

afterAll(async () => {
  if (redis) {
    await dropPrefix(redis, prefix);
    redis.disconnect();
  }
});

describe('two instances on one PostgreSQL and one Redis', () => {
  it('migrated the shared schema once', async () => {
    const { rows } = await suite.database.query(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`);
    expect(rows).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }]);
  });

  it("a buyer's page context, its messages' context and a guest's new name cross instances, stored in PostgreSQL", async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const shop = await seller(b);
    const kettle = { title: 'Blue kettle', url: 'https://shop.example/kettle', price: 12.5 };
    const client = await connect(a);
    const auth = await client.request('auth', { name: 'Cat', sellerId: SELLER.id, protocol: 2, context: kettle });
    const chatId = auth.data.chatId as number;
    expect((await nextWhere(shop, 'context', (d: any) => d.chatId === chatId)).data).toEqual({ chatId, context: kettle });
    send(client, chatId, 'Still there?', 'k1');
    expect((await nextWhere(shop, 'message', (d: any) => d.chatId === chatId)).data).toMatchObject({ text: 'Still there?', context: kettle });
    await client.request('profile', { name: 'Catherine' });
    expect((await nextWhere(shop, 'chatter', (d: any) => d.chatId === chatId)).data).toEqual({ chatId, chatter: 'Catherine' });
    const relist = await connect(b);
    const listed = await relist.request('auth', SELLER);
    expect(listed.data.chats.find((c: any) => c.id === chatId)).toMatchObject({ chatter: 'Catherine', context: kettle });
    // Leave the seller offline again, as the next test expects to find it.
    for (const socket of [shop, relist, client]) socket.close();
    await Promise.all([shop.closed, relist.closed, client.closed]);
  });

  it('a chat the seller on B reopens reaches the buyer’s open tab on A, which writes in it again', async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const shop = await seller(b);
    const dan = await buyer(a, { name: 'Dan' });
    send(dan.client, dan.chatId, 'Hello?', 'd1');
    await nextWhere(shop, 'message', (d: any) => d.chatId === dan.chatId);
    shop.send('close', { chatId: dan.chatId });
    await nextWhere(dan.client, 'close', (d: any) => d.chatId === dan.chatId);
    expect((await shop.request('reopen', { chatId: dan.chatId })).error).toBeUndefined();
    expect((await nextWhere(dan.client, 'chat', (d: any) => d.id === dan.chatId)).data).toEqual({ id: dan.chatId, chatter: 'Shop', sellerId: 10 });
    send(dan.client, dan.chatId, 'Back again', 'd2');
    expect((await nextWhere(dan.client, 'message', (d: any) => d.clientId === 'd2')).error).toBeUndefined();
    expect((await nextWhere(shop, 'message', (d: any) => d.chatId === dan.chatId)).data).toMatchObject({ text: 'Back again', my: false });
    // Leave the seller offline again, as the next test expects to find it.
    for (const socket of [shop, dan.client]) socket.close();
    await Promise.all([shop.closed, dan.client.closed]);
  });

  it('a buyer on A and a seller on B converse in real time; chat and status cross instances', async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const shop = await seller(b);

    const ann = await buyer(a, { name: 'Ann' });
    expect(ann.status).toBe(true); // the seller's socket is on B
    const chat = await nextWhere(shop, 'chat', (d: any) => d.id === ann.chatId);
    expect(chat.data).toEqual({ id: ann.chatId, chatter: 'Ann', sellerId: 10 });
    await nextWhere(shop, 'status', (d: any) => d.chatId === ann.chatId && d.status === true);

    send(ann.client, ann.chatId, 'Is it in stock?', 'a1');
    const confirmed = await ann.client.next('message');
    expect(confirmed.data).toMatchObject({ id: 1, text: 'Is it in stock?', my: true, clientId: 'a1' });
    const pushed = await shop.next('message');
    expect(pushed.data).toMatchObject({ id: 1, chatId: ann.chatId, text: 'Is it in stock?', my: false });

    send(shop, ann.chatId, 'Yes, two left', 's1');
    expect((await shop.next('message')).data).toMatchObject({ id: 2, my: true });
    expect((await ann.client.next('message')).data).toMatchObject({ id: 2, text: 'Yes, two left', my: false });

    shop.send('typing', { chatId: ann.chatId });
    expect((await ann.client.next('typing')).data).toEqual({ chatId: ann.chatId });
    shop.send('read', { chatId: ann.chatId, id: 1 });
    expect((await ann.client.next('read')).data).toEqual({ chatId: ann.chatId, id: 1 });

    // The seller's presence crosses too: last socket on B closes → the buyer on A hears it.
    shop.close();
    await nextWhere(ann.client, 'status', (d: any) => d.status === false);
    const again = await seller(a);
    await nextWhere(ann.client, 'status', (d: any) => d.status === true);
    again.close();
    await nextWhere(ann.client, 'status', (d: any) => d.status === false);
    ann.client.close();
  });

  it('SIGKILL on A: the seller on B sees A’s buyer go offline within the TTL, and nothing confirmed is lost', async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const shop = await seller(b);
    const bob = await buyer(a, { name: 'Bob' });
    await nextWhere(shop, 'status', (d: any) => d.chatId === bob.chatId && d.status === true);

    for (let i = 0; i < 12; i++) send(bob.client, bob.chatId, `m${i}`, `b${i}`);
    await nextWhere(shop, 'message', (d: any) => d.chatId === bob.chatId && d.text === 'm5');
    const killed = Date.now();
    await a.kill('SIGKILL');
    servers.splice(servers.indexOf(a), 1);

    const offline = await nextWhere(shop, 'status', (d: any) => d.chatId === bob.chatId, TTL_MS + 3000);
    const elapsed = Date.now() - killed;
    expect(offline.data).toEqual({ chatId: bob.chatId, status: false });
    // The TTL bounds the time from the last heartbeat; the slack covers timers on a busy machine.
    expect(elapsed).toBeLessThanOrEqual(TTL_MS + 700);
    console.info(`killed instance's buyer reported offline after ${elapsed} ms (TTL ${TTL_MS} ms)`);

    await bob.client.closed;
    const confirmed = bob.client.buffered('message').map((f) => f.data as { id: number; text: string });
    expect(confirmed.length).toBeGreaterThanOrEqual(6);
    const history = await shop.request('history', { chatId: bob.chatId, limit: 200 });
    const stored = new Map((history.data.messages as { id: number; text: string }[]).map((m) => [m.id, m.text]));
    for (const m of confirmed) expect(stored.get(m.id)).toBe(m.text);
    // Stored ids are 1..n with no gap, whatever the kill interrupted.
    expect([...stored.keys()]).toEqual(Array.from({ length: stored.size }, (_, i) => i + 1));
    shop.close();
  });

  it('concurrent writers on both instances to one chat get unique, increasing ids', async () => {
    const b = servers[0]!;
    const a2 = await startInstance(); // A again, as a new process
    const cid = await buyer(a2, { name: 'Cid' });
    const tabs = [
      { client: cid.client, tag: 'ba' },
      { client: (await buyer(b, { token: cid.token })).client, tag: 'bb' },
      { client: await seller(b), tag: 'sb' },
      { client: await seller(a2), tag: 'sa' },
    ];
    const perTab = 15;
    for (let i = 0; i < perTab; i++) for (const tab of tabs) send(tab.client, cid.chatId, `${tab.tag}${i}`, `${tab.tag}${i}`);

    // Each tab's own confirmations carry its clientIds; other frames on it are pushes.
    const seenBy = tabs.map(() => new Map<number, string>());
    const confirmedIds: number[][] = tabs.map(() => []);
    await Promise.all(
      tabs.map(async (tab, t) => {
        while (seenBy[t]!.size < perTab * tabs.length) {
          const frame = await tab.client.next('message', 5000);
          expect(frame.error).toBeUndefined();
          const m = frame.data as { id: number; text: string; clientId?: string };
          expect(seenBy[t]!.has(m.id)).toBe(false); // every message once per socket
          seenBy[t]!.set(m.id, m.text);
          if (m.clientId?.startsWith(tab.tag)) confirmedIds[t]!.push(m.id);
        }
      }),
    );
    const all = confirmedIds.flat().sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: perTab * tabs.length }, (_, i) => i + 1));
    for (const ids of confirmedIds) {
      expect(ids).toHaveLength(perTab);
      expect(ids).toEqual([...ids].sort((x, y) => x - y)); // a socket's messages keep their order
    }
    // Every socket, on either instance, saw the same id → text mapping.
    for (const seen of seenBy.slice(1)) expect(seen).toEqual(seenBy[0]);
    const history = await tabs[2]!.client.request('history', { chatId: cid.chatId, limit: 200 });
    expect(new Map((history.data.messages as { id: number; text: string }[]).map((m) => [m.id, m.text]))).toEqual(seenBy[0]);
  });
});

describe('scale-out configuration of the standalone server', () => {
  it.each([
    [{ AHCHAT_DATABASE_URL: testDatabaseUrl, AHCHAT_DATABASE_SCHEMA: 'Shop-1' }, /^ahchat: AHCHAT_DATABASE_SCHEMA must be a lower-case SQL identifier/],
    [{ AHCHAT_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' }, /^ahchat: AHCHAT_DATABASE_URL: cannot prepare the database: .*ECONNREFUSED/],
    [{ AHCHAT_REDIS_URL: testRedisUrl, AHCHAT_PRESENCE_TTL_MS: '100' }, /^ahchat: AHCHAT_PRESENCE_TTL_MS must be an integer of at least 300/],
  ])('exits 1 with one line naming the variable for %j', async (env, message) => {
    const { code, output } = await runServerExpectingFailure({ AHCHAT_SELLERS: SELLERS_ENV, AHCHAT_ORIGINS: 'http://shop.example', AHCHAT_DB: dataDir, ...env });
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toHaveLength(1);
    expect(output.trim()).toMatch(message);
  });
});
