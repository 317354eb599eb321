#!/usr/bin/env node
/**
 * The standalone server: `npx ah-chat` (the package's bin) or `node dist/server/index.js`. Configured
 * by environment variables: `ah-chat --help` lists them all with their defaults (variables.ts).
 * Accepts sockets at / (the original README's `ws://localhost:8001`) and at /ahchat.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import express from 'express';
import { collectDefaultMetrics } from 'prom-client';
import { ahChat } from '../ah-chat.js';
import { lowdbStore } from '../store/lowdb-store.js';
import type { Store } from '../store/store.js';
import { ConfigError, readConfig, readOperatorConfig, type OperatorConfig, type ServerConfig } from './config.js';
import { helpText } from './variables.js';
import { MIN_TOKEN_LENGTH, sellersFromList, shortTokenSellers } from './sellers.js';
import { DIRECT_TIMEOUTS, limitConnectionsPerIp } from '../transport/connection-limit.js';
import { DEFAULTS } from '../options.js';
import { OncePerKey } from '../transport/rate-limiter.js';

/** dist/server/ and lib/server/ are both two levels below the package root. */
function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) return void process.stdout.write(helpText(version()));
  if (args.includes('--version') || args.includes('-v')) return void process.stdout.write(`${version()}\n`);
  if (args.length > 0) {
    console.error(`ahchat: unknown argument ${JSON.stringify(args[0])}; configure with environment variables (see ah-chat --help)`);
    process.exit(1);
  }
  let config: ServerConfig;
  let operator: OperatorConfig;
  try {
    config = readConfig(process.env);
    operator = readOperatorConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`ahchat: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }

  const store = config.databaseUrl ? await postgres(config) : lowdb(config.dataDir, config.fsync, operator.journalLimit);
  if (config.redisUrl && !config.databaseUrl) console.warn('ahchat: AHCHAT_REDIS_URL without AHCHAT_DATABASE_URL: each instance keeps its own lowdb files');
  // Loaded only when asked for: pg and ioredis are optional.
  const bus = config.redisUrl
    ? (await import('../redis.js')).redisBus({ url: config.redisUrl, prefix: config.redisPrefix, ttlMs: config.presenceTtlMs })
    : undefined;
  const chat = ahChat({
    ...operator.plugin,
    metrics: operator.metrics,
    ...(operator.identitySecret ? { identitySecret: operator.identitySecret } : {}),
    ...sellersFromList(config.sellers),
    store,
    ...(bus ? { bus } : {}),
    trustProxy: config.trustProxy,
    ...(config.origins ? { origins: config.origins } : {}),
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
  if (chat.metrics) collectDefaultMetrics({ register: chat.metrics, prefix: 'ahchat_process_' });
  const app = express();
  app.disable('x-powered-by');
  app.use(chat);
  app.get('/', (_req, res) => {
    res.type('text/plain').send('AH Chat server. WebSocket at / and /ahchat; widget at /ahchat/ahchat.js\n');
  });

  // Said once the store and bus are up: a start that fails says only why it failed.
  if (!config.origins) console.log("ahchat: AHCHAT_ORIGINS is not set: only pages on this server's own origin (and clients that send no Origin) may connect");
  const weak = shortTokenSellers(config.sellers);
  if (weak.length > 0) {
    console.warn(`ahchat: AHCHAT_SELLERS: the token of seller ${weak.join(', ')} is shorter than ${MIN_TOKEN_LENGTH} characters and easy to guess; use a long random one (openssl rand -base64 24)`);
  }

  // Facing clients directly: half-sent requests are bounded in number per address and in time.
  const server = createServer({ ...DIRECT_TIMEOUTS }, app);
  // The TCP cap is never below the socket cap: a lower socket cap must still answer HTTP 429.
  const perIpCap = Math.max(operator.plugin.maxConnectionsPerIp ?? 0, DEFAULTS.maxConnectionsPerIp);
  if (!config.trustProxy) limitConnectionsPerIp(server, perIpCap, refusedLog(perIpCap));
  chat.attach(server);
  server.listen(config.port, operator.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    console.log(`AH Chat listening on ws://localhost:${port}`);
  });
  server.on('error', (error) => {
    console.error(`ahchat: cannot listen on ${operator.host} port ${config.port}: ${error.message}`);
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

/** One line per address per 10 minutes for connections refused over the per-address cap. */
function refusedLog(cap: number): (ip: string) => void {
  const logged = new OncePerKey(600_000);
  return (ip) => {
    if (!logged.due(ip)) return;
    logged.mark(ip);
    console.warn(`ahchat: ${ip} holds ${cap} connections (the per-address cap): closing its further ones at once`);
  };
}

/** The lowdb store, opened before we listen: a directory in use by another process or not writable stops us here. */
function lowdb(dir: string, fsync: boolean, journalLimit: number): Store {
  try {
    return lowdbStore({ dir, fsync, journalLimit });
  } catch (error) {
    console.error(`ahchat: AHCHAT_DB: ${(error as Error).message}`);
    process.exit(1);
  }
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
