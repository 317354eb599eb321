/**
 * lowdb storage scaling, in its own process (a fresh heap per size): seeds one chat with N messages
 * through the Store API, then times sequential writes and watches the event loop while they run.
 * The directory is left for the runner (sign-in and start-time runs use it), which deletes it.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Journal } from '../lib/store/lowdb/journal.js';
import { lowdbStore } from '../lib/store/lowdb-store.js';
import { hashToken } from '../lib/chat/tokens.js';
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

/**
 * The journal's two ways to write a small batch, interleaved: synchronously on the event loop, or
 * through the thread pool (syncWriteMax 0). Batches of `batch` message-sized records, one after
 * another: latency from append to written, and the process's CPU per batch.
 */
async function journalModes({ dir, batches, batch }: { dir: string; batches: number; batch: number }) {
  const line = JSON.stringify({ t: 'm', chatId: 1, id: 1, from: 'buyer', text: TEXT, createdAt: Date.now(), clientDate: Date.now(), clientId: 'abc123' });
  const modes = { sync: new Journal({ dir, no: 1, validSize: 0, exists: false, fsync: false }), pool: new Journal({ dir, no: 2, validSize: 0, exists: false, fsync: false, syncWriteMax: 0 }) };
  const out: Record<string, { latency: ReturnType<typeof summarize>; cpuMicrosPerBatch: number }> = {};
  const samples: Record<string, number[]> = { sync: [], pool: [] };
  const cpu: Record<string, number> = { sync: 0, pool: 0 };
  for (let round = 0; round < 10; round++) {
    for (const [name, journal] of Object.entries(modes)) {
      const c0 = process.cpuUsage();
      for (let i = 0; i < batches / 10; i++) {
        const t = performance.now();
        let seq = 0;
        for (let k = 0; k < batch; k++) seq = journal.append(line);
        await journal.whenWritten(seq);
        samples[name]!.push(performance.now() - t);
      }
      const c = process.cpuUsage(c0);
      cpu[name]! += c.user + c.system;
    }
  }
  for (const name of Object.keys(modes)) out[name] = { latency: summarize(samples[name]!), cpuMicrosPerBatch: cpu[name]! / batches };
  await Promise.all(Object.values(modes).map((j) => j.close()));
  return out;
}

serveIpc({
  journalModes,
  measure,
  stop: () => setImmediate(() => process.exit(0)),
});
sendReady();
