/**
 * Seed compatibility: a browser client written to the original AH Chat README only
 * (fixtures/legacy-ahchat.js, loaded by RequireJS as `ahchat` with the README's snippet) against
 * the standalone server process (`node dist/server/index.js`), in real Chromium. Every step of a
 * shop's day, and no page error or console error in any browser context.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type ServerProcess, startServerProcess } from '../helpers/server-process.js';
import { launchBrowser } from './harness.js';

const FIXTURE = readFileSync(new URL('./fixtures/legacy-ahchat.js', import.meta.url), 'utf8');
const REQUIRE_JS = readFileSync(createRequire(import.meta.url).resolve('requirejs/require.js'), 'utf8');
/** test/helpers/server-process.ts gives the process this seller. */
const SELLER = { id: 10, token: 'iofh3498hwe', name: 'Shop' };

/** The README's snippets, but for the server's address. */
const buyerSnippet = (url: string) => `require(["ahchat"], function(AHChat){
        var chat = new AHChat({
            sellerId: 10,
            //token: 'iofh3498hwe',
            url: '${url}'
        });
        chat.initialize();
    });`;
const sellerSnippet = (url: string) => `require(["ahchat"], function(AHChat){
        var chat = new AHChat({
            id: 10,
            token: 'iofh3498hwe',
            url: '${url}'
        });
        chat.initialize();
    });`;

const page = (snippet: string) => `<!doctype html><html><head><meta charset="utf-8"><title>Shop</title>
<link rel="icon" href="data:,"></head><body>
<script src="/js/require.js"></script>
<script>requirejs.config({ baseUrl: '/js' });</script>
<script>${snippet}</script>
</body></html>`;

let server: ServerProcess;
let dataDir: string;
let site: Server;
let siteUrl: string;
let browser: Browser;
/** Page errors and console errors, per context, of every page opened. */
const problems: string[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'ahchat-legacy-'));
  // The shop's own site, on another origin than the chat server (as the README's setup has it);
  // the chat server lets exactly that origin in, as a shop configures it.
  let files: Record<string, [string, string]> = {};
  site = createServer((req, res) => {
    const file = files[new URL(req.url ?? '/', 'http://x').pathname];
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': `${file[0]}; charset=utf-8` }).end(file[1]);
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  [server, browser] = await Promise.all([startServerProcess({ AHCHAT_DB: dataDir, AHCHAT_ORIGINS: siteUrl }), launchBrowser()]);
  const wsUrl = `ws://127.0.0.1:${server.port}`;
  files = {
    '/buyer.html': ['text/html', page(buyerSnippet(wsUrl))],
    '/seller.html': ['text/html', page(sellerSnippet(wsUrl))],
    '/js/require.js': ['text/javascript', REQUIRE_JS],
    '/js/ahchat.js': ['text/javascript', FIXTURE],
  };
});

