/**
 * postgresStore's group commit: appendMessage calls of one turn share one round trip and one
 * transaction. What must hold whatever the batching: ids consecutive per chat under concurrency
 * (also across two stores, i.e. two instances), clientId dedupe (within a batch and across stores),
 * CHAT_CLOSED atomic with the write, and a backend killed mid-batch failing exactly that batch's
 * messages with nothing confirmed lost.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresStore, type PostgresStore } from '../../../lib/store/postgres/postgres-store.js';
import { ChatClosedError, StoreUnavailableError, type Side } from '../../../lib/store/store.js';
import { connectTestDatabase, dropSchema, freshSchemaName, testDatabaseUrl } from '../../helpers/postgres.js';

const schema = freshSchemaName();
const appName = `ahchat_group_${randomBytes(4).toString('hex')}`;
let admin: pg.Pool;
let pool: pg.Pool;
let store: PostgresStore;
let other: PostgresStore;
/** Calls of the batch function the store sent. */
let batches = 0;

beforeAll(async () => {
  admin = await connectTestDatabase();
  pool = new pg.Pool({ connectionString: testDatabaseUrl, application_name: appName, connectionTimeoutMillis: 3000 });
  pool.on('error', () => {});
  const query = pool.query.bind(pool) as (config: unknown, values?: unknown) => Promise<pg.QueryResult>;
  (pool as unknown as { query: typeof query }).query = (config, values) => {
    if (typeof config === 'object' && config !== null && /append_messages/.test((config as { text: string }).text)) batches++;
    return query(config, values);
  };
  store = postgresStore({ pool, schema, logger: { info() {}, warn() {}, error() {} } });
  // A second instance on the same schema.
  other = postgresStore({ connectionString: testDatabaseUrl, schema, logger: { info() {}, warn() {}, error() {} } });
  await store.migrate();
});

afterAll(async () => {
  await store?.close();
  await other?.close();
  await pool?.end();
  if (admin) {
    await dropSchema(admin, schema);
    await admin.end();
  }
});

let seq = 0;
async function newChat(on: PostgresStore = store) {
  const buyer = await on.createBuyer({ name: `B${++seq}`, tokenHash: `group-${seq}-${randomBytes(4).toString('hex')}` });
  return (await on.openChat({ buyerId: buyer.id, sellerId: 's1', chatter: buyer.name })).chat;
}

const append = (on: PostgresStore, chatId: number, i: number, clientId?: string, from: Side = i % 2 ? 'seller' : 'buyer') =>
  on.appendMessage({ chatId, from, text: `m${i}`, clientDate: i, ...(clientId === undefined ? {} : { clientId }) });

