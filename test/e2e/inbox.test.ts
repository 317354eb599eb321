/**
 * Issue 15 in the browser: the seller's inbox (two panes / one pane with Back, paging past
 * chatListLimit, search, filters, archive and reopen, quick replies, keyboard shortcuts, mark as
 * unread) and the buyer's first minute (focus, the length counter, a refused message put back, RTL,
 * 400 % zoom), axe in both, and screenshots of every new view at 1280×800 and 360×740.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { MessageRejected } from '../../lib/wire/index.js';
import { TestClient } from '../helpers/client.js';
import { SELLER, buyerPage, ensureWidgetBuilt, launchBrowser, send, shot, signUpBuyer, startServer, texts, w, widgetPage, type TestServer } from './harness.js';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 360, height: 740 };

let browser: Browser;
let server: TestServer;
beforeAll(async () => {
  ensureWidgetBuilt();
  browser = await launchBrowser();
  server = await startServer({
    plugin: {
      chatListLimit: 20,
      beforeMessage: ({ text }) => {
        if (text.includes('forbidden')) throw new MessageRejected('WORD');
        return text;
      },
    },
  });
});
afterAll(async () => {
  await browser?.close();
  await server?.dispose();
});

async function withContext<T>(viewport: { width: number; height: number }, fn: (context: BrowserContext) => Promise<T>, extra = {}): Promise<T> {
  const context = await browser.newContext({ viewport, ...extra });
  try {
    return await fn(context);
  } finally {
    await context.close();
  }
}

/** Buyers signed up over raw sockets, each with a message: fast, and they count like any others. */
async function buyersWho(names: string[], text = (name: string) => `Hello, I am ${name}`) {
  const made = [];
  for (const name of names) {
    const client = await TestClient.connect(`ws://127.0.0.1:${server.port}/ahchat`);
    const auth = await client.request('auth', { name, sellerId: SELLER.id, protocol: 2 });
    const sent = await client.request('message', { text: text(name), clientDate: Date.now(), chatId: auth.data.chatId });
    expect(sent.error).toBeUndefined();
    made.push({ client, chatId: auth.data.chatId as number, token: auth.data.token as string });
  }
  return made;
}

/** The seller's inbox filling the page. */
async function openInbox(context: BrowserContext, options: Record<string, unknown> = {}): Promise<Page> {
  const page = await context.newPage();
  await page.goto(
    server.page(
      widgetPage({ id: SELLER.id, token: SELLER.token, container: '#inbox', ...options }, { body: '<div id="inbox" style="height:100vh"></div>' }),
    ),
  );
  await page.locator('.ah-inbox').waitFor();
  return page;
}

/**
 * axe-core inside the page, on the widget (it walks the open shadow root): the serious and critical
 * violations. It must have checked elements inside the shadow root, or it proved nothing.
 */
/** A text `by` characters over the limit (`length` in all): marked in the composer, kept there on Enter, never sent. */
async function refusedAsTooLong(page: Page, length: number, by: number): Promise<void> {
  await w.text(page).fill('y'.repeat(length));
  await page.locator('.ah-counter[data-over]', { hasText: `Too long by ${by} characters` }).waitFor();
  await w.text(page).press('Enter');
  expect(await w.text(page).inputValue()).toHaveLength(length);
  expect(await w.text(page).getAttribute('aria-invalid')).not.toBeNull();
  expect(await page.locator('.ah-msg').count()).toBe(0);
}

async function axe(page: Page): Promise<Array<{ id: string; impact: string; nodes: number }>> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: AXE });
  const { violations, inShadow } = await page.evaluate(async () => {
    type Node = { target: unknown[] };
    type Result = { id: string; impact: string; nodes: Node[] };
    const run = (window as unknown as { axe: { run: (c: unknown, o: unknown) => Promise<{ violations: Result[]; passes: Result[] }> } }).axe;
    const result = await run.run({ include: [['[data-ahchat]']] }, {});
    return {
      violations: result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })),
      // A node inside a shadow root is targeted by a path: [host selector, selector inside].
      inShadow: result.passes.flatMap((p) => p.nodes).filter((n) => Array.isArray(n.target[0])).length,
    };
  });
  expect(inShadow).toBeGreaterThan(10);
  return violations;
}

