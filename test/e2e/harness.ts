/**
 * Browser-test harness: a real Express app with the plugin on a real port (lowdb in a temp dir),
 * pages that load the widget from the plugin, and Debian's Chromium driven by playwright-core.
 */
import { execFileSync } from 'node:child_process';
import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { afterAll, beforeAll } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { ahChat, lowdbStore, type AhChat, type AhChatOptions } from '../../lib/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ARTIFACTS = join(root, 'test', 'artifacts');
/** The browser to drive: AHCHAT_CHROMIUM, else Debian's (`npm test` installs it when missing: scripts/ensure.mjs). */
export const CHROMIUM = process.env.AHCHAT_CHROMIUM || '/usr/bin/chromium';
export const SELLER = { id: 10, name: 'Green Leaf Tea', token: 'iofh3498hwe' };

/** Builds dist/widget when it is missing or older than widget/ (npm test has built it already). */
export function ensureWidgetBuilt(): void {
  const bundle = join(root, 'dist', 'widget', 'ahchat.js');
  const newest = (dir: string): number =>
    Math.max(
      ...readdirSync(dir, { withFileTypes: true }).map((e) =>
        e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs,
      ),
    );
  if (existsSync(bundle) && statSync(bundle).mtimeMs >= newest(join(root, 'widget'))) return;
  execFileSync(process.execPath, [join(root, 'scripts', 'build-widget.mjs'), '--no-types'], { stdio: 'ignore' });
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `The widget's browser tests need Chromium at ${CHROMIUM} (they never download a browser). ` +
        'Install it with: sudo apt-get install -y chromium',
    );
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

const digest = (text: unknown) => createHash('sha256').update(String(text)).digest();

export interface TestServer {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly chat: AhChat;
  /** Serves `html` at a fresh path and returns its full URL. */
  page(html: string): string;
  /** Serves a static file body at `path` (e.g. a custom template). */
  file(path: string, type: string, body: string): string;
  /** Closes the plugin (its sockets get 1001) and the HTTP server; the data stays. */
  stop(): Promise<void>;
  /** The same data and port, a new process-equivalent: a new plugin, store and HTTP server. */
  restart(): Promise<TestServer>;
  /** stop() and delete the data. */
  dispose(): Promise<void>;
}

interface Routes {
  pages: Map<string, string>;
  files: Map<string, { type: string; body: string }>;
}

