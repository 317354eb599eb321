#!/usr/bin/env node
/**
 * The standalone server: `node dist/server/index.js`. Configured by environment (see README):
 * PORT, AHCHAT_SELLERS, AHCHAT_DB, AHCHAT_ORIGINS, AHCHAT_FSYNC; for several instances (docs/SCALE-OUT.md)
 * AHCHAT_DATABASE_URL, AHCHAT_DATABASE_SCHEMA, AHCHAT_DATABASE_CONNECT_TIMEOUT_MS, AHCHAT_DATABASE_QUERY_TIMEOUT_MS, AHCHAT_REDIS_URL, AHCHAT_REDIS_PREFIX, AHCHAT_PRESENCE_TTL_MS,
 * AHCHAT_TRUST_PROXY.
 * Accepts sockets at / (the original README's `ws://localhost:8001`) and at /ahchat.
 */
import { setTimeout as delay } from 'node:timers/promises';
import express from 'express';
import { ahChat } from '../ah-chat.js';
import { lowdbStore } from '../store/lowdb-store.js';
import type { Store } from '../store/store.js';
import { ConfigError, readConfig, type ServerConfig } from './config.js';
import { sellersFromList } from './sellers.js';

async function main(): Promise<void> {
  let config: ServerConfig;
  try {
    config = readConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`ahchat: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  if (!config.origins) console.warn('ahchat: AHCHAT_ORIGINS is not set: pages from any origin may connect');

  const store = config.databaseUrl ? await postgres(config) : lowdbStore({ dir: config.dataDir, fsync: config.fsync });
  if (config.redisUrl && !config.databaseUrl) console.warn('ahchat: AHCHAT_REDIS_URL without AHCHAT_DATABASE_URL: each instance keeps its own lowdb files');
  // Loaded only when asked for: pg and ioredis are optional.
  const bus = config.redisUrl
    ? (await import('../redis.js')).redisBus({ url: config.redisUrl, prefix: config.redisPrefix, ttlMs: config.presenceTtlMs })
    : undefined;
  const chat = ahChat({
    ...sellersFromList(config.sellers),
    store,
    ...(bus ? { bus } : {}),
    trustProxy: config.trustProxy,
    origins: config.origins ?? '*',
    extraSocketPaths: ['/'],
  });
  if (bus) {
    // A Redis that is not there would make every socket wait: better to say so and stop.
    const connected = await Promise.race([chat.ready.then(() => true), delay(config.connectTimeoutMs, false, { ref: false })]);
    if (!connected) {
      console.error(`ahchat: AHCHAT_REDIS_URL: no connection to Redis within ${config.connectTimeoutMs} ms`);
      process.exit(1);
    }
  }
  const app = express();
  app.disable('x-powered-by');
  app.use(chat);
  app.get('/', (_req, res) => {
    res.type('text/plain').send('AH Chat server. WebSocket at / and /ahchat; widget at /ahchat/ahchat.js\n');
  });

  const server = app.listen(config.port, '0.0.0.0', () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    console.log(`AH Chat listening on ws://localhost:${port}`);
  });
  server.on('error', (error) => {
    console.error(`ahchat: cannot listen on port ${config.port}: ${error.message}`);
    process.exit(1);
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`ahchat: ${signal}: finishing in-flight messages`);
    server.close();
    try {
      await chat.close();
      process.exit(0);
    } catch (error) {
      console.error(`ahchat: shutdown failed: ${(error as Error).message}`);
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/** The PostgreSQL store, migrated before we listen: a wrong URL fails at start, not at the first chat. */
async function postgres(config: ServerConfig): Promise<Store> {
  const store = (await import('../postgres.js')).postgresStore({
    connectionString: config.databaseUrl,
    schema: config.databaseSchema,
    connectionTimeoutMs: config.databaseConnectTimeoutMs,
    queryTimeoutMs: config.databaseQueryTimeoutMs,
  });
  try {
    await store.migrate();
  } catch (error) {
    console.error(`ahchat: AHCHAT_DATABASE_URL: cannot prepare the database: ${(error as Error).message}`);
    process.exit(1);
  }
  return store;
}

void main();
