/** A buyer and a seller in two browser contexts, through the real plugin. */
import { describe, expect, it } from 'vitest';
import {
  SELLER,
  buyerPage,
  openSeller,
  send,
  shot,
  signUpBuyer,
  texts,
  w,
  useBrowserAndServer,
  widgetPage,
} from './harness.js';

/** The file's browser and plugin server (restart() replaces env.server). */
const env = useBrowserAndServer();

describe('widget: buyer and seller', () => {
  it('converse both ways: Enter sends, Shift+Enter adds a line, pending until confirmed, seen marks', async () => {
    const sellerContext = await env.browser.newContext();
    const buyerContext = await env.browser.newContext();
    try {
      const seller = await openSeller(sellerContext, env.server);
      const buyer = await signUpBuyer(buyerContext, env.server, 'Alice');

      // The buyer sees the seller's name and presence.
      await expect.poll(() => buyer.locator('[data-ah-slot="title"]').textContent()).toBe(SELLER.name);
      await buyer.locator('.ah-status[data-state="online"]').waitFor();

      // Shift+Enter is a new line, Enter sends.
      await w.text(buyer).fill('Hello from Alice');
      await w.text(buyer).press('Shift+Enter');
      await w.text(buyer).pressSequentially('second line');
      await w.text(buyer).press('Enter');
      const mine = w.bubble(buyer, 'Hello from Alice');
      await mine.and(buyer.locator('[data-status="sent"]')).waitFor();
      expect(await mine.locator('.ah-text').textContent()).toBe('Hello from Alice\nsecond line');
      expect(await w.text(buyer).inputValue()).toBe('');

      // The seller's list shows the chat with its preview; opening it shows the message.
      const item = w.item(seller, 'Alice');
      await item.locator('.ah-preview', { hasText: 'second line' }).waitFor();
      await item.click();
      await w.bubble(seller, 'Hello from Alice').and(seller.locator('.ah-theirs')).waitFor();
      expect(await seller.locator('[data-ah-slot="title"]').textContent()).toBe('Alice');

      // And answers; the buyer sees it, and the seller's message shows "Seen" once the buyer read it.
      await send(seller, 'Hi Alice, how can I help?');
      await w.bubble(buyer, 'Hi Alice, how can I help?').and(buyer.locator('.ah-theirs')).waitFor();
      await seller.locator('.ah-mine .ah-state', { hasText: 'Seen' }).waitFor();
      await buyer.locator('.ah-mine .ah-state', { hasText: 'Seen' }).waitFor();

      // Incoming messages are announced to screen readers.
      expect(await buyer.locator('[role="log"][aria-live="polite"]').count()).toBe(1);
      await shot(buyer, 'conversation-buyer');
      await shot(seller, 'conversation-seller');

      // The inbox is wide enough for two panes: the list stays beside the chat, no Back button;
      // Escape leaves the chat, and the focus goes back to its row.
      expect(await seller.locator('.ah-inbox[data-layout="two"]').count()).toBe(1);
      expect(await seller.locator('.ah-back').isVisible()).toBe(false);
      await seller.keyboard.press('Escape');
      await seller.locator('.ah-item[data-chat-id]:focus', { hasText: 'Alice' }).waitFor();
    } finally {
      await Promise.all([sellerContext.close(), buyerContext.close()]);
    }
  });

  it('a reload keeps the buyer signed in with the whole chat', async () => {
    const context = await env.browser.newContext();
    try {
      const page = await signUpBuyer(context, env.server, 'Bob');
      await send(page, 'before the reload');
      const key = `ahchat:ws://127.0.0.1:${env.server.port}/ahchat:buyer:${SELLER.id}:token`;
      const token = await page.evaluate((k) => localStorage.getItem(k), key);
      expect(token).toMatch(/^[\w-]{16,}$/);

      await page.reload();
      await w.launcher(page).click();
      await w.bubble(page, 'before the reload').and(page.locator('[data-status="sent"]')).waitFor();
      expect(await page.locator('#ah-name').count()).toBe(0);
      await send(page, 'after the reload');
      expect(await texts(page)).toEqual(['before the reload', 'after the reload']);
    } finally {
      await context.close();
    }
  });

  it('the seller sees a new chat appear live with its unread count; the buyer gets a badge', async () => {
    const sellerContext = await env.browser.newContext();
    const buyerContext = await env.browser.newContext();
    try {
      const seller = await openSeller(sellerContext, env.server);
      const buyer = await signUpBuyer(buyerContext, env.server, 'Carol');
      const item = w.item(seller, 'Carol');
      // A buyer who only gave a name is not in the list yet; the first message brings the chat in.
      await send(buyer, 'first question');
      await item.and(seller.locator('[data-unread="1"]')).waitFor();
      expect(await item.locator('.ah-dot[data-online="true"]').count()).toBe(1);

      await send(buyer, 'second question');
      await item.and(seller.locator('[data-unread="2"]')).waitFor();
      expect(await item.locator('.ah-count').textContent()).toBe('2');
      // The newest activity is on top.
      expect(await seller.locator('.ah-item').first().textContent()).toContain('Carol');
      await shot(seller, 'seller-list-unread');

      // The buyer closes the panel; the answer shows as a badge on the launcher.
      await w.launcher(buyer).click();
      await item.click();
      await send(seller, 'answer while your panel is closed');
      await buyer.locator('.ah-launcher .ah-badge', { hasText: '1' }).waitFor();
      await shot(buyer, 'buyer-launcher-badge');
      await w.launcher(buyer).click();
      await w.bubble(buyer, 'answer while your panel is closed').waitFor();
      await buyer.locator('.ah-launcher .ah-badge').waitFor({ state: 'detached' });

      // When the buyer leaves, the seller sees them offline.
      await buyer.close();
      await seller.locator('.ah-status[data-state="offline"]').waitFor();
    } finally {
      await Promise.all([sellerContext.close(), buyerContext.close()]);
    }
  });

  it('a message written while the seller is offline is there when the seller signs in', async () => {
    const buyerContext = await env.browser.newContext();
    const sellerContext = await env.browser.newContext();
    try {
      const buyer = await signUpBuyer(buyerContext, env.server, 'Dave');
      await buyer.locator('.ah-status[data-state="offline"]').waitFor();
      await buyer.locator('.ah-notice[data-kind="offline"]').waitFor();
      await send(buyer, 'Are you there? I would like two packs.');
      await shot(buyer, 'buyer-seller-offline');

      const seller = await openSeller(sellerContext, env.server);
      const item = w.item(seller, 'Dave');
      await item.and(seller.locator('[data-unread="1"]')).waitFor();
      await item.click();
      await w.bubble(seller, 'Are you there? I would like two packs.').waitFor();
      // The buyer now sees the seller online, and the hint is gone.
      await buyer.locator('.ah-status[data-state="online"]').waitFor();
      expect(await buyer.locator('.ah-notice[data-kind="offline"]').count()).toBe(0);
    } finally {
      await Promise.all([sellerContext.close(), buyerContext.close()]);
    }
  });

  it('markup in a message is shown as text and runs nothing; links open safely', async () => {
    const buyerContext = await env.browser.newContext();
    const sellerContext = await env.browser.newContext();
    try {
      const evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
      const buyer = await signUpBuyer(buyerContext, env.server, '<b>Eve</b>');
      await send(buyer, evil);
      await send(buyer, 'details at https://example.com/tea?id=1.');
      const seller = await openSeller(sellerContext, env.server);
      await w.item(seller, '<b>Eve</b>').click();
      const bubble = w.bubble(seller, 'window.__pwned=1');
      await bubble.waitFor();
      for (const page of [buyer, seller]) {
        expect(await w.bubble(page, 'window.__pwned=1').locator('.ah-text').textContent()).toBe(evil);
        expect(await page.locator('.ah-bubble img, .ah-bubble script, .ah-bubble b').count()).toBe(0);
        expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
      }
      const link = seller.locator('.ah-bubble a');
      expect(await link.getAttribute('href')).toBe('https://example.com/tea?id=1');
      expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
      expect(await link.getAttribute('target')).toBe('_blank');
      await shot(seller, 'seller-markup-as-text');
    } finally {
      await Promise.all([sellerContext.close(), buyerContext.close()]);
    }
  });

  it('an unknown token is forgotten and the name form comes back with a sentence', async () => {
    const context = await env.browser.newContext();
    try {
      const key = `ahchat:ws://127.0.0.1:${env.server.port}/ahchat:buyer:${SELLER.id}:token`;
      await context.addInitScript((k) => {
        if (!sessionStorage.getItem('seeded')) {
          sessionStorage.setItem('seeded', '1');
          localStorage.setItem(k, 'no-such-token-000000000000');
        }
      }, key);
      const page = await context.newPage();
      await page.goto(buyerPage(env.server));
      await w.launcher(page).click();
      await page.locator('.ah-error', { hasText: 'could not be found' }).waitFor();
      expect(await page.evaluate((k) => localStorage.getItem(k), key)).toBeNull();
      await page.locator('#ah-name').fill('Frank');
      await page.locator('.ah-primary').click();
      await send(page, 'starting over');
    } finally {
      await context.close();
    }
  });

  it('a seller whose token is wrong is told so in the seller’s words (the inbox’s denied view)', async () => {
    const context = await env.browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(env.server.page(widgetPage({ id: SELLER.id, token: 'wrong-token', container: '#inbox' }, { body: '<div id="inbox" style="height:560px"></div>' })));
      await page.locator('[data-view="denied"] .ah-error', { hasText: 'Could not sign in as a seller' }).waitFor();
    } finally {
      await context.close();
    }
  });

  it('fits a 360 px phone: the open panel takes the screen, everything reachable', async () => {
    const context = await env.browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    try {
      const page = await context.newPage();
      await page.goto(buyerPage(env.server));
      const launcher = w.launcher(page);
      const box = await launcher.boundingBox();
      expect(box && box.x + box.width).toBeLessThanOrEqual(360);
      await launcher.tap();
      await page.locator('#ah-name').fill('Grace');
      await page.locator('.ah-primary').tap();
      await send(page, 'Hello from a small phone, with a long message that has to wrap over several lines.');
      const panel = await page.locator('.ah-panel').boundingBox();
      expect(panel).toMatchObject({ x: 0, width: 360 });
      const composer = await page.locator('.ah-send').boundingBox();
      expect(composer && composer.x + composer.width).toBeLessThanOrEqual(360);
      expect(composer && composer.y + composer.height).toBeLessThanOrEqual(740);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
      await shot(page, 'phone-360');
      // Escape closes the panel and gives focus back to the launcher.
      await page.keyboard.press('Escape');
      await page.locator('[data-ah-root]:not([data-open])').waitFor();
    } finally {
      await context.close();
    }
  });
});