export async function startServer(options: { dir?: string; port?: number; routes?: Routes; plugin?: Partial<AhChatOptions> } = {}): Promise<TestServer> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'ahchat-e2e-'));
  const routes: Routes = options.routes ?? { pages: new Map(), files: new Map() };
  const chat = ahChat({
    authSeller: async ({ id, token }) =>
      String(id) === String(SELLER.id) && timingSafeEqual(digest(token), digest(SELLER.token)) ? { id: SELLER.id, name: SELLER.name } : null,
    findSeller: async (id) => (String(id) === String(SELLER.id) ? { id: SELLER.id, name: SELLER.name } : null),
    store: lowdbStore({ dir }),
    logger: { info: () => {}, warn: (m) => console.warn(m), error: (m) => console.error(m) },
    ...options.plugin,
  });
  const app = express();
  app.use(chat);
  const requirejs = createRequire(import.meta.url).resolve('requirejs/require.js');
  app.get('/vendor/require.js', (_req, res) => res.sendFile(requirejs));
  app.get('/favicon.ico', (_req, res) => res.status(204).end());
  app.get('/p/:id', (req, res) => {
    const html = routes.pages.get(req.params.id);
    if (html === undefined) res.status(404).end();
    else res.type('html').send(html);
  });
  app.get('/f/:name', (req, res) => {
    const file = routes.files.get(req.params.name);
    if (!file) res.status(404).end();
    else res.type(file.type).send(file.body);
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(options.port ?? 0, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await chat.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    url,
    port,
    dir,
    chat,
    page(html) {
      const id = String(routes.pages.size + 1);
      routes.pages.set(id, html);
      return `${url}/p/${id}`;
    },
    file(name, type, body) {
      routes.files.set(name, { type, body });
      return `${url}/f/${name}`;
    },
    stop,
    restart: async () => {
      await stop();
      return startServer({ dir, port, routes, plugin: options.plugin });
    },
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A page with the widget loaded by a plain <script>. `config` is passed to `new AHChat` (the URL is
 * the page's own server); every widget event is recorded in `window.ahEvents`.
 */
export function widgetPage(config: Record<string, unknown>, { head = '', body = '' } = {}): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">${head}</head>
<body style="margin:0;font-family:serif;background:#faf7f2">${body}
<script src="/ahchat/ahchat.js"></script>
<script>
  window.ahEvents = [];
  var chat = new AHChat(Object.assign({ url: location.origin.replace(/^http/, 'ws') }, ${JSON.stringify(config)}));
  ['message', 'status', 'chat', 'error', 'unread', 'close'].forEach(function (name) {
    chat.on(name, function (payload) { window.ahEvents.push({ name: name, payload: payload }); });
  });
  window.chat = chat;
  chat.initialize();
</script></body></html>`;
}

export const buyerPage = (server: TestServer, extra: Record<string, unknown> = {}, head = '') =>
  server.page(widgetPage({ sellerId: SELLER.id, ...extra }, { head }));
export const sellerPage = (server: TestServer, head = '') =>
  server.page(
    widgetPage(
      { id: SELLER.id, token: SELLER.token, container: '#inbox' },
      { head, body: '<div id="inbox" style="height:560px;max-width:720px"></div>' },
    ),
  );

/** Widget parts (Playwright's CSS engine pierces the open shadow root). */
export const w = {
  root: (page: Page) => page.locator('[data-ah-root]'),
  launcher: (page: Page) => page.locator('[data-ah-action="toggle"]'),
  text: (page: Page) => page.locator('#ah-text'),
  messages: (page: Page) => page.locator('.ah-msg'),
  bubble: (page: Page, text: string) => page.locator('.ah-msg', { hasText: text }),
  item: (page: Page, chatter: string) => page.locator('.ah-item', { hasText: chatter }),
};

/** Opens a buyer page, signs up with `name`, and waits for the conversation. */
export async function signUpBuyer(context: BrowserContext, server: TestServer, name: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(buyerPage(server));
  await w.launcher(page).click();
  await page.locator('#ah-name').fill(name);
  await page.locator('#ah-name').press('Enter');
  await w.text(page).waitFor();
  return page;
}

/** Types into the composer and presses Enter, then waits until the server confirmed it. */
export async function send(page: Page, text: string): Promise<Locator> {
  await w.text(page).fill(text);
  await w.text(page).press('Enter');
  const bubble = page.locator('.ah-mine[data-status="sent"]', { hasText: text });
  await bubble.waitFor();
  return bubble;
}

export async function openSeller(context: BrowserContext, server: TestServer, head = ''): Promise<Page> {
  const page = await context.newPage();
  await page.goto(sellerPage(server, head));
  await w.root(page).and(page.locator('[data-view="list"]')).waitFor();
  return page;
}

/**
 * Makes the page report itself hidden (or visible again), as when the user switches to another tab:
 * document.visibilityState / hidden are overridden and visibilitychange is dispatched.
 */
export async function setHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate((h) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (h ? 'hidden' : 'visible') });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

export const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });

/** Texts of the messages in the open conversation. */
export const texts = (page: Page) => page.locator('.ah-msg .ah-text').allTextContents();

/**
 * One browser and one plugin server for a test file: started before its tests (building the widget
 * first if needed), closed after. A test that restarts the server stores the new one in env.server.
 */
export function useBrowserAndServer(): { browser: Browser; server: TestServer } {
  const env = {} as { browser: Browser; server: TestServer };
  beforeAll(async () => {
    ensureWidgetBuilt();
    [env.browser, env.server] = await Promise.all([launchBrowser(), startServer()]);
  });
  afterAll(async () => {
    await env.browser?.close();
    await env.server?.dispose();
  });
  return env;
}
