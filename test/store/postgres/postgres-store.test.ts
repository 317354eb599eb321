import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresStore } from '../../../lib/store/postgres/postgres-store.js';
import { connectTestDatabase, dropSchema, freshSchemaName, testDatabaseUrl } from '../../helpers/postgres.js';
import { storeContract } from '../contract.js';
import { inboxContract } from '../inbox-contract.js';

let admin: pg.Pool;

beforeAll(async () => {
  admin = await connectTestDatabase();
});
afterAll(async () => {
  await admin?.end();
});

/** A store on a schema of its own; cleanup closes it and drops the schema. */
async function storeOnFreshSchema(schema = freshSchemaName()) {
  const store = postgresStore({ connectionString: testDatabaseUrl, schema });
  return {
    store,
    schema,
    cleanup: async () => {
      await store.close();
      await dropSchema(admin, schema);
    },
  };
}

storeContract('postgresStore', () => storeOnFreshSchema());
inboxContract('postgresStore', () => storeOnFreshSchema());

describe('postgresStore', () => {
  it('validates its options', () => {
    expect(() => postgresStore({})).toThrow('postgresStore: give exactly one of options.connectionString and options.pool');
    expect(() => postgresStore({ connectionString: testDatabaseUrl, schema: 'Bad; DROP' })).toThrow(
      'postgresStore: options.schema must be a lower-case SQL identifier, got "Bad; DROP"',
    );
  });

  it('migrates once when several instances start together, and again is a no-op', async () => {
    const schema = freshSchemaName();
    const stores = Array.from({ length: 4 }, () => postgresStore({ connectionString: testDatabaseUrl, schema }));
    try {
      await Promise.all(stores.map((s) => s.migrate()));
      await stores[0]!.migrate();
      const { rows } = await admin.query(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`);
      expect(rows).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }]);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await dropSchema(admin, schema);
    }
  });

  it('uses a pool the host owns and leaves it open on close', async () => {
    const schema = freshSchemaName();
    const store = postgresStore({ pool: admin, schema });
    const buyer = await store.createBuyer({ name: 'Ann', tokenHash: 'h' });
    await store.close();
    await expect(store.findBuyerByTokenHash('h')).rejects.toThrow('postgresStore: the store is closed');
    const { rows } = await admin.query(`SELECT name FROM "${schema}".buyers WHERE id = $1`, [buyer.id]);
    expect(rows).toEqual([{ name: 'Ann' }]);
    await dropSchema(admin, schema);
  });

  describe('two instances (two pools) on one database', () => {
    let schema: string;
    let a: ReturnType<typeof postgresStore>;
    let b: ReturnType<typeof postgresStore>;
    beforeAll(async () => {
      schema = freshSchemaName();
      a = postgresStore({ connectionString: testDatabaseUrl, schema });
      b = postgresStore({ connectionString: testDatabaseUrl, schema });
      await Promise.all([a.migrate(), b.migrate()]);
    });
    afterAll(async () => {
      await Promise.all([a?.close(), b?.close()]);
      if (schema) await dropSchema(admin, schema);
    });

    it('concurrent appends to one chat get unique consecutive ids, in commit order', async () => {
      const buyer = await a.createBuyer({ name: 'Ann', tokenHash: 'concurrent' });
      const { chat } = await b.openChat({ buyerId: buyer.id, sellerId: '10', chatter: 'Ann' });
      const perInstance = 60;
      const write = (store: typeof a, tag: string) =>
        Promise.all(
          Array.from({ length: perInstance }, (_, i) =>
            store.appendMessage({ chatId: chat.id, from: i % 2 ? 'buyer' : 'seller', text: `${tag}${i}`, clientDate: i, clientId: `${tag}${i}` }),
          ),
        );
      const [fromA, fromB] = await Promise.all([write(a, 'a'), write(b, 'b')]);
      const ids = [...fromA, ...fromB].map((r) => r.message.id).sort((x, y) => x - y);
      expect(ids).toEqual(Array.from({ length: 2 * perInstance }, (_, i) => i + 1));
      const stored = await a.listMessages(chat.id, { limit: 1000 });
      expect(stored.map((m) => m.id)).toEqual(ids);
      // Each message sits under the id its writer was given.
      const byId = new Map(stored.map((m) => [m.id, m.text]));
      for (const r of [...fromA, ...fromB]) expect(byId.get(r.message.id)).toBe(r.message.text);
      // createdAt follows id order: ids are handed out in commit order.
      for (let i = 1; i < stored.length; i++) expect(stored[i]!.createdAt).toBeGreaterThanOrEqual(stored[i - 1]!.createdAt);
      const final = await b.getChat(chat.id);
      expect(final).toMatchObject({ lastMessageId: 2 * perInstance, unread: { buyer: perInstance, seller: perInstance } });
    });

    it('a retry of one clientId on both instances at once is stored once', async () => {
      const buyer = await a.createBuyer({ name: 'Bob', tokenHash: 'retry' });
      const { chat } = await a.openChat({ buyerId: buyer.id, sellerId: '10', chatter: 'Bob' });
      const send = (store: typeof a) => store.appendMessage({ chatId: chat.id, from: 'buyer', text: 'once', clientDate: 1, clientId: 'same' });
      const results = await Promise.all([send(a), send(b), send(a), send(b)]);
      expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
      expect(new Set(results.map((r) => r.message.id))).toEqual(new Set([1]));
      expect(await b.getChat(chat.id)).toMatchObject({ lastMessageId: 1, unread: { seller: 1 } });
    });

    it('openChat on both instances at once gives one chat', async () => {
      const buyer = await a.createBuyer({ name: 'Cid', tokenHash: 'open-race' });
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).openChat({ buyerId: buyer.id, sellerId: '11', chatter: 'Cid' })),
      );
      expect(new Set(results.map((r) => r.chat.id)).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
    });

    it('markRead racing appends from the other side keeps unread exact', async () => {
      const buyer = await a.createBuyer({ name: 'Dee', tokenHash: 'read-race' });
      const { chat } = await a.openChat({ buyerId: buyer.id, sellerId: '12', chatter: 'Dee' });
      const appends = Array.from({ length: 30 }, (_, i) => b.appendMessage({ chatId: chat.id, from: 'buyer', text: `m${i}`, clientDate: i }));
      const reads = Array.from({ length: 30 }, (_, i) => a.markRead(chat.id, 'seller', i + 1));
      await Promise.all([...appends, ...reads]);
      const final = (await a.getChat(chat.id))!;
      expect(final.lastMessageId).toBe(30);
      expect(final.unread.seller).toBe(30 - final.readIds.seller);
    });
  });
});

describe('postgresStore: the inbox search is served by an index', () => {
  it('finds message words through messages_text_search (a GIN index on their words)', async () => {
    const { store, schema, cleanup } = await storeOnFreshSchema();
    try {
      await store.migrate();
      const { rows } = await admin.query(`SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = 'messages_text_search'`, [schema]);
      expect(rows[0]?.indexdef).toContain("USING gin (to_tsvector('simple'::regconfig, text))");
      const client = await admin.connect();
      try {
        // With a sequential scan ruled out, the plan of the search's subquery must use the index.
        await client.query('BEGIN');
        await client.query('SET LOCAL enable_seqscan = off');
        const plan = await client.query(
          `EXPLAIN SELECT m.chat_id FROM "${schema}".messages m WHERE to_tsvector('simple', m.text) @@ to_tsquery('simple', 'deliv:*')`,
        );
        expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toContain('messages_text_search');
        await client.query('ROLLBACK');
      } finally {
        client.release();
      }
    } finally {
      await cleanup();
    }
  });
});
