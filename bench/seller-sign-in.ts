/**
 * Seeds a lowdb data directory with one seller that has many chats (the "seller with 100,000 chats"
 * row), through the Store API, in its own process. Every `messageEvery`-th chat gets one message
 * (the rest are sign-ups that never wrote: both kinds are in a seller's list). The runner then starts
 * chat-server.mjs on the directory and load.mjs signs the seller in (load.ts sellerSignIns).
 */
import { lowdbStore } from '../lib/store/lowdb-store.js';
import { postgresStore } from '../lib/store/postgres/postgres-store.js';
import type { Store } from '../lib/store/store.js';
import { serveIpc, sendReady } from './ipc.js';

const TEXT = 'Hello! Is the blue one still available, and could you ship it by Friday?';

async function seed({ dir, chats, sellerId, messageEvery }: { dir: string; chats: number; sellerId: string; messageEvery: number }) {
  const started = performance.now();
  const store = lowdbStore({ dir });
  const BATCH = 1000;
  for (let done = 0; done < chats; done += BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(BATCH, chats - done) }, async (_, k) => {
        const i = done + k;
        const buyer = await store.createBuyer({ name: `Buyer ${i}`, tokenHash: `seed-${sellerId}-${i}` });
        const { chat } = await store.openChat({ buyerId: buyer.id, sellerId, chatter: buyer.name });
        if (i % messageEvery === 0) await store.appendMessage({ chatId: chat.id, from: 'buyer', text: TEXT, clientDate: Date.now() });
      }),
    );
  }
  await store.close();
  return { seedMs: performance.now() - started };
}

/**
 * The sign-in row of issue 18: one seller with `chats` chats of `messages` messages each, on lowdb
 * (`dir`) or PostgreSQL (`schema`), written through the Store API.
 */
async function seedHistory({ dir, schema, chats, messages, sellerId }: { dir?: string; schema?: string; chats: number; messages: number; sellerId: string }) {
  const started = performance.now();
  const url = process.env.AHCHAT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const store: Store = schema ? postgresStore({ connectionString: url, schema }) : lowdbStore({ dir: dir! });
  await Promise.all(
    Array.from({ length: chats }, async (_, i) => {
      const buyer = await store.createBuyer({ name: `Buyer ${i}`, tokenHash: `history-${sellerId}-${i}` });
      const { chat } = await store.openChat({ buyerId: buyer.id, sellerId, chatter: buyer.name });
      for (let k = 0; k < messages; k++) {
        await store.appendMessage({ chatId: chat.id, from: k % 2 ? 'seller' : 'buyer', text: TEXT, clientDate: Date.now() });
      }
    }),
  );
  await store.close();
  return { seedMs: performance.now() - started };
}

serveIpc({
  seed,
  seedHistory,
  stop: () => setImmediate(() => process.exit(0)),
});
sendReady();