describe('the seller’s inbox', () => {
  // The paging test counts every chat of the server: it runs first.
  it('two panes at 1280×800, one pane at 360×740 whose Back keeps the scroll position and the chat; pages past chatListLimit', async () => {
    const names = Array.from({ length: 45 }, (_, i) => `Buyer ${String(i + 1).padStart(2, '0')}`);
    const buyers = await buyersWho(names);
    try {
      await withContext(DESKTOP, async (context) => {
        const page = await openInbox(context);
        await page.locator('.ah-inbox[data-layout="two"]').waitFor();
        // The region is named for the seller, not with the buyer's "Ask the seller".
        expect(await page.locator('section[role="region"]').getAttribute('aria-label')).toBe('Your chats');
        // The sign-in carried chatListLimit (20) chats; scrolling to the end of the list fetches the rest.
        await expect.poll(() => page.locator('.ah-item').count()).toBe(20);
        await page.locator('.ah-list').evaluate((el) => el.scrollTo(0, el.scrollHeight));
        await expect.poll(() => page.locator('.ah-item').count()).toBe(45);
        expect(await page.locator('.ah-item').last().textContent()).toContain('Buyer 01');
        await shot(page, 'inbox-two-panes-1280');
        await w.item(page, 'Buyer 45').click();
        await page.locator('.ah-pane-chat .ah-conversation').waitFor();
        expect(await page.locator('.ah-pane-list').isVisible()).toBe(true);
        expect(await page.locator('.ah-item[aria-current="true"]').textContent()).toContain('Buyer 45');
        await expect.poll(() => page.evaluate(() => document.activeElement?.shadowRoot?.activeElement?.id)).toBe('ah-text');
        await shot(page, 'inbox-two-panes-chat-1280');
        // The page itself never scrolls (the screen-reader texts stay inside the list's box).
        expect(await page.evaluate(() => document.scrollingElement!.scrollHeight)).toBeLessThanOrEqual(DESKTOP.height);
        expect(await axe(page)).toEqual([]);
      });
      await withContext(PHONE, async (context) => {
        const page = await openInbox(context);
        await page.locator('.ah-inbox[data-layout="one"]').waitFor();
        await page.locator('.ah-list').evaluate((el) => el.scrollTo(0, el.scrollHeight));
        await expect.poll(() => page.locator('.ah-item').count()).toBe(45);
        await page.locator('.ah-list').evaluate((el) => el.scrollTo(0, 1200));
        const top = await page.locator('.ah-list').evaluate((el) => el.scrollTop);
        expect(top).toBeGreaterThan(1000);
        await shot(page, 'inbox-one-pane-list-360');
        const item = page.locator('.ah-item', { hasText: 'Buyer 25' });
        await item.click();
        await page.locator('.ah-conversation').waitFor();
        expect(await page.locator('.ah-pane-list').isVisible()).toBe(false);
        expect(await page.locator('.ah-back').isVisible()).toBe(true);
        await shot(page, 'inbox-one-pane-chat-360');
        await page.locator('.ah-back').click();
        await page.locator('.ah-item:focus', { hasText: 'Buyer 25' }).waitFor();
        expect(await page.locator('.ah-list').evaluate((el) => el.scrollTop)).toBe(top);
        expect(await axe(page)).toEqual([]);
      });
    } finally {
      for (const b of buyers) b.client.close();
    }
  });

  it('loads with the original README’s RequireJS snippet (the seller’s variant), from the folder ahchat.js came from', async () => {
    const [buyer] = await buyersWho(['Required']);
    try {
      await withContext(DESKTOP, async (context) => {
        const page = await context.newPage();
        const loaded: string[] = [];
        page.on('request', (request) => loaded.push(new URL(request.url()).pathname));
        await page.goto(
          server.page(`<!doctype html><html><body><div id="inbox" style="height:600px"></div>
<script src="/vendor/require.js"></script>
<script>requirejs.config({ paths: { ahchat: '/ahchat/ahchat' } });</script>
<script>
require(["ahchat"], function(AHChat){
        var chat = new AHChat({
            id: ${SELLER.id},
            token: '${SELLER.token}',
            url: '${server.url.replace(/^http/, 'ws')}',
            container: '#inbox'
        });
        chat.initialize();
    });
</script></body></html>`),
        );
        await w.item(page, 'Required').click();
        await w.bubble(page, 'Hello, I am Required').waitFor();
        // (The inbox from the same folder as the bundle; nothing else.)
        expect(loaded.filter((path) => path.startsWith('/ahchat/ahchat')).sort()).toEqual(['/ahchat/ahchat-inbox.js', '/ahchat/ahchat.js']);
      });
      // A buyer's page never asks for the inbox.
      await withContext(PHONE, async (context) => {
        const page = await context.newPage();
        const loaded: string[] = [];
        page.on('request', (request) => loaded.push(new URL(request.url()).pathname));
        await page.goto(buyerPage(server));
        await w.launcher(page).click();
        await page.locator('#ah-name').waitFor();
        // The bundle and, for a buyer without a token, the name form; never the inbox.
        expect(loaded.filter((path) => path.startsWith('/ahchat/ahchat')).sort()).toEqual(['/ahchat/ahchat-signup.js', '/ahchat/ahchat.js']);
      });
    } finally {
      buyer!.client.close();
    }
  });

  it('finds chats by name and by message text, filters unread / waiting / closed, and reopens a closed one', async () => {
    const [tea, parcel, gone] = await buyersWho(['Olga Tea', 'Pavel Parcel', 'Gina Gone'], (name) =>
      name.startsWith('Olga') ? 'Is the Darjeeling in stock?' : name.startsWith('Pavel') ? 'Where is my parcel?' : 'bye',
    );
    try {
      await withContext(DESKTOP, async (context) => {
        const page = await openInbox(context);
        // Gina's chat is closed, Pavel's answered: only Olga waits.
        await w.item(page, 'Gina Gone').click();
        await page.getByRole('button', { name: 'Close chat' }).click();
        await page.locator('.ah-bar').getByRole('button', { name: 'Close chat' }).click();
        await w.item(page, 'Gina Gone').waitFor({ state: 'detached' });
        await w.item(page, 'Pavel Parcel').click();
        await send(page, 'It left today.');
        const search = page.locator('#ah-search');
        await search.fill('darjee');
        await expect.poll(() => page.locator('.ah-item').allTextContents()).toEqual([expect.stringContaining('Olga Tea')]);
        await search.fill('pavel');
        await expect.poll(() => page.locator('.ah-item').allTextContents()).toEqual([expect.stringContaining('Pavel Parcel')]);
        await search.fill('nothing like this');
        await page.locator('.ah-empty', { hasText: 'No chats match.' }).waitFor();
        await search.fill('');
        const filter = (name: string) => page.locator('.ah-filter', { hasText: new RegExp(`^${name}$`) });
        await filter('Waiting for reply').click();
        await expect.poll(async () => (await page.locator('.ah-item').allTextContents()).some((t) => t.includes('Pavel'))).toBe(false);
        await w.item(page, 'Olga Tea').waitFor();
        await filter('Unread').click();
        await w.item(page, 'Olga Tea').waitFor();
        await filter('Closed').click();
        await expect.poll(() => page.locator('.ah-item').allTextContents()).toEqual([expect.stringContaining('Gina Gone')]);
        await w.item(page, 'Gina Gone').click();
        await page.locator('.ah-notice[data-kind="closed"]').waitFor();
        await shot(page, 'inbox-archive-1280');
        await page.getByRole('button', { name: 'Reopen chat' }).click();
        await page.locator('.ah-filter[aria-pressed="true"]', { hasText: 'All' }).waitFor();
        await w.text(page).waitFor();
        await send(page, 'Welcome back, Gina!');
        expect((await gone!.client.next('message')).data.text).toBe('Welcome back, Gina!');
        expect(await axe(page)).toEqual([]);
      });
      await withContext(PHONE, async (context) => {
        const page = await openInbox(context);
        await page.locator('#ah-search').fill('darjee');
        await expect.poll(() => page.locator('.ah-item').count()).toBe(1);
        await shot(page, 'inbox-search-360');
      });
    } finally {
      for (const b of [tea, parcel, gone]) b!.client.close();
    }
  });

  it('quick replies (the seller’s own, kept on the server, and the host’s), keyboard shortcuts with ? help, mark as unread', async () => {
    const buyers = await buyersWho(['Kim One', 'Kim Two', 'Kim Three']);
    try {
      await withContext(DESKTOP, async (context) => {
        const page = await openInbox(context, { quickReplies: ['Thanks for your order!'] });
        const ids = async () => page.locator('.ah-item').evaluateAll((els) => els.map((el) => el.textContent));
        await expect.poll(async () => (await ids()).length).toBeGreaterThanOrEqual(3);
        // Keyboard: / focuses search, Escape leaves it, j / k walk the list, ? lists the keys.
        await page.locator('.ah-item').first().focus();
        await page.keyboard.press('j');
        const first = await page.locator('[data-ah-slot="title"]').textContent();
        await page.locator('.ah-item[aria-current="true"]').waitFor();
        await page.keyboard.press('Alt+ArrowDown');
        await expect.poll(() => page.locator('[data-ah-slot="title"]').textContent()).not.toBe(first);
        await page.keyboard.press('Alt+ArrowUp');
        await expect.poll(() => page.locator('[data-ah-slot="title"]').textContent()).toBe(first);
        await page.locator('.ah-log').focus();
        await page.keyboard.press('?');
        const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
        await help.waitFor();
        await page.keyboard.press('Tab');
        await help.getByRole('button', { name: 'Close' }).and(page.locator(':focus')).waitFor();
        expect(await help.textContent()).toContain('Next unread chat');
        await shot(page, 'inbox-help-1280');
        expect(await axe(page)).toEqual([]);
        await page.keyboard.press('Escape');
        await help.waitFor({ state: 'detached' });
        await page.locator('.ah-log').focus();
        await page.keyboard.press('/');
        await expect.poll(() => page.evaluate(() => document.activeElement?.shadowRoot?.activeElement?.id)).toBe('ah-search');

        // Quick replies: the host's and the seller's own; a click puts one into the message box.
        await w.item(page, 'Kim Two').click();
        await page.getByRole('button', { name: 'Quick replies' }).click();
        await page.locator('#ah-reply').fill('It ships tomorrow.');
        await page.locator('#ah-reply').press('Enter');
        await page.locator('.ah-reply-use', { hasText: 'It ships tomorrow.' }).waitFor();
        await shot(page, 'inbox-quick-replies-1280');
        await page.locator('.ah-reply-use', { hasText: 'Thanks for your order!' }).click();
        expect(await w.text(page).inputValue()).toBe('Thanks for your order!');
        await page.getByRole('button', { name: 'Quick replies' }).click();
        await page.getByRole('button', { name: 'Edit: It ships tomorrow.' }).click();
        await page.locator('#ah-reply').fill('It ships today.');
        await page.locator('#ah-reply').press('Enter');
        await page.locator('.ah-reply-use', { hasText: 'It ships today.' }).waitFor();

        // They follow the seller to another device.
        const phone = await context.browser()!.newContext({ viewport: PHONE });
        try {
          const other = await openInbox(phone);
          await w.item(other, 'Kim One').click();
          await other.getByRole('button', { name: 'Quick replies' }).click();
          await other.locator('.ah-reply-use', { hasText: 'It ships today.' }).waitFor();
          await shot(other, 'inbox-quick-replies-360');
          await other.getByRole('button', { name: 'Delete: It ships today.' }).click();
          await other.locator('.ah-reply-use', { hasText: 'It ships today.' }).waitFor({ state: 'detached' });
        } finally {
          await phone.close();
        }

        // Mark as unread (u): back to the list with the count; x asks to close.
        await w.item(page, 'Kim Two').click();
        await page.locator('.ah-log').focus();
        await page.keyboard.press('u');
        await page.locator('.ah-item[data-unread="1"]', { hasText: 'Kim Two' }).waitFor();
        // Opening it again reads it again, on the server too (a reload shows it read).
        await w.item(page, 'Kim Two').click();
        await page.reload();
        await page.locator('.ah-item[data-unread="0"]', { hasText: 'Kim Two' }).waitFor();
        await w.item(page, 'Kim Two').click();
        await page.locator('.ah-log').focus();
        await page.keyboard.press('x');
        await page.locator('.ah-bar[role="alert"]', { hasText: 'Close this chat (Kim Two)?' }).waitFor();
        await page.keyboard.press('Escape');
      });
    } finally {
      for (const b of buyers) b.client.close();
    }
  });
});

