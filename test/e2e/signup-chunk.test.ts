/**
 * The buyer's sign-in steps on demand (ahchat-signup.js): a first-time buyer gets the name form at
 * once, a returning one never loads it until a chat of theirs is closed ("Start a new chat").
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { TestClient } from '../helpers/client.js';
import { SELLER, buyerPage, send, texts, w, useBrowserAndServer } from './harness.js';

const env = useBrowserAndServer();

/** The buyer writes "before the close", and the seller (signed in on a socket of its own) closes the chat. */
async function closedBySeller(page: Page): Promise<TestClient> {
  const seller = await TestClient.connect(`ws://127.0.0.1:${env.server.port}/ahchat`);
  try {
    expect((await seller.request('auth', { id: SELLER.id, token: SELLER.token, protocol: 2 })).error).toBeUndefined();
    await send(page, 'before the close');
    const { chatId } = (await seller.next('message')).data;
    seller.send('close', { chatId });
    await page.locator('.ah-notice[data-kind="closed"]').waitFor();
    return seller;
  } catch (error) {
    seller.close();
    throw error;
  }
}

describe('widget: the name form on demand', () => {
  it('a first-time buyer gets the focus in the name field and signs up by keyboard; back with a token, the page loads no name form until its chat is closed', async () => {
    const context = await env.browser.newContext();
    try {
      const page = await context.newPage();
      const scripts: string[] = [];
      page.on('request', (request) => scripts.push(new URL(request.url()).pathname));
      await page.goto(buyerPage(env.server));
      await w.launcher(page).click();
      // The form is there with the panel, and has the focus: the buyer types at once.
      await page.locator('#ah-name:focus').waitFor();
      await page.keyboard.type('Keyboard Kate');
      await page.keyboard.press('Enter');
      await w.text(page).and(page.locator(':focus')).waitFor();
      expect(scripts).toContain('/ahchat/ahchat-signup.js');

      // The same buyer comes back (the token is in localStorage): no name form is fetched.
      scripts.length = 0;
      await page.reload();
      await w.launcher(page).click();
      await w.text(page).waitFor();
      expect(scripts).toContain('/ahchat/ahchat.js');
      expect(scripts.filter((path) => path.includes('ahchat-signup'))).toEqual([]);
      expect(await page.locator('#ah-name').count()).toBe(0);

      // The seller closes the chat: the file comes now, with "Start a new chat"; the new chat keeps the old one above.
      const seller = await closedBySeller(page);
      try {
        await page.getByRole('button', { name: 'Start a new chat' }).click();
        expect(scripts).toContain('/ahchat/ahchat-signup.js');
        await w.text(page).and(page.locator(':focus')).waitFor();
        await send(page, 'after the close');
        expect(await texts(page)).toEqual(['before the close', 'after the close']);
        expect(await page.locator('#ah-name').count()).toBe(0);
      } finally {
        seller.close();
      }
    } finally {
      await context.close();
    }
  });

  it('a returning buyer whose chat is closed while the file cannot load gets "Start a new chat" once it can (asked again at the next change)', async () => {
    const context = await env.browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(buyerPage(env.server));
      await w.launcher(page).click();
      await page.locator('#ah-name').fill('Flaky Fay');
      await page.keyboard.press('Enter');
      await w.text(page).waitFor();
      await page.reload();
      // Back with a token: the network drops the next request for the file.
      let blocked = 0;
      await page.route('**/ahchat-signup.js*', (route) => (blocked++ === 0 ? route.abort() : route.continue()));
      await w.launcher(page).click();
      await w.text(page).waitFor();
      const seller = await closedBySeller(page);
      try {
        await expect.poll(() => blocked).toBe(1);
        expect(await page.getByRole('button', { name: 'Start a new chat' }).count()).toBe(0);
        // The buyer closes and opens the panel: the file is asked for again, and comes.
        await w.launcher(page).click();
        await w.launcher(page).click();
        await page.getByRole('button', { name: 'Start a new chat' }).click();
        expect(blocked).toBe(2);
        await send(page, 'after the close');
        expect(await texts(page)).toEqual(['before the close', 'after the close']);
      } finally {
        seller.close();
      }
    } finally {
      await context.close();
    }
  });
});
