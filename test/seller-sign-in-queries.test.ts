/**
 * A seller's sign-in reads its chats' recent messages in one batch: on PostgreSQL the answer costs a
 * constant number of queries however many chats the seller has, and carries what a per-chat read
 * would (the newest historyLimit messages, `more` when there are older ones, `since` per chat).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresStore, type PostgresStore } from '../lib/store/postgres/postgres-store.js';
import { PROTOCOL, SELLERS, startChat, type RunningChat } from './helpers/chat-server.js';
import { TestClient } from './helpers/client.js';
import { connectTestDatabase, dropSchema, freshSchemaName, testDatabaseUrl } from './helpers/postgres.js';

const schema = freshSchemaName();
let admin: pg.Pool;
let pool: pg.Pool;
let store: PostgresStore;
let running: RunningChat;
/** Texts of the queries the store sent. */
const sent: string[] = [];
const CHATS = 30;

beforeAll(async () => {
  admin = await connectTestDatabase();
  pool = new pg.Pool({ connectionString: testDatabaseUrl, connectionTimeoutMillis: 3000 });
  pool.on('error', () => {});
  const query = pool.query.bind(pool) as (config: unknown, values?: unknown) => Promise<pg.QueryResult>;
  (pool as unknown as { query: typeof query }).query = (config, values) => {
    sent.push(typeof config === 'string' ? config : (config as { text: string }).text);
    return query(config, values);
  };
  store = postgresStore({ pool, schema });
  for (let i = 0; i < CHATS; i++) {
    const buyer = await store.createBuyer({ name: `B${i}`, tokenHash: `signin-${i}` });
    const { chat } = await store.openChat({ buyerId: buyer.id, sellerId: '10', chatter: buyer.name });
    // Chat i holds i messages.
    await Promise.all(Array.from({ length: i }, (_, k) => store.appendMessage({ chatId: chat.id, from: k % 2 ? 'seller' : 'buyer', text: `c${i}m${k + 1}`, clientDate: k })));
  }
  running = await startChat({ store, historyLimit: 20 });
}, 60_000);

afterAll(async () => {
  await running?.stop();
  await pool?.end();
  if (admin) {
    await dropSchema(admin, schema);
    await admin.end();
  }
});

describe('seller sign-in on PostgreSQL', () => {
  it('costs a constant number of queries and answers every chat with its recent messages', async () => {
    const client = await TestClient.connect(running.url);
    try {
      sent.length = 0;
      const auth = await client.request('auth', { id: 10, token: SELLERS['10']!.token, protocol: PROTOCOL });
      expect(auth.error).toBeUndefined();
      // listChats and one batch read, whatever the number of chats.
      expect(sent).toHaveLength(2);
      const chats: any[] = auth.data.chats;
      expect(chats).toHaveLength(CHATS);
      for (const chat of chats) {
        const stored = await store.listMessages(chat.id, { limit: 100 });
        expect(chat.messages.map((m: any) => m.text)).toEqual(stored.slice(-20).map((m) => m.text));
        expect(chat.more).toBe(stored.length > 20);
      }
    } finally {
      client.close();
    }
  });

  it('with since, each chat carries only what came after its own marker', async () => {
    const probe = await store.listChats('10', { limit: 100 });
    const big = probe.find((c) => c.lastMessageId === CHATS - 1)!;
    const small = probe.find((c) => c.lastMessageId === 5)!;
    const client = await TestClient.connect(running.url);
    try {
      sent.length = 0;
      const since = { [big.id]: CHATS - 3, [small.id]: 5 };
      const auth = await client.request('auth', { id: 10, token: SELLERS['10']!.token, protocol: PROTOCOL, since });
      expect(sent).toHaveLength(2);
      const byId = new Map((auth.data.chats as any[]).map((c) => [c.id, c]));
      expect(byId.get(big.id).messages.map((m: any) => m.id)).toEqual([CHATS - 2, CHATS - 1]);
      expect(byId.get(small.id).messages).toEqual([]);
    } finally {
      client.close();
    }
  });
});
