/** The name form on demand (ahchat-signup.js): a first-time buyer gets it at once, a returning one never loads it. */
import { describe, expect, it } from 'vitest';
import { buyerPage, w, useBrowserAndServer } from './harness.js';

const env = useBrowserAndServer();

describe('widget: the name form on demand', () => {
  it('a first-time buyer gets the focus in the name field and signs up by keyboard; back with a token, the page loads no name form', async () => {
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
    } finally {
      await context.close();
    }
  });
});
