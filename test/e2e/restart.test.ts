/** The connection breaking under the widget: server restarts and lost confirmations. */
import { describe, expect, it } from 'vitest';
import { buyerPage, openSeller, send, shot, signUpBuyer, texts, w, useBrowserAndServer } from './harness.js';

/** The file's browser and plugin server (restart() replaces env.server). */
const env = useBrowserAndServer();

/** The text of every message stored for the seller, as the store has it (duplicates would show). */
async function storedTexts(): Promise<string[]> {
  const all: string[] = [];
  for (const chat of await env.server.chat.store.listChats('10', { limit: 100 })) {
    for (const m of await env.server.chat.store.listMessages(chat.id, { limit: 1000 })) all.push(m.text);
  }
  return all;
}

const count = (list: string[], text: string) => list.filter((t) => t === text).length;

describe('widget: surviving the connection', () => {
  it('a server restart mid-chat loses nothing and doubles nothing', async () => {
    const buyerContext = await env.browser.newContext();
    const sellerContext = await env.browser.newContext();
    try {
      const seller = await openSeller(sellerContext, env.server);
      const buyer = await signUpBuyer(buyerContext, env.server, 'Heidi');
      await send(buyer, 'before the restart');
      await w.item(seller, 'Heidi').click();
      await w.bubble(seller, 'before the restart').waitFor();

      await env.server.stop();
      await buyer.locator('[data-ah-root][data-connection="reconnecting"]').waitFor();
      await buyer.locator('.ah-notice[data-kind="connection"]').waitFor();
      // Written while the server is down: it waits, pending, in the outbox.
      await w.text(buyer).fill('written while the server was down');
      await w.text(buyer).press('Enter');
      await buyer.locator('.ah-mine[data-status="pending"]', { hasText: 'written while the server was down' }).waitFor();
      await w.text(seller).fill('the seller wrote this during the outage');
      await w.text(seller).press('Enter');
      await shot(buyer, 'restart-reconnecting');

      env.server = await env.server.restart();
      await buyer.locator('.ah-mine[data-status="sent"]', { hasText: 'written while the server was down' }).waitFor();
      await seller.locator('.ah-mine[data-status="sent"]', { hasText: 'the seller wrote this during the outage' }).waitFor();
      await w.bubble(seller, 'written while the server was down').and(seller.locator('.ah-theirs')).waitFor();
      await w.bubble(buyer, 'the seller wrote this during the outage').and(buyer.locator('.ah-theirs')).waitFor();
      await buyer.locator('[data-ah-root][data-connection="open"]').waitFor();
      await send(buyer, 'after the restart');
      await w.bubble(seller, 'after the restart').waitFor();

      const expected = ['before the restart', 'written while the server was down', 'the seller wrote this during the outage', 'after the restart'];
      for (const page of [buyer, seller]) expect((await texts(page)).sort()).toEqual([...expected].sort());
      const stored = await storedTexts();
      for (const text of expected) expect(count(stored, text), text).toBe(1);
      await shot(buyer, 'restart-after');
    } finally {
      await Promise.all([buyerContext.close(), sellerContext.close()]);
    }
  });

  it('a message written offline survives closing the page and is delivered on the next visit', async () => {
    const context = await env.browser.newContext();
    try {
      const first = await signUpBuyer(context, env.server, 'Judy');
      await send(first, 'hello');
      await env.server.stop();
      await first.locator('[data-ah-root][data-connection="reconnecting"]').waitFor();
      await w.text(first).fill('typed offline, then the tab was closed');
      await w.text(first).press('Enter');
      await first.locator('.ah-mine[data-status="pending"]').waitFor();
      await first.close();

      env.server = await env.server.restart();
      const second = await context.newPage();
      await second.goto(buyerPage(env.server));
      await w.launcher(second).click();
      await second.locator('.ah-mine[data-status="sent"]', { hasText: 'typed offline, then the tab was closed' }).waitFor();
      expect(await texts(second)).toEqual(['hello', 'typed offline, then the tab was closed']);
      expect(count(await storedTexts(), 'typed offline, then the tab was closed')).toBe(1);
    } finally {
      await context.close();
    }
  });

  it('a confirmation lost with the connection: the message is resent with its clientId and stored once', async () => {
    const context = await env.browser.newContext();
    let dropConfirmation = false;
    const sentByPage: Array<{ command: string; data?: { clientId?: string; text?: string; since?: unknown } }> = [];
    await context.routeWebSocket(/\/ahchat$/, (ws) => {
      const upstream = ws.connectToServer();
      ws.onMessage((message) => {
        sentByPage.push(JSON.parse(String(message)));
        upstream.send(message);
      });
      upstream.onMessage((message) => {
        const frame = JSON.parse(String(message)) as { command: string; data?: { my?: boolean } };
        if (dropConfirmation && frame.command === 'message' && frame.data?.my) {
          // The server stored it and answered; the answer dies with the connection.
          dropConfirmation = false;
          void ws.close({ code: 4001, reason: 'network gone' });
          void upstream.close();
          return;
        }
        ws.send(message);
      });
    });
    try {
      const buyer = await signUpBuyer(context, env.server, 'Ivan');
      await send(buyer, 'warm-up');
      dropConfirmation = true;
      await w.text(buyer).fill('exactly once, please');
      await w.text(buyer).press('Enter');
      await buyer.locator('.ah-mine[data-status="sent"]', { hasText: 'exactly once, please' }).waitFor();

      const auths = sentByPage.filter((f) => f.command === 'auth');
      expect(auths).toHaveLength(2);
      expect(auths[1]?.data?.since).toBeDefined();
      // Sent once, or again after the reconnect: always under the one clientId.
      const sends = sentByPage.filter((f) => f.command === 'message' && f.data?.text === 'exactly once, please');
      expect(new Set(sends.map((f) => f.data?.clientId)).size).toBe(1);
      expect(await texts(buyer)).toEqual(['warm-up', 'exactly once, please']);
      expect(count(await storedTexts(), 'exactly once, please')).toBe(1);
    } finally {
      await context.close();
    }
  });
});
