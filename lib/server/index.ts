#!/usr/bin/env node
/**
 * The standalone server: `node dist/server/index.js`. Configured by environment (see README):
 * PORT, AHCHAT_SELLERS, AHCHAT_DB, AHCHAT_ORIGINS, AHCHAT_FSYNC.
 * Accepts sockets at / (the original README's `ws://localhost:8001`) and at /ahchat.
 */
import express from 'express';
import { ahChat } from '../ah-chat.js';
import { lowdbStore } from '../store/lowdb-store.js';
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

  const store = lowdbStore({ dir: config.dataDir, fsync: config.fsync });
  const chat = ahChat({
    ...sellersFromList(config.sellers),
    store,
    origins: config.origins ?? '*',
    extraSocketPaths: ['/'],
  });
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

void main();
