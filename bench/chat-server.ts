/**
 * AH Chat under test: an Express app with the ahChat plugin, as a host would mount it.
 * Usage: chat-server.mjs memory | lowdb <dir> | postgres <schema> | scaleout <postgres schema> <redis prefix>
 * (scaleout: postgresStore + redisBus, one of two instances sharing the schema and prefix; the
 * addresses come from AHCHAT_TEST_DATABASE_URL and AHCHAT_TEST_REDIS_URL, defaults as in the tests).
 *
 * Benchmark settings, not recommendations: the rate limits and the per-IP connection cap are raised
 * so that one load generator on 127.0.0.1 is never throttled; any origin is allowed.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { ahChat } from '../lib/ah-chat.js';
import { lowdbStore } from '../lib/store/lowdb-store.js';
import { memoryStore } from '../lib/store/memory-store.js';
import type { Store } from '../lib/store/store.js';
import type { Bus } from '../lib/bus/bus.js';
import { postgresStore } from '../lib/store/postgres/postgres-store.js';
import { redisBus } from '../lib/bus/redis-bus.js';
import { serveIpc, sendReady } from './ipc.js';
import { serverStats } from './server-stats.js';

export const SELLER_TOKEN = (id: string | number): string => `bench-token-${id}`;

const [kind, dir, prefix] = process.argv.slice(2);
export const DATABASE_URL = process.env.AHCHAT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.AHCHAT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function main(): Promise<void> {
  const started = performance.now();
  let store: Store;
  let bus: Bus | undefined;
  if (kind === 'memory') store = memoryStore();
  else if (kind === 'lowdb' && dir) store = lowdbStore({ dir });
  else if (kind === 'postgres' && dir) store = postgresStore({ connectionString: DATABASE_URL, schema: dir });
  else if (kind === 'scaleout' && dir && prefix) {
    store = postgresStore({ connectionString: DATABASE_URL, schema: dir });
    bus = redisBus({ url: REDIS_URL, prefix });
  } else throw new Error('usage: chat-server.mjs memory | lowdb <dir> | postgres <schema> | scaleout <schema> <prefix>');
  // Whatever a store loads lazily is loaded by its first read: count it in the start time.
  await store.getChat(1);
  const storeOpenMs = performance.now() - started;

  const chat = ahChat({
    async authSeller({ id, token }) {
      return token === SELLER_TOKEN(id) ? { id, name: `Seller ${id}` } : null;
    },
    async findSeller(id) {
      return { id, name: `Seller ${id}` };
    },
    store,
    ...(bus ? { bus } : {}),
    origins: '*',
    rateLimit: { frames: 1_000_000_000, intervalMs: 1000 },
    maxConnectionsPerIp: 1_000_000,
    signUpRateLimit: { count: 1_000_000, intervalMs: 1000 },
    logger: { info() {}, warn() {}, error: (m) => console.error(`[chat-server] ${m}`) },
  });
  await chat.ready;
  const app = express();
  app.disable('x-powered-by');
  app.use(chat);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const startMs = performance.now() - started;

  serveIpc({
    ...serverStats(),
    stop: async () => {
      server.close();
      await chat.close();
      setImmediate(() => process.exit(0));
    },
  });
  sendReady({ url: `ws://127.0.0.1:${port}/ahchat`, storeOpenMs, startMs });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
