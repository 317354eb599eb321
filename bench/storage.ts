/**
 * lowdb storage scaling, in its own process (a fresh heap per size): seeds one chat with N messages
 * through the Store API, then times sequential writes and watches the event loop while they run.
 * The directory is left for the runner (sign-in and start-time runs use it), which deletes it.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { lowdbStore } from '../lib/store/lowdb-store.js';
import { hashToken } from '../lib/tokens.js';
import { serveIpc, sendReady } from './ipc.js';
import { summarize } from './stats.js';

const TEXT = 'Thanks, it ships tomorrow morning. Tracking number follows by email.';
const gc = (globalThis as { gc?: () => void }).gc;

interface MeasureArgs {
  dir: string;
  /** Messages stored before measuring. */
  stored: number;
  /** Sequential writes measured per round (a whole segment's worth averages over every segment fill level). */
  writes: number;
  /** Rounds of `writes` writes; the runner takes the median round, the machine being shared and noisy. */
  rounds: number;
  /** Concurrent appends while seeding (they coalesce into one file write per segment). */
  seedBatch?: number;
}

async function measure({ dir, stored, writes, rounds, seedBatch = 1000 }: MeasureArgs) {
  const store = lowdbStore({ dir });
  const token = `bench-buyer-token-${stored}`;
  const buyer = await store.createBuyer({ name: 'Bench Buyer', tokenHash: hashToken(token) });
  const { chat } = await store.openChat({ buyerId: buyer.id, sellerId: '1', chatter: buyer.name });
  const append = (i: number) =>
    store.appendMessage({ chatId: chat.id, from: i % 2 ? 'seller' : 'buyer', text: `${TEXT} #${i}`, clientDate: Date.now() });

  const seedStart = performance.now();
  for (let done = 0; done < stored; done += seedBatch) {
    const size = Math.min(seedBatch, stored - done);
    await Promise.all(Array.from({ length: size }, (_, k) => append(done + k)));
  }
  const seedMs = performance.now() - seedStart;

  const results = [];
  let next = stored;
  for (let round = 0; round < rounds; round++) {
    gc?.();
    const loop = monitorEventLoopDelay({ resolution: 1 });
    const samples: number[] = [];
    loop.enable();
    for (let i = 0; i < writes; i++) {
      const t = performance.now();
      await append(next++);
      samples.push(performance.now() - t);
    }
    loop.disable();
    results.push({ write: summarize(samples), stallMaxMs: loop.max / 1e6, stallP99Ms: loop.percentile(99) / 1e6 });
  }
  await store.close();
  return {
    stored,
    /** Messages in the chat at the end. */
    total: next,
    seedMs,
    rounds: results,
    token,
    chatId: chat.id,
    heapUsed: process.memoryUsage().heapUsed,
  };
}

serveIpc({
  measure,
  stop: () => setImmediate(() => process.exit(0)),
});
sendReady();
