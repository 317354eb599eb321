/**
 * The peer: what a Node developer would write instead of AH Chat, on Socket.IO 4, with the same
 * semantics for the workload (a buyer signs up and gets a chat with a seller; a message is
 * acknowledged to its sender with its id and pushed to the seller's room). Written the idiomatic
 * way: acknowledgements, rooms, one awaited statement per message on a `pg` pool, and
 * `@socket.io/redis-adapter` when there are two instances. WebSocket transport only (the load
 * generator connects with `transports: ['websocket']`), no per-message deflate.
 *
 * Usage: socketio-server.mjs memory | postgres <schema> | scaleout <schema> <redis prefix>
 * (scaleout: one of two instances sharing the schema and, through the adapter, the rooms).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Server, type Socket } from 'socket.io';
import { sendReady, serveIpc } from './ipc.js';
import { serverStats } from './server-stats.js';

const SELLER_TOKEN = (id: string | number): string => `bench-token-${id}`;
const DATABASE_URL = process.env.AHCHAT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.AHCHAT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const [kind, schema, prefix] = process.argv.slice(2);

interface StoredMessage {
  id: number;
  chatId: number;
  text: string;
  date: number;
}

/** Where the peer keeps chats and messages: maps, or PostgreSQL with one statement per write. */
interface PeerStore {
  createChat(sellerId: string, chatter: string): Promise<number>;
  addMessage(chatId: number, from: 'buyer' | 'seller', text: string, clientId: string | undefined): Promise<StoredMessage>;
}

function memory(): PeerStore {
  const chats = new Map<number, { sellerId: string; chatter: string; messages: StoredMessage[] }>();
  let next = 1;
  return {
    async createChat(sellerId, chatter) {
      const id = next++;
      chats.set(id, { sellerId, chatter, messages: [] });
      return id;
    },
    async addMessage(chatId, _from, text) {
      const chat = chats.get(chatId);
      if (!chat) throw new Error('no such chat');
      const message = { id: chat.messages.length + 1, chatId, text, date: Math.floor(Date.now() / 1000) };
      chat.messages.push(message);
      return message;
    },
  };
}

async function postgres(name: string): Promise<PeerStore> {
  const pool = new pg.Pool({ connectionString: DATABASE_URL });
  const s = `"${name}"`;
  // Two instances start together: the first creates the schema, the second waits on the lock.
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(7243, 1)');
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.chats (
      id bigserial PRIMARY KEY, seller_id text NOT NULL, chatter text NOT NULL,
      last_id integer NOT NULL DEFAULT 0, created_at timestamptz NOT NULL DEFAULT now())`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.messages (
      chat_id bigint NOT NULL REFERENCES ${s}.chats (id), id integer NOT NULL, from_side text NOT NULL,
      text text NOT NULL, client_id text, created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (chat_id, id), UNIQUE (chat_id, from_side, client_id))`);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  return {
    async createChat(sellerId, chatter) {
      const { rows } = await pool.query(`INSERT INTO ${s}.chats (seller_id, chatter) VALUES ($1, $2) RETURNING id`, [sellerId, chatter]);
      return Number(rows[0].id);
    },
    async addMessage(chatId, from, text, clientId) {
      // One statement: bump the chat's counter (row lock) and insert under the new id.
      const { rows } = await pool.query({
        name: 'add-message',
        text: `WITH c AS (UPDATE ${s}.chats SET last_id = last_id + 1 WHERE id = $1 RETURNING last_id)
               INSERT INTO ${s}.messages (chat_id, id, from_side, text, client_id)
               SELECT $1, last_id, $2, $3, $4 FROM c
               RETURNING id, extract(epoch FROM created_at)::bigint AS date`,
        values: [chatId, from, text, clientId ?? null],
      });
      if (!rows[0]) throw new Error('no such chat');
      return { id: rows[0].id, chatId, text, date: Number(rows[0].date) };
    },
  };
}

type Ack = (answer: unknown) => void;

async function main(): Promise<void> {
  let store: PeerStore;
  if (kind === 'memory') store = memory();
  else if ((kind === 'postgres' || kind === 'scaleout') && schema) store = await postgres(schema);
  else throw new Error('usage: socketio-server.mjs memory | postgres <schema> | scaleout <schema> <prefix>');

  const http = createServer();
  const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false, cors: { origin: '*' } });
  let redis: Redis[] = [];
  if (kind === 'scaleout') {
    const pub = new Redis(REDIS_URL);
    const sub = pub.duplicate();
    redis = [pub, sub];
    io.adapter(createAdapter(pub, sub, { key: `${prefix ?? 'bench'}socket.io` }));
  }

  io.on('connection', (socket: Socket) => {
    const me: { sellerId?: string; chatId?: number; side?: 'buyer' | 'seller' } = {};
    socket.on('auth', async (data: any, ack: Ack) => {
      try {
        if (data.id !== undefined) {
          if (data.token !== SELLER_TOKEN(data.id)) return ack({ error: 'USER_IS_NOT_SELLER' });
          me.side = 'seller';
          me.sellerId = String(data.id);
          await socket.join(`seller:${me.sellerId}`);
          return ack({ name: `Seller ${me.sellerId}`, chats: [] });
        }
        const sellerId = String(data.sellerId);
        const chatId = await store.createChat(sellerId, data.name);
        Object.assign(me, { side: 'buyer', sellerId, chatId });
        await socket.join(`chat:${chatId}`);
        io.to(`seller:${sellerId}`).emit('chat', { id: chatId, chatter: data.name, sellerId: data.sellerId });
        ack({ chatId, name: data.name, chats: [{ id: chatId, chatter: `Seller ${sellerId}`, messages: [] }] });
      } catch (error) {
        ack({ error: String(error) });
      }
    });
    socket.on('message', async (data: any, ack: Ack) => {
      if (!me.side || typeof data?.text !== 'string') return ack({ error: 'NOT_SIGNED_IN' });
      const chatId = me.side === 'buyer' ? me.chatId! : Number(data.chatId);
      try {
        const message = await store.addMessage(chatId, me.side, data.text, data.clientId);
        ack({ ...message, my: true, clientDate: data.clientDate, clientId: data.clientId });
        const room = me.side === 'buyer' ? `seller:${me.sellerId}` : `chat:${chatId}`;
        socket.to(room).emit('message', { ...message, my: false });
      } catch (error) {
        ack({ error: String(error) });
      }
    });
  });

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  serveIpc({
    ...serverStats(),
    stop: async () => {
      io.close();
      for (const r of redis) r.disconnect();
      setImmediate(() => process.exit(0));
    },
  });
  sendReady({ url: `http://127.0.0.1:${port}` });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
