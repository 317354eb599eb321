#!/usr/bin/env node
/**
 * The demo shop: `npm run demo`, then http://localhost:8001.
 * It mounts AH Chat exactly as a host shop would: app.use(ahChat({...})), then app.listen().
 * Chats are kept by the default lowdb store in demo/data/ (delete the folder to start afresh).
 * Environment: PORT (default 8001; the RequireJS page's snippet says 8001), DEMO_DATA (data folder).
 */
import express from 'express';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ahChat, lowdbStore } from '../dist/index.js';
import { productPage, requirejsPage, sellerPage } from './pages.js';
import { authSeller, findSeller } from './sellers.js';

const here = dirname(fileURLToPath(import.meta.url));
const port = Number(process.env.PORT ?? 8001);
const requirejsFile = createRequire(import.meta.url).resolve('requirejs/require.js');

const chat = ahChat({
  authSeller,
  findSeller,
  store: lowdbStore({ dir: process.env.DEMO_DATA ?? join(here, 'data') }),
  // The pages use both spellings of the local host.
  origins: [`http://localhost:${port}`, `http://127.0.0.1:${port}`],
});

const app = express();
app.disable('x-powered-by');
app.use(chat);
app.get('/', (_req, res) => res.type('html').send(productPage()));
app.get('/seller', (_req, res) => res.type('html').send(sellerPage()));
app.get('/requirejs', (_req, res) => res.type('html').send(requirejsPage()));
app.get('/vendor/require.js', (_req, res) => res.sendFile(requirejsFile));
app.get('/favicon.ico', (_req, res) => res.status(204).end());

const server = app.listen(port, () => {
  console.log(`AH Chat demo shop on http://localhost:${port}`);
  console.log(`  product page (buyer widget):  http://localhost:${port}/`);
  console.log(`  seller inbox (seller 10):     http://localhost:${port}/seller`);
  console.log(`  original README's RequireJS:  http://localhost:${port}/requirejs`);
});
server.on('error', (error) => {
  console.error(`demo: cannot listen on port ${port}: ${error.message}`);
  process.exit(1);
});

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await chat.close();
    server.close();
    server.closeAllConnections();
  });
}
