/**
 * Issue 16 in the browser: a shop with express-session whose signed-in customers and sellers use
 * the chat without names or tokens; the product the buyer looks at on the seller's screen (card,
 * list, marker where it changed, setContext); the name form asking for an e-mail; guests.
 */
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import session from 'express-session';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { SignJWT } from 'jose';
import { ahChat, lowdbStore, signIdentity, type AhChat } from '../../lib/index.js';
import type { Store } from '../../lib/store/store.js';
import { SELLER, ensureWidgetBuilt, launchBrowser, send, shot, w, widgetPage } from './harness.js';

declare module 'express-session' {
  interface SessionData {
    customer?: { id: number; name: string; email?: string };
    seller?: { id: number; name: string };
  }
}

const SECRET = 'e2e-identity-secret-of-32-characters!';
/** How many identities the shop's /chat-identity route handed out: the first one is already expired. */
let minted = 0;

const KETTLE = { title: 'Blue kettle', url: 'https://shop.example/kettle', image: 'https://cdn.shop.example/kettle.png', price: '€12.50', ref: 'sku-1' };

let browser: Browser;
let server: Server;
let chat: AhChat;
let store: Store;
let base: string;
let dir: string;
const pages = new Map<string, string>();

/** A page of the shop (same origin as the chat), served at /p/<name>. */
function page(name: string, config: Record<string, unknown>, body = ''): string {
  pages.set(name, widgetPage(config, { body }));
  return `${base}/p/${name}`;
}

beforeAll(async () => {
  ensureWidgetBuilt();
  dir = mkdtempSync(join(tmpdir(), 'ahchat-e2e-identity-'));
  const sessions = session({ secret: 'e2e-session-secret', resave: false, saveUninitialized: false });
  const sessionOf = (request: IncomingMessage) =>
    new Promise<session.SessionData | undefined>((resolve, reject) => {
      const req = request as express.Request;
      sessions(req, {} as express.Response, (error?: unknown) => (error ? reject(error) : resolve(req.session)));
    });
  store = lowdbStore({ dir });
  chat = ahChat({
    authSeller: async () => null,
    findSeller: async (id) => (String(id) === String(SELLER.id) ? { id: SELLER.id, name: SELLER.name } : null),
    store,
    nameRequired: false,
    logger: { info: () => {}, warn: () => {}, error: (m) => console.error(m) },
    contextImageOrigins: ['https://cdn.shop.example'],
    identitySecret: SECRET,
    async identifyBuyer(request) {
      return (await sessionOf(request))?.customer ?? null;
    },
    async identifySeller(request) {
      return (await sessionOf(request))?.seller ?? null;
    },
    // The shop's own price wins over the page's.
    resolveContext: async (context) => (context.ref === 'sku-1' ? { ...context, price: '€11.90' } : context),
  });
  const app = express();
  app.use(sessions);
  app.get('/login/customer', (req, res) => {
    req.session.customer = { id: 501, name: 'Ann Customer', email: 'ann@example.com' };
    res.redirect('/p/product');
  });
  app.get('/login/seller', (req, res) => {
    req.session.seller = { id: SELLER.id, name: SELLER.name };
    res.redirect('/p/seller');
  });
  app.get('/p/:name', (req, res) => {
    const html = pages.get(req.params.name);
    if (html === undefined) res.status(404).end();
    else res.type('html').send(html);
  });
  // The shop's server mints identities for its page (here for customer 900); the first one expired a minute ago.
  app.get('/chat-identity', async (_req, res) => {
    const now = Math.floor(Date.now() / 1000);
    const identity =
      minted++ === 0
        ? await new SignJWT({ name: 'Dee Remote' }).setProtectedHeader({ alg: 'HS256' }).setSubject('900').setAudience('ahchat:buyer').setIssuedAt(now - 600).setExpirationTime(now - 60).sign(new TextEncoder().encode(SECRET))
        : await signIdentity({ id: 900, name: 'Dee Remote' }, SECRET);
    res.type('text').send(identity);
  });
  app.get('/favicon.ico', (_req, res) => res.status(204).end());
  app.use(chat);
  [browser, server] = await Promise.all([
    launchBrowser(),
    new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    }),
  ]);
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  page('product', { sellerId: SELLER.id, identified: true, context: KETTLE });
  page('seller', { id: SELLER.id, identified: true, container: '#inbox' }, '<div id="inbox" style="height:560px;max-width:720px"></div>');
});

afterAll(async () => {
  await browser?.close();
  await chat?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  rmSync(dir, { recursive: true, force: true });
});

async function customerPage(): Promise<Page> {
  const context = await browser.newContext();
  const tab = await context.newPage();
  await tab.goto(`${base}/login/customer`);
  await w.launcher(tab).click();
  await w.text(tab).waitFor();
  return tab;
}

async function sellerPage(): Promise<Page> {
  const tab = await (await browser.newContext()).newPage();
  await tab.goto(`${base}/login/seller`);
  await w.root(tab).and(tab.locator('[data-view="list"]')).waitFor();
  return tab;
}

