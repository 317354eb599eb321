/**
 * Seeds a lowdb data directory with one seller that has many chats (the "seller with 100,000 chats"
 * row), through the Store API, in its own process. Every `messageEvery`-th chat gets one message
 * (the rest are sign-ups that never wrote: both kinds are in a seller's list). The runner then starts
 * chat-server.mjs on the directory and load.mjs signs the seller in (load.ts sellerSignIns).
 */
import { lowdbStore } from '../lib/store/lowdb-store.js';
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

serveIpc({
  seed,
  stop: () => setImmediate(() => process.exit(0)),
});
sendReady();
