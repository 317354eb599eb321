/**
 * Issue 7 in the browser: typing, "Seen", unread counts (badge, list, title, tabs, reloads), sound and
 * desktop notifications while the page is hidden, closing a chat and starting a new one, and paging
 * back through history by scrolling up.
 */
import { describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import {
  SELLER,
  buyerPage,
  openSeller,
  send,
  setHidden,
  shot,
  signUpBuyer,
  texts,
  w,
  widgetPage,
  useBrowserAndServer,
} from './harness.js';

/** The file's browser and plugin server (restart() replaces env.server). */
const env = useBrowserAndServer();

/** Two fresh contexts (a seller's and a buyer's browser), closed after `fn`. */
async function withContexts(fn: (seller: BrowserContext, buyer: BrowserContext) => Promise<void>): Promise<void> {
  const [seller, buyer] = await Promise.all([env.browser.newContext(), env.browser.newContext()]);
  try {
    await fn(seller, buyer);
  } finally {
    await Promise.all([seller.close(), buyer.close()]);
  }
}

/**
 * Records what the widget does with the browser's alert APIs: every `new Notification()` (a stand-in
 * that keeps title, body and onclick; the real permission is the context's), permission requests,
 * oscillators created (beeps) and window.focus() calls.
 */
function recordAlerts(): void {
  const win = window as unknown as Record<string, unknown> & { Notification: typeof Notification };
  const log = { notes: [] as Array<Record<string, unknown>>, asked: 0, beeps: 0, focused: 0 };
  win.__alerts = log;
  const Real = win.Notification;
  function Recorded(title: string, options?: NotificationOptions) {
    const note: Record<string, unknown> = { title, body: options?.body, tag: options?.tag, onclick: null, closed: false };
    note.close = () => (note.closed = true);
    log.notes.push(note);
    return note;
  }
  Object.defineProperty(Recorded, 'permission', { get: () => Real.permission });
  (Recorded as unknown as { requestPermission: () => Promise<string> }).requestPermission = () => {
    log.asked++;
    return Real.requestPermission();
  };
  win.Notification = Recorded as unknown as typeof Notification;
  const oscillator = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function (this: AudioContext) {
    log.beeps++;
    return oscillator.call(this);
  };
  const focus = window.focus.bind(window);
  window.focus = () => {
    log.focused++;
    focus();
  };
}

interface AlertLog {
  notes: Array<{ title: string; body: string; tag: string; closed: boolean }>;
  asked: number;
  beeps: number;
  focused: number;
}
const alerts = (page: Page) => page.evaluate(() => (window as unknown as { __alerts: AlertLog }).__alerts);

describe('widget: seller tools', () => {
  it('typing shows on the other side (throttled to one signal per 2 s), and ends with the message or after ~5 s', async () => {
    await withContexts(async (sellerContext, buyerContext) => {
      const typingFrames: number[] = [];
      await buyerContext.routeWebSocket(/\/ahchat$/, (ws) => {
        const upstream = ws.connectToServer();
        ws.onMessage((message) => {
          if (JSON.parse(String(message)).command === 'typing') typingFrames.push(Date.now());
          upstream.send(message);
        });
        upstream.onMessage((message) => ws.send(message));
      });
      // The buyer's page runs on Playwright's clock (time flows, and can be skipped ahead).
      await buyerContext.clock.install();
      const seller = await openSeller(sellerContext, env.server);
      const buyer = await signUpBuyer(buyerContext, env.server, 'Tina');
      await send(buyer, 'hello');
      await w.item(seller, 'Tina').click();
      await w.bubble(seller, 'hello').waitFor();
      typingFrames.length = 0;

      await w.text(buyer).pressSequentially('Do you have it in 250 g?');
      const typing = seller.locator('.ah-typing', { hasText: 'Tina is typing…' });
      await typing.waitFor();
      // ~25 keystrokes within 2 s: one signal (a sent message lets the next one through at once).
      expect(typingFrames).toHaveLength(1);
      await shot(seller, 'seller-sees-typing');
      await w.text(buyer).press('Enter');
      await w.bubble(seller, 'Do you have it in 250 g?').waitFor();
      expect(await typing.count()).toBe(0);

      // The other way round; without a message the indicator goes after about 5 s.
      await w.text(seller).pressSequentially('Let me check', { delay: 10 });
      const sellerTyping = buyer.locator('.ah-typing', { hasText: `${SELLER.name} is typing…` });
      await sellerTyping.waitFor();
      await shot(buyer, 'buyer-sees-typing');
      await buyer.clock.fastForward(4_000);
      expect(await sellerTyping.count()).toBe(1);
      await buyer.clock.fastForward(1_500);
      await sellerTyping.waitFor({ state: 'detached' });
    });
  });

  it('"Seen" appears only once the other side has the chat on screen', async () => {
    await withContexts(async (sellerContext, buyerContext) => {
      const seller = await openSeller(sellerContext, env.server);
      const buyer = await signUpBuyer(buyerContext, env.server, 'Ursula');
      const mine = await send(buyer, 'Is the sencha from this year?');
      const item = w.item(seller, 'Ursula');
      await item.and(seller.locator('[data-unread="1"]')).waitFor();
      // The seller's list shows the chat but nobody read it yet.
      expect(await mine.locator('.ah-state').count()).toBe(0);
      await item.click();
      await mine.locator('.ah-state', { hasText: 'Seen' }).waitFor();

      // The buyer closes the panel: the seller's answer stays unseen until the buyer opens it again.
      await w.launcher(buyer).click();
      const answer = await send(seller, 'Yes, picked in April.');
      await buyer.locator('.ah-launcher .ah-badge', { hasText: '1' }).waitFor();
      expect(await answer.locator('.ah-state').count()).toBe(0);
      await w.launcher(buyer).click();
      await answer.locator('.ah-state', { hasText: 'Seen' }).waitFor();
      await shot(seller, 'seller-seen');
    });
  });

  it('unread counts: the list and the badge survive reloads, agree across tabs, and show in the hidden tab title', async () => {
    await withContexts(async (sellerContext, buyerContext) => {
      const inbox = await openSeller(sellerContext, env.server, '<title>Inbox</title>');
      const other = await openSeller(sellerContext, env.server, '<title>Inbox</title>');
      const buyer = await signUpBuyer(buyerContext, env.server, 'Vic');
      await send(buyer, 'one');
      await send(buyer, 'two');
      for (const tab of [inbox, other]) await w.item(tab, 'Vic').and(tab.locator('[data-unread="2"]')).waitFor();

      // A hidden tab shows the count in its title; a reload keeps the counts (they come from auth).
      await setHidden(inbox, true);
      await send(buyer, 'three');
      await expect.poll(() => inbox.title()).toBe('(3) Inbox');
      expect(await other.title()).toBe('Inbox');
      await other.reload();
      await w.item(other, 'Vic').and(other.locator('[data-unread="3"]')).locator('.ah-count', { hasText: '3' }).waitFor();
      await shot(other, 'seller-list-unread-after-reload');

      // Reading in one tab clears the count in the other, and its title.
      await w.item(other, 'Vic').click();
      await w.bubble(other, 'three').waitFor();
      await w.item(inbox, 'Vic').and(inbox.locator('[data-unread="0"]')).waitFor();
      await expect.poll(() => inbox.title()).toBe('Inbox');

      // Buyer: the seller answers while the panel is closed; the badge survives a reload, then opening clears it.
      await w.launcher(buyer).click();
      await send(other, 'three it is');
      await send(other, 'shipping today');
      const badge = buyer.locator('.ah-launcher .ah-badge');
      await badge.filter({ hasText: '2' }).waitFor();
      await buyer.reload();
      await badge.filter({ hasText: '2' }).waitFor();
      expect(await buyer.locator('[data-ah-root]').getAttribute('data-unread')).toBe('2');
      await w.launcher(buyer).click();
      await w.bubble(buyer, 'shipping today').waitFor();
      await badge.waitFor({ state: 'detached' });
      await buyer.reload();
      await w.launcher(buyer).waitFor();
      await buyer.locator('[data-ah-root][data-connection="open"]').waitFor();
      expect(await badge.count()).toBe(0);
    });
  });

  it('a hidden page beeps and shows a desktop notification (after "Enable notifications"); a click opens the chat', async () => {
    await withContexts(async (sellerContext, buyerContext) => {
      await sellerContext.grantPermissions(['notifications'], { origin: env.server.url });
      await sellerContext.addInitScript(recordAlerts);
      const seller = await openSeller(sellerContext, env.server, '<title>Inbox</title>');
      const enable = seller.locator('.ah-notice[data-kind="notify"] .ah-link', { hasText: 'Enable notifications' });
      await enable.waitFor();
      const sound = seller.locator('.ah-tool[aria-pressed="true"]');
      await sound.waitFor();
      await shot(seller, 'seller-enable-notifications');
      // Never asked without a click.
      expect((await alerts(seller)).asked).toBe(0);
      await enable.click();
      await enable.waitFor({ state: 'detached' });
      expect((await alerts(seller)).asked).toBe(1);

      const buyer = await signUpBuyer(buyerContext, env.server, 'Wanda');
      await send(buyer, 'hello');
      await w.item(seller, 'Wanda').waitFor();
      // Visible: no beep, no notification.
      expect(await alerts(seller)).toMatchObject({ notes: [], beeps: 0 });

      await setHidden(seller, true);
      await send(buyer, 'Do you ship to Norway?');
      await expect.poll(async () => (await alerts(seller)).notes.length).toBe(1);
      const log = await alerts(seller);
      expect(log.notes[0]).toMatchObject({ title: 'Wanda', body: 'Do you ship to Norway?' });
      expect(log.beeps).toBe(1);
      expect(await seller.title()).toBe('(2) Inbox');

      // Clicking the notification focuses the page and opens the chat.
      await seller.evaluate(() => {
        const note = (window as unknown as { __alerts: { notes: Array<{ onclick: () => void }> } }).__alerts.notes[0];
        note?.onclick();
      });
      await w.bubble(seller, 'Do you ship to Norway?').waitFor();
      expect(await seller.locator('[data-ah-slot="title"]').textContent()).toBe('Wanda');
      expect(await alerts(seller)).toMatchObject({ focused: 1, notes: [{ closed: true }] });
      // Still hidden: not read yet. Back on the tab: read, and the title is restored.
      expect(await seller.title()).toBe('(2) Inbox');
      await setHidden(seller, false);
      await expect.poll(() => seller.title()).toBe('Inbox');
      await buyer.locator('.ah-mine .ah-state', { hasText: 'Seen' }).last().waitFor();

      // The sound toggle mutes the beep (notifications go on) and is remembered after a reload.
      await seller.locator('.ah-tool').click();
      await seller.locator('.ah-tool[aria-pressed="false"]').waitFor();
      await shot(seller, 'seller-sound-off');
      await setHidden(seller, true);
      await send(buyer, 'Hello?');
      await expect.poll(async () => (await alerts(seller)).notes.length).toBe(2);
      expect((await alerts(seller)).beeps).toBe(1);
      await seller.reload();
      await seller.locator('.ah-tool[aria-pressed="false"]').waitFor();
      await w.item(seller, 'Wanda').waitFor();
      expect(await seller.locator('.ah-notice[data-kind="notify"]').count()).toBe(0);
    });
  });

  it('options: sound: false (no beep, no toggle), notifications: false (no offer), titleCount: false (title left alone)', async () => {
    await withContexts(async (sellerContext, buyerContext) => {
      await buyerContext.addInitScript(recordAlerts);
      const seller = await sellerContext.newPage();
      await seller.goto(
        env.server.page(
          widgetPage(
            { id: SELLER.id, token: SELLER.token, container: '#inbox', titleCount: false },
            { head: '<title>Inbox</title>', body: '<div id="inbox" style="height:560px"></div>' },
          ),
        ),
      );
      const buyer = await buyerContext.newPage();
      await buyer.goto(buyerPage(env.server, { sound: false, notifications: false, open: true }, '<title>Sencha</title>'));
      await buyer.locator('#ah-name').fill('Xavier');
      await buyer.locator('#ah-name').press('Enter');
      await send(buyer, 'hi');
      expect(await buyer.locator('.ah-tool').count()).toBe(0);
      expect(await buyer.locator('.ah-notice[data-kind="notify"]').count()).toBe(0);

      // The buyer's hidden tab counts in its title but makes no sound.
      await w.item(seller, 'Xavier').click();
      await setHidden(buyer, true);
      await send(seller, 'Hi Xavier!');
      await expect.poll(() => buyer.title()).toBe('(1) Sencha');
      expect(await alerts(buyer)).toMatchObject({ beeps: 0, notes: [], asked: 0 });
      await setHidden(buyer, false);
      await expect.poll(() => buyer.title()).toBe('Sencha');

      // The seller's hidden tab (titleCount: false) counts in the list only. (Two panes: Escape leaves the chat.)
      await seller.keyboard.press('Escape');
      await setHidden(seller, true);
      await send(buyer, 'still there?');
      await w.item(seller, 'Xavier').and(seller.locator('[data-unread="1"]')).waitFor();
      expect(await seller.title()).toBe('Inbox');
    });
  });

  it('the seller closes a chat (with a confirm step); the buyer starts a new one', async () => {
    await withContexts(async (sellerContext, buyerContext) => {
      const seller = await openSeller(sellerContext, env.server);
      const buyer = await signUpBuyer(buyerContext, env.server, 'Yara');
      await send(buyer, 'Thanks, that is all.');
      await w.item(seller, 'Yara').click();
      await w.bubble(seller, 'Thanks, that is all.').waitFor();

      const bar = seller.locator('.ah-bar');
      const confirm = seller.locator('.ah-bar[role="alert"]');
      await bar.getByRole('button', { name: 'Close chat' }).click();
      await confirm.waitFor();
      expect(await confirm.textContent()).toContain('Close this chat (Yara)?');
      await shot(seller, 'seller-close-confirm');
      await confirm.getByRole('button', { name: 'Cancel' }).click();
      await confirm.waitFor({ state: 'detached' });
      await bar.getByRole('button', { name: 'Close chat' }).click();
      await confirm.locator('[data-kind="danger"]').click();

      // The seller is back in the list, without the chat.
      await seller.locator('[data-ah-root][data-view="list"]').waitFor();
      await w.item(seller, 'Yara').waitFor({ state: 'detached' });
      // The buyer reads that it ended; the composer gives way to "Start a new chat".
      await buyer.locator('.ah-notice[data-kind="closed"]', { hasText: 'This chat was closed.' }).waitFor();
      expect(await w.text(buyer).count()).toBe(0);
      expect(await buyer.evaluate(() => (window as unknown as { ahEvents: Array<{ name: string }> }).ahEvents.some((e) => e.name === 'close'))).toBe(true);
      await shot(buyer, 'buyer-chat-closed');

      await buyer.locator('.ah-restart', { hasText: 'Start a new chat' }).click();
      await buyer.locator('.ah-empty').waitFor();
      await send(buyer, 'One more question');
      // The closed chat stays readable above the new one (the seller sees the new chat only).
      expect((await texts(buyer)).slice(-2)).toEqual(['Thanks, that is all.', 'One more question']);
      await buyer.locator('.ah-day', { hasText: 'This chat was closed.' }).waitFor();
      const item = w.item(seller, 'Yara');
      await item.locator('.ah-preview', { hasText: 'One more question' }).waitFor();
      await item.click();
      expect(await texts(seller)).toEqual(['One more question']);
      await shot(buyer, 'buyer-new-chat');
    });
  });

  it('scrolling up loads older messages page by page and keeps the place', async () => {
    const context = await env.browser.newContext();
    try {
      const buyer = await signUpBuyer(context, env.server, 'Zoe');
      await send(buyer, 'm1');
      const chat = (await env.server.chat.store.listChats(String(SELLER.id), { limit: 200 })).find((c) => c.chatter === 'Zoe');
      if (!chat) throw new Error('no chat for Zoe');
      for (let i = 2; i <= 120; i++) {
        await env.server.chat.store.appendMessage({ chatId: chat.id, from: i % 3 ? 'buyer' : 'seller', text: `m${i}`, clientDate: i });
      }
      await buyer.reload();
      await w.launcher(buyer).click();
      await w.bubble(buyer, 'm120').waitFor();
      expect(await w.messages(buyer).count()).toBe(50);

      const log = buyer.locator('.ah-log');
      for (const expected of [80, 110, 120]) {
        // Scroll to the top; remember where the oldest shown message is on screen.
        const before = await log.evaluate((el) => {
          el.scrollTop = 0;
          const first = el.querySelector('.ah-msg') as HTMLElement;
          return { id: first.dataset.id, top: first.getBoundingClientRect().top };
        });
        await expect.poll(() => w.messages(buyer).count()).toBe(expected);
        const after = await log.evaluate((el, id) => (el.querySelector(`.ah-msg[data-id="${id}"]`) as HTMLElement).getBoundingClientRect().top, before.id);
        expect(Math.abs(after - before.top)).toBeLessThan(2);
        if (expected === 80) await shot(buyer, 'history-page-loaded');
      }
      expect(await texts(buyer)).toEqual(Array.from({ length: 120 }, (_, i) => `m${i + 1}`));
      await buyer.locator('.ah-older').waitFor({ state: 'detached' });
    } finally {
      await context.close();
    }
  });
});