describe('the shop’s own sign-in', () => {
  it('lets a signed-in customer write at once, on two devices, and the seller answer from its session', async () => {
    const phone = await customerPage();
    expect(await phone.locator('#ah-name').count()).toBe(0);
    await send(phone, 'Is it in stock?');

    const laptop = await customerPage();
    await w.bubble(laptop, 'Is it in stock?').waitFor();

    const seller = await sellerPage();
    const item = w.item(seller, 'Ann Customer');
    await item.waitFor();
    // The list shows the product, the host's price (resolveContext) on the card.
    await expect(item.locator('.ah-item-product').textContent()).resolves.toBe('Blue kettle');
    await item.click();
    const card = seller.locator('.ah-product');
    await card.waitFor();
    expect(await card.locator('.ah-product-title').textContent()).toBe('Blue kettle');
    expect(await card.locator('.ah-price').textContent()).toBe('€11.90');
    expect(await card.getAttribute('href')).toBe('https://shop.example/kettle');
    expect(await card.getAttribute('rel')).toBe('noopener noreferrer');
    expect(await card.locator('img').getAttribute('src')).toBe('https://cdn.shop.example/kettle.png');

    // A single-page shop moves on to another product: the card follows, the log marks the change.
    await phone.evaluate(() => (window as unknown as { chat: { setContext(c: object): void } }).chat.setContext({
      title: '<img src=x onerror="window.pwned=1">Red kettle',
      url: 'https://shop.example/red',
    }));
    await seller.locator('.ah-product-title', { hasText: 'Red kettle' }).waitFor();
    await send(phone, 'And this one?');
    const mark = seller.locator('.ah-context-mark');
    await mark.waitFor();
    expect(await mark.textContent()).toContain('<img src=x onerror="window.pwned=1">Red kettle');
    expect(await seller.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    await seller.locator('.ah-msg', { hasText: 'And this one?' }).waitFor();
    await shot(seller, 'identity-seller-product');

    const order = await seller.locator('.ah-log > *').evaluateAll((rows) => rows.map((r) => r.className.split(' ')[0]));
    expect(order.slice(-2)).toEqual(['ah-context-mark', 'ah-msg']);
    await seller.locator('[data-ah-autofocus]').fill('Yes, both in stock');
    await seller.locator('[data-ah-autofocus]').press('Enter');
    await w.bubble(phone, 'Yes, both in stock').waitFor();
    await w.bubble(laptop, 'Yes, both in stock').waitFor();
    for (const tab of [phone, laptop, seller]) await tab.context().close();
  });
});

describe('signed identities', () => {
  it('signs in with the identity a function fetched, and fetches a fresh one when the first has expired', async () => {
    pages.set(
      'remote',
      `<!doctype html><html lang="en"><body><script src="/ahchat/ahchat.js"></script><script>
        window.chat = new AHChat({ url: location.origin.replace(/^http/, 'ws'), sellerId: ${SELLER.id},
          identity: function () { return fetch('/chat-identity').then(function (r) { return r.text(); }); } });
        window.errors = [];
        chat.on('error', function (e) { window.errors.push(e.code); });
        chat.initialize();
      </script></body></html>`,
    );
    const tab = await (await browser.newContext()).newPage();
    await tab.goto(`${base}/p/remote`);
    await w.launcher(tab).click();
    await send(tab, 'Signed from afar');
    expect(await tab.evaluate(() => (window as unknown as { errors: string[] }).errors)).toEqual(['IDENTITY_INVALID']);
    expect(minted).toBe(2);
    expect(await store.findBuyerByExternalId!('900')).toMatchObject({ name: 'Dee Remote' });
    await tab.context().close();
  });
});

describe('the name form', () => {
  it('comes for a visitor the shop’s session does not know, on a page that says identified', async () => {
    const tab = await (await browser.newContext()).newPage();
    await tab.goto(`${base}/p/product`);
    await w.launcher(tab).click();
    await tab.locator('#ah-name').fill('Walk-in');
    await tab.locator('#ah-name').press('Enter');
    await send(tab, 'Hello without an account');
    expect(await tab.evaluate(() => Object.keys(localStorage).some((key) => key.endsWith(':token')))).toBe(true);
    await tab.context().close();
  });

  it('asks for an e-mail address (required) and keeps it with the buyer', async () => {
    const tab = await (await browser.newContext()).newPage();
    await tab.goto(page('email', { sellerId: SELLER.id, askEmail: 'required' }));
    await w.launcher(tab).click();
    await tab.locator('#ah-name').fill('Bea');
    await tab.locator('#ah-name').press('Enter');
    // Required: the form stays until there is an address.
    expect(await tab.locator('#ah-email').evaluate((input) => (input as HTMLInputElement).validity.valueMissing)).toBe(true);
    await tab.locator('#ah-email').fill('bea@example.com');
    await tab.locator('#ah-email').press('Enter');
    await send(tab, 'Write to me');
    const token = await tab.evaluate(() => Object.entries(localStorage).find(([key]) => key.endsWith(':token'))?.[1]);
    const { hashToken } = await import('../../lib/chat/tokens.js');
    expect(await store.findBuyerByTokenHash(hashToken(token!))).toMatchObject({ name: 'Bea', email: 'bea@example.com' });
    await tab.context().close();
  });

  it('lets a guest write first and give a name later; the seller sees the change', async () => {
    const tab = await (await browser.newContext()).newPage();
    await tab.goto(page('guest', { sellerId: SELLER.id, nameRequired: false }));
    await w.launcher(tab).click();
    await send(tab, 'Just a quick question');
    const seller = await sellerPage();
    await seller.locator('.ah-item', { hasText: 'Just a quick question' }).locator('.ah-item-name', { hasText: /^Guest \d{4}$/ }).waitFor();
    await tab.locator('[data-ah-action="name"], .ah-add-name').click();
    await tab.locator('#ah-name').fill('Cleo');
    await tab.locator('#ah-name').press('Enter');
    await w.item(seller, 'Cleo').waitFor();
    expect(await tab.locator('.ah-add-name').count()).toBe(0);
    for (const t of [tab, seller]) await t.context().close();
  });
});