afterAll(async () => {
  await browser?.close();
  await server?.kill('SIGKILL');
  await new Promise((resolve) => site?.close(resolve));
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function newContext(name: string): Promise<BrowserContext> {
  const context = await browser.newContext();
  context.on('page', (p) => watch(name, p));
  return context;
}

function watch(name: string, p: Page): void {
  p.on('pageerror', (error) => problems.push(`${name}: page error: ${error.message}`));
  p.on('console', (message) => {
    if (message.type() === 'error') problems.push(`${name}: console error: ${message.text()}`);
  });
}

async function open(context: BrowserContext, path: string): Promise<Page> {
  const p = await context.newPage();
  await p.goto(`${siteUrl}${path}`);
  await p.locator('.ah-chat').waitFor();
  return p;
}

/** Runs one step; a failure names the step and lists the page problems seen so far. */
async function step(name: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    throw new Error(`step "${name}" failed: ${(error as Error).message}\npage problems: ${JSON.stringify(problems)}`);
  }
}

const messageTexts = (p: Page, chatId: string) => p.locator(`.chat-window[data-id="${chatId}"] .message`).allTextContents();
const tokenIn = (p: Page) => p.evaluate(() => localStorage.getItem('ahchat_token_10'));

async function write(p: Page, chatId: string, text: string): Promise<void> {
  const window = p.locator(`.chat-window[data-id="${chatId}"]`);
  await window.locator('textarea').fill(text);
  await window.locator('button').click();
  // Confirmed: the server's answer carried our clientDate and gave the message its id.
  await window.locator('.message.my.sent', { hasText: text }).waitFor();
}

describe('a client written to the original README, against the standalone server', () => {
  it('signs up, talks both ways, re-authenticates, shows presence, recovers from a stale token, and syncs tabs: with no page error', async () => {
    const buyers = await newContext('buyer');
    const shop = await newContext('seller');
    let buyer: Page;
    let seller: Page;
    let chatId = '';
    let token: string | null = null;

    await step('buyer signs up and sends (confirmed)', async () => {
      buyer = await open(buyers, '/buyer.html');
      await buyer.locator('.ah-chat[data-state="name"]').waitFor();
      await buyer.locator('.name-form input').fill('Legacy Ann');
      await buyer.locator('.name-form button').click();
      await buyer.locator('.ah-chat[data-state="chat"]').waitFor();
      chatId = (await buyer.locator('.chat-window').first().getAttribute('data-id')) ?? '';
      expect(chatId).toMatch(/^[1-9]\d*$/);
      token = await tokenIn(buyer);
      expect(token).toMatch(/^[\w-]{20,}$/);
      await expect.poll(() => buyer.locator('.title').textContent()).toBe('Legacy Ann');
      await write(buyer, chatId, 'Is the green tea in stock?');
      expect(await buyer.locator('.message.my.sent').getAttribute('data-id')).toBe('1');
    });

    await step('seller signs in and sees the chat and the message', async () => {
      seller = await open(shop, '/seller.html');
      await seller.locator('.ah-chat[data-state="list"]').waitFor();
      expect(await seller.locator('.title').textContent()).toBe(SELLER.name);
      const item = seller.locator(`.chat[data-id="${chatId}"]`);
      expect(await item.locator('.chatter').textContent()).toBe('Legacy Ann');
      await item.click();
      expect(await messageTexts(seller, chatId)).toEqual(['Is the green tea in stock?']);
      expect(await seller.locator(`.chat-window[data-id="${chatId}"] .message.their`).count()).toBe(1);
    });

    await step('seller replies and the buyer shows it', async () => {
      await write(seller, chatId, 'Yes, 40 packs left.');
      await buyer.locator('.message.their.sent', { hasText: 'Yes, 40 packs left.' }).waitFor();
      expect(await messageTexts(buyer, chatId)).toEqual(['Is the green tea in stock?', 'Yes, 40 packs left.']);
    });

    await step('buyer reloads and re-authenticates by token', async () => {
      await buyer.reload();
      await buyer.locator('.ah-chat[data-state="chat"]').waitFor();
      expect(await buyer.locator('.name-form').isVisible()).toBe(false);
      expect(await tokenIn(buyer)).toBe(token);
      await expect.poll(() => messageTexts(buyer, chatId)).toEqual(['Is the green tea in stock?', 'Yes, 40 packs left.']);
      const auths = await buyer.evaluate(() => (window as unknown as { legacyLog: Array<{ command: string; data: { token?: string } }> }).legacyLog.filter((f) => f.command === 'auth'));
      expect(auths).toHaveLength(1);
      expect(auths[0]!.data.token).toBeUndefined(); // signed in, not signed up again
    });

    await step('buyer leaves and returns: status false, then true, reach the seller', async () => {
      const status = seller.locator(`.chat[data-id="${chatId}"] .status`);
      await expect.poll(() => status.textContent()).toBe('online');
      await buyer.close();
      await expect.poll(() => status.textContent()).toBe('offline');
      buyer = await open(buyers, '/buyer.html');
      await buyer.locator('.ah-chat[data-state="chat"]').waitFor();
      await expect.poll(() => status.textContent()).toBe('online');
    });

    await step('a second buyer tab shows the messages sent from the first', async () => {
      const second = await open(buyers, '/buyer.html');
      await second.locator('.ah-chat[data-state="chat"]').waitFor();
      await write(buyer, chatId, 'Sent from the first tab');
      await second.locator('.message.my', { hasText: 'Sent from the first tab' }).waitFor();
      await write(buyer, chatId, 'And another one');
      await second.locator('.message.my', { hasText: 'And another one' }).waitFor();
      expect(await messageTexts(second, chatId)).toEqual(['Is the green tea in stock?', 'Yes, 40 packs left.', 'Sent from the first tab', 'And another one']);
      // And the seller got both, once each.
      await seller.locator('.message.their', { hasText: 'And another one' }).waitFor();
      expect(await messageTexts(seller, chatId)).toEqual(['Is the green tea in stock?', 'Yes, 40 packs left.', 'Sent from the first tab', 'And another one']);
      await second.close();
    });

    await step('a stale token gets USER_NOT_FOUND and the client forgets it', async () => {
      // A browser that kept a token the server no longer knows (its data was reset, say).
      const stale = await newContext('stale buyer');
      const p = await open(stale, '/buyer.html');
      await p.evaluate(() => localStorage.setItem('ahchat_token_10', 'a-token-this-server-never-gave'));
      await p.reload();
      await p.locator('.ah-chat[data-state="name"]').waitFor();
      await expect.poll(() => p.locator('.error').textContent()).toBe('USER_NOT_FOUND');
      expect(await tokenIn(p)).toBeNull();
      // And it can start over with a name.
      await p.locator('.name-form input').fill('Fresh Bob');
      await p.locator('.name-form button').click();
      await p.locator('.ah-chat[data-state="chat"]').waitFor();
      expect(await tokenIn(p)).toMatch(/^[\w-]{20,}$/);
      const bobChat = (await p.locator('.chat-window').first().getAttribute('data-id')) ?? '';
      await write(p, bobChat, 'Hello from Bob');
      // The seller's list learned of the new chat from the `chat` push, and its message.
      await seller.locator(`.chat[data-id="${bobChat}"] .chatter`, { hasText: 'Fresh Bob' }).waitFor();
      await seller.locator(`.chat-window[data-id="${bobChat}"] .message.their`, { hasText: 'Hello from Bob' }).waitFor({ state: 'attached' });
      await stale.close();
    });

    // Only frames the original protocol has reached these pages, in the README's shapes.
    const frames = await seller!.evaluate(() => (window as unknown as { legacyLog: Array<{ command: string }> }).legacyLog.map((f) => f.command));
    expect([...new Set(frames)].sort()).toEqual(['auth', 'chat', 'message', 'status']);
    await buyers.close();
    await shop.close();
    expect(problems).toEqual([]);
  }, 90_000);
});