describe('the buyer’s first minute', () => {
  it('focus goes into the composer after sign-up (Enter or click) and after opening; a too-long text is kept with a counter', async () => {
    for (const viewport of [DESKTOP, PHONE]) {
      await withContext(viewport, async (context) => {
        const page = await context.newPage();
        await page.goto(buyerPage(server));
        await w.launcher(page).click();
        await expect.poll(() => page.evaluate(() => document.activeElement?.shadowRoot?.activeElement?.id)).toBe('ah-name');
        await page.locator('#ah-name').fill('Focus');
        await page.locator('#ah-name').press('Enter');
        await expect.poll(() => page.evaluate(() => document.activeElement?.shadowRoot?.activeElement?.id)).toBe('ah-text');
        await page.keyboard.type('typed at once');
        expect(await w.text(page).inputValue()).toBe('typed at once');
        // Near the limit a counter; over it the text stays, marked, and nothing is sent.
        await w.text(page).fill('x'.repeat(3700));
        await page.locator('.ah-counter', { hasText: '300 characters left' }).waitFor();
        await refusedAsTooLong(page, 4005, 5);
        await shot(page, `buyer-counter-${viewport.width}`);
        await w.text(page).fill('');
        // The empty chat speaks to the buyer; axe finds nothing serious.
        await page.locator('.ah-empty', { hasText: 'Ask anything about the product!' }).waitFor();
        expect(await axe(page)).toEqual([]);
        // The header's buttons show their focus in the header's text colour (not accent on accent).
        await page.locator('.ah-x').focus();
        await page.keyboard.press('Shift+Tab');
        await page.keyboard.press('Tab');
        expect(await page.locator('.ah-x').evaluate((el) => [el.matches(':focus-visible'), getComputedStyle(el).outlineColor, getComputedStyle(el).outlineStyle])).toEqual([
          true,
          'rgb(255, 255, 255)',
          'solid',
        ]);
        // Closing and opening again puts the focus back into the composer.
        await page.keyboard.press('Escape');
        await w.launcher(page).click();
        await expect.poll(() => page.evaluate(() => document.activeElement?.shadowRoot?.activeElement?.id)).toBe('ah-text');
      });
    }
  });

  it('the seller reopens the closed chat: the buyer’s open widget writes in it again at once, without a reload', async () => {
    const seller = await TestClient.connect(`ws://127.0.0.1:${server.port}/ahchat`);
    try {
      expect((await seller.request('auth', { id: SELLER.id, token: SELLER.token, protocol: 2 })).error).toBeUndefined();
      await withContext(PHONE, async (context) => {
        const page = await signUpBuyer(context, server, 'Rita Reopen');
        await send(page, 'Is the kettle back?');
        const { chatId } = (await seller.next('message')).data;
        await page.evaluate(() => ((window as unknown as { loaded: number }).loaded = 1));
        seller.send('close', { chatId });
        await page.locator('.ah-notice[data-kind="closed"]').waitFor();
        await page.getByRole('button', { name: 'Start a new chat' }).waitFor();
        expect((await seller.request('reopen', { chatId })).error).toBeUndefined();
        // The closed notice and the button go, the composer is back, the conversation kept.
        await w.text(page).waitFor();
        expect(await page.locator('.ah-notice[data-kind="closed"], .ah-restart').count()).toBe(0);
        expect(await texts(page)).toEqual(['Is the kettle back?']);
        await send(page, 'Thanks for reopening');
        const pushed = await seller.next('message');
        expect(pushed.data).toMatchObject({ chatId, text: 'Thanks for reopening', my: false });
        expect(await page.evaluate(() => (window as unknown as { loaded?: number }).loaded)).toBe(1);
        await shot(page, 'buyer-reopened-360');
      });
    } finally {
      seller.close();
    }
  });

  it('the counter and the too-long check follow the server’s maxTextLength (50): 51 characters are refused in the composer', async () => {
    const small = await startServer({ plugin: { maxTextLength: 50 } });
    try {
      await withContext(DESKTOP, async (context) => {
        const page = await signUpBuyer(context, small, 'Lena Limit');
        await w.text(page).fill('x'.repeat(46));
        await page.locator('.ah-counter', { hasText: '4 characters left' }).waitFor();
        await refusedAsTooLong(page, 51, 1);
        // At the limit it goes, and the server takes it.
        await send(page, 'z'.repeat(50));
        expect(await w.text(page).getAttribute('aria-invalid')).toBeNull();
      });
    } finally {
      await small.dispose();
    }
  });

  it('one day separator and one time per run of messages; after a close the old chat stays readable above the new one', async () => {
    await withContext(PHONE, async (context) => {
      const page = await signUpBuyer(context, server, 'Runs');
      for (const text of ['first', 'second', 'third']) await send(page, text);
      const today = new Date().toLocaleDateString('en', { day: 'numeric', month: 'long', year: 'numeric' });
      expect(await page.locator('.ah-day[role="separator"]').allTextContents()).toEqual([today]);
      // The three were sent within a minute: the time shows once, under the last.
      expect(await page.locator('.ah-msg').evaluateAll((els) => els.map((el) => el.querySelectorAll('time').length))).toEqual([0, 0, 1]);
      const seller = await openInbox(await context.browser()!.newContext({ viewport: DESKTOP }));
      await w.item(seller, 'Runs').click();
      await seller.getByRole('button', { name: 'Close chat' }).click();
      await seller.locator('.ah-bar').getByRole('button', { name: 'Close chat' }).click();
      await page.getByRole('button', { name: 'Start a new chat' }).click();
      await expect.poll(() => page.evaluate(() => document.activeElement?.shadowRoot?.activeElement?.id)).toBe('ah-text');
      await send(page, 'in the new chat');
      expect(await page.locator('.ah-msg .ah-text').allTextContents()).toEqual(['first', 'second', 'third', 'in the new chat']);
      expect(await page.locator('.ah-day').allTextContents()).toEqual([today, 'This chat was closed.', today]);
      await shot(page, 'buyer-after-close-360');
      await seller.context().close();
    });
  });

  it('a refused message can be put back into the composer, edited and sent', async () => {
    await withContext(PHONE, async (context) => {
      const page = await signUpBuyer(context, server, 'Refused');
      await w.text(page).fill('a forbidden word');
      await w.text(page).press('Enter');
      const failed = page.locator('.ah-mine[data-status="failed"]', { hasText: 'a forbidden word' });
      await failed.waitFor();
      await shot(page, 'buyer-failed-360');
      expect(await axe(page)).toEqual([]);
      await failed.getByRole('button', { name: 'Edit' }).click();
      await failed.waitFor({ state: 'detached' });
      expect(await w.text(page).inputValue()).toBe('a forbidden word');
      await w.text(page).fill('a fine word');
      await w.text(page).press('Enter');
      await page.locator('.ah-mine[data-status="sent"]', { hasText: 'a fine word' }).waitFor();
    });
  });

  it('Arabic mirrors the layout; user text has dir="auto" (bubbles, names, previews, composer)', async () => {
    await withContext(PHONE, async (context) => {
      const page = await context.newPage();
      await page.goto(buyerPage(server, { lang: 'ar', open: true }));
      await page.locator('.ah[dir="rtl"]').waitFor();
      await page.locator('#ah-name').fill('مريم');
      await page.locator('#ah-name').press('Enter');
      await w.text(page).waitFor();
      expect(await w.text(page).getAttribute('dir')).toBe('auto');
      await send(page, 'مرحبا، هل المنتج متوفر؟');
      await send(page, 'Hello in English too');
      const bubbles = page.locator('.ah-bubble');
      expect(await bubbles.evaluateAll((els) => els.map((el) => [el.getAttribute('dir'), getComputedStyle(el).direction]))).toEqual([
        ['auto', 'rtl'],
        ['auto', 'ltr'],
      ]);
      expect(await page.locator('.ah-launcher-label, .ah-primary, [data-ah-text]').first().textContent()).not.toBe('');
      await shot(page, 'buyer-rtl-360');
      expect(await axe(page)).toEqual([]);
    });
    await withContext(DESKTOP, async (context) => {
      const page = await openInbox(context, { lang: 'ar' });
      const item = page.locator('.ah-item', { hasText: 'مريم' });
      await item.waitFor();
      expect(await item.locator('.ah-item-name').getAttribute('dir')).toBe('auto');
      expect(await item.locator('.ah-preview bdi').getAttribute('dir')).toBe('auto');
      await shot(page, 'inbox-rtl-1280');
    });
  });

  it('reflows at 400 % zoom (320×200 CSS px): the composer stays on screen, nothing scrolls sideways', async () => {
    await withContext({ width: 320, height: 200 }, async (context) => {
      const page = await signUpBuyer(context, server, 'Zoom');
      await send(page, 'at four hundred per cent');
      const box = await w.text(page).boundingBox();
      expect(box).not.toBeNull();
      expect(box!.y + box!.height).toBeLessThanOrEqual(200);
      expect(await page.locator('.ah-log').evaluate((el) => el.clientHeight)).toBeGreaterThan(20);
      expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(320);
      await shot(page, 'buyer-zoom-400');
    }, { deviceScaleFactor: 4 });
  });

  it('a shop sets the accent from its own CSS on [data-ahchat] (no template needed)', async () => {
    await withContext(PHONE, async (context) => {
      const page = await context.newPage();
      await page.goto(buyerPage(server, {}, '<style>[data-ahchat] { --ah-accent: #b02060; }</style>'));
      expect(await w.launcher(page).evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(176, 32, 96)');
    });
  });

  it('the accent option sets the colour; a value that is not one colour changes nothing', async () => {
    await withContext(PHONE, async (context) => {
      const page = await context.newPage();
      await page.goto(buyerPage(server, { accent: '#0a7' }));
      expect(await w.launcher(page).evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(0, 170, 119)');
      const hostile = await context.newPage();
      await hostile.goto(buyerPage(server, { accent: 'red; } :host { display: none } x {' }));
      // The default accent, and the widget still shows.
      expect(await w.launcher(hostile).evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(36, 87, 214)');
      expect(await w.launcher(hostile).isVisible()).toBe(true);
    });
  });

  it('a dark scheme follows prefers-color-scheme', async () => {
    await withContext(PHONE, async (context) => {
      const page = await signUpBuyer(context, server, 'Dark');
      await send(page, 'in the dark');
      const bg = await page.locator('.ah-panel').evaluate((el) => getComputedStyle(el).backgroundColor);
      expect(bg).toBe('rgb(21, 24, 29)');
      await shot(page, 'buyer-dark-360');
      expect(await axe(page)).toEqual([]);
    }, { colorScheme: 'dark' });
  });
});