describe('postgresStore group commit', () => {
  it('writes the appends of one turn in one round trip, with consecutive ids per chat and the unread counts', async () => {
    const chats = await Promise.all([newChat(), newChat(), newChat()]);
    batches = 0;
    const results = await Promise.all(Array.from({ length: 90 }, (_, i) => append(store, chats[i % 3]!.id, i, `k${i}`)));
    expect(batches).toBe(1);
    for (const chat of chats) {
      const mine = results.filter((r) => r.message.chatId === chat.id);
      // Ids in arrival order within the chat: 1, 2, 3, …
      expect(mine.map((r) => r.message.id)).toEqual(Array.from({ length: 30 }, (_, k) => k + 1));
      expect(mine.every((r) => !r.duplicate)).toBe(true);
      const stored = await store.listMessages(chat.id, { limit: 100 });
      expect(stored).toEqual(mine.map((r) => r.message));
      const after = (await store.getChat(chat.id))!;
      expect(after.lastMessageId).toBe(30);
      expect(after.unread).toEqual({
        seller: mine.filter((r) => r.message.from === 'buyer').length,
        buyer: mine.filter((r) => r.message.from === 'seller').length,
      });
    }
  });

  it('gives concurrent writers on two instances unique consecutive ids, all stored', async () => {
    const chat = await newChat();
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => append(i % 2 ? other : store, chat.id, i, `w${i}`)),
    );
    const ids = results.map((r) => r.message.id).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: 200 }, (_, k) => k + 1));
    expect((await store.listMessages(chat.id, { limit: 500 })).map((m) => m.id)).toEqual(ids);
  });

  it('stores one message for a clientId sent twice in one batch, and across instances at once, with no id gap', async () => {
    const chat = await newChat();
    const [a, b] = await Promise.all([append(store, chat.id, 1, 'same', 'buyer'), append(store, chat.id, 1, 'same', 'buyer')]);
    expect([a.duplicate, b.duplicate]).toEqual([false, true]);
    expect(b.message).toEqual(a.message);
    // The same key on two instances at once, among other messages: one stored, ids stay consecutive.
    const raced = await Promise.all([
      append(store, chat.id, 2, 'race', 'buyer'),
      append(other, chat.id, 2, 'race', 'buyer'),
      append(store, chat.id, 3, 'x1'),
      append(other, chat.id, 4, 'x2'),
    ]);
    expect(raced.filter((r) => !r.duplicate && r.message.clientId === 'race')).toHaveLength(1);
    expect(raced[0]!.message).toEqual(raced[1]!.message);
    const stored = await store.listMessages(chat.id, { limit: 10 });
    expect(stored.map((m) => m.id)).toEqual([1, 2, 3, 4]);
    expect(stored.map((m) => m.clientId)).toEqual(expect.arrayContaining(['same', 'race', 'x1', 'x2']));
    // A resend later is the stored original.
    expect(await append(other, chat.id, 9, 'same', 'buyer')).toEqual({ message: a.message, duplicate: true });
  });

  it('CHAT_CLOSED is atomic with the batch: a close that commits first refuses its messages, the rest of the batch is stored', async () => {
    const closing = await newChat();
    const open = await newChat();
    const before = await append(store, closing.id, 0, 'before', 'buyer');
    const holder = await admin.connect();
    let pending: Promise<PromiseSettledResult<unknown>[]>;
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM "${schema}".chats WHERE id = $1 FOR UPDATE`, [closing.id]);
      // One batch for both chats; it waits on the lock that the close holds.
      pending = Promise.allSettled([
        append(store, closing.id, 1, 'c1'),
        append(store, open.id, 2, 'o1'),
        append(store, closing.id, 3, 'c2'),
        append(store, closing.id, 4, 'before', 'buyer'),
      ]);
      await waitForLockWaiter();
      await holder.query(`UPDATE "${schema}".chats SET closed_at = $2 WHERE id = $1`, [closing.id, Date.now()]);
      await holder.query('COMMIT');
    } finally {
      holder.release();
    }
    const [c1, o1, c2, dup] = await pending;
    expect(c1).toMatchObject({ status: 'rejected', reason: expect.any(ChatClosedError) });
    expect(c2).toMatchObject({ status: 'rejected', reason: expect.any(ChatClosedError) });
    expect(o1).toMatchObject({ status: 'fulfilled', value: { duplicate: false, message: { chatId: open.id, id: 1 } } });
    // A resend of a message stored before the close is still its duplicate.
    expect(dup).toEqual({ status: 'fulfilled', value: { message: before.message, duplicate: true } });
    expect((await store.listMessages(closing.id, { limit: 10 })).map((m) => m.clientId)).toEqual(['before']);
    expect((await store.getChat(closing.id))!.lastMessageId).toBe(1);
  });

  it('a backend killed mid-batch fails exactly that batch with StoreUnavailableError; nothing confirmed is lost', async () => {
    const chat = await newChat();
    const confirmed = await Promise.all(Array.from({ length: 5 }, (_, i) => append(store, chat.id, i, `ok${i}`)));
    const holder = await admin.connect();
    let killed: PromiseSettledResult<unknown>[];
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM "${schema}".chats WHERE id = $1 FOR UPDATE`, [chat.id]);
      const batch = Promise.allSettled(Array.from({ length: 7 }, (_, i) => append(store, chat.id, 10 + i, `lost${i}`)));
      await waitForLockWaiter();
      const { rows } = await admin.query(
        `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
        [appName],
      );
      expect(rows).toEqual([{ killed: true }]);
      killed = await batch;
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    expect(killed.map((r) => r.status)).toEqual(Array(7).fill('rejected'));
    for (const r of killed) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
    // What was confirmed is there; the failed batch left nothing, so ids go on without a gap.
    expect(await store.listMessages(chat.id, { limit: 50 })).toEqual(confirmed.map((r) => r.message));
    const next = await append(store, chat.id, 99, 'lost0');
    expect(next).toMatchObject({ duplicate: false, message: { id: 6, clientId: 'lost0' } });
  });

  it('close() writes the appends it was given before it ends the pool', async () => {
    const mine = postgresStore({ connectionString: testDatabaseUrl, schema });
    const chat = await newChat(mine);
    const writes = Array.from({ length: 20 }, (_, i) => append(mine, chat.id, i, `z${i}`));
    await mine.close();
    expect((await Promise.all(writes)).map((r) => r.message.id)).toEqual(Array.from({ length: 20 }, (_, k) => k + 1));
  });
});

/** Until a backend of the store under test waits on a row lock (with a deadline). */
async function waitForLockWaiter(timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rowCount } = await admin.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, [appName]);
    if (rowCount) return;
    if (Date.now() > deadline) throw new Error('no backend of ours waits on the row lock');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
