/**
 * Spoofing in the widget (issue 13, item 7), in real Chromium: names and texts are rendered
 * isolated (<bdi>), bidi controls cannot turn "…/‮fdp.exe" into "…/exe.pdf", and a template's event
 * handlers, javascript: URLs and srcdoc frames never run in the host page.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buyerPage, openSeller, send, shot, signUpBuyer, useBrowserAndServer, w } from './harness.js';

const env = useBrowserAndServer();
const RLO = '\u202e';

describe('widget: bidi and template spoofing', () => {
  it('renders names in isolating <bdi> elements, texts in isolating dir=auto bubbles, and shows bidi controls in a link as U+FFFD', async () => {
    const buyerContext = await env.browser.newContext();
    const sellerContext = await env.browser.newContext();
    try {
      const errors: string[] = [];
      const buyer = await signUpBuyer(buyerContext, env.server, `${RLO}Mallory`);
      buyer.on('pageerror', (e) => errors.push(e.message));
      // Shown with U+FFFD for the control, so awaited by count rather than by text.
      for (const [i, text] of [`invoice at https://evil.example/${RLO}fdp.exe`, `${RLO}reversed, then https://shop.example/tea`].entries()) {
        await w.text(buyer).fill(text);
        await w.text(buyer).press('Enter');
        await buyer.locator('.ah-mine[data-status="sent"]').nth(i).waitFor();
      }
      const seller = await openSeller(sellerContext, env.server);
      seller.on('pageerror', (e) => errors.push(e.message));

      const item = w.item(seller, 'Mallory');
      const name = item.locator('.ah-item-name');
      expect(await name.evaluate((el) => [el.localName, getComputedStyle(el).unicodeBidi])).toEqual(['bdi', 'isolate']);
      // The name keeps its control (it can only reorder itself, inside its <bdi>); the preview is isolated too.
      expect(await name.textContent()).toBe(`${RLO}Mallory`);
      expect(await item.locator('.ah-preview bdi').evaluate((el) => el.localName)).toBe('bdi');

      await item.click();
      expect(await seller.locator('.ah-title-text').evaluate((el) => el.localName)).toBe('bdi');
      const links = seller.locator('.ah-bubble a');
      await links.nth(1).waitFor();
      expect(await links.allTextContents()).toEqual(['https://evil.example/\ufffdfdp.exe', 'https://shop.example/tea']);
      for (const page of [buyer, seller]) {
        // Each text sits in its bubble, an element with dir="auto": isolated, its direction its own.
        const bubbles = page.locator('.ah-msg .ah-bubble');
        expect(await bubbles.evaluateAll((els) => els.map((el) => [el.getAttribute('dir'), getComputedStyle(el).unicodeBidi]))).toEqual([
          ['auto', 'isolate'],
          ['auto', 'isolate'],
        ]);
        const shown = await bubbles.allTextContents();
        expect(shown.join('')).not.toContain(RLO);
        expect(shown[1]).toBe('\ufffdreversed, then https://shop.example/tea');
      }
      await shot(seller, 'seller-bidi-isolated');
      expect(errors).toEqual([]);
    } finally {
      await Promise.all([sellerContext.close(), buyerContext.close()]);
    }
  });

  it("drops a template's on* attributes, javascript: URLs and srcdoc before it reaches the page: nothing of it runs", async () => {
    const builtIn = readFileSync(join(import.meta.dirname, '..', '..', 'dist', 'widget', 'chat.tpl'), 'utf8');
    const hostile = `${builtIn}
<div class="evil">
  <img id="probe-onerror" src="/missing.png" onerror="window.__pwned = 'onerror'">
  <img id="probe" src="/missing-too.png">
  <a id="js-link" href=" java&#9;script:window.__pwned = 'href'">click</a>
  <svg><a id="svg-link" href="javascript:window.__pwned = 'svg'"><text>svg</text></a>
    <animate attributeName="href" values="javascript:window.__pwned = 'animate'"/></svg>
  <iframe id="frame" srcdoc="<script>parent.__pwned = 'srcdoc'</script>"></iframe>
  <form id="form" action="javascript:window.__pwned = 'form'"><button id="submit">go</button></form>
  <div id="handler" onclick="window.__pwned = 'click'" data-keep="yes">x</div>
</div>`;
    const template = env.server.file('hostile.tpl', 'text/plain', hostile);
    const context = await env.browser.newContext();
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(buyerPage(env.server, { template }));
      await w.launcher(page).waitFor();
      const inShadow = (selector: string) => page.locator(`[data-ahchat] >> css=${selector}`);
      // Both images have failed to load once the probe has: the onerror one would have run by then.
      await inShadow('#probe').evaluate((img: HTMLImageElement) =>
        img.complete ? undefined : new Promise((resolve) => img.addEventListener('error', resolve, { once: true })),
      );
      await inShadow('#probe-onerror').evaluate((img: HTMLImageElement) =>
        img.complete ? undefined : new Promise((resolve) => img.addEventListener('error', resolve, { once: true })),
      );
      await inShadow('#handler').click();
      await inShadow('#js-link').click();
      await inShadow('#submit').click();
      expect(await inShadow('#probe-onerror').evaluate((el) => el.getAttributeNames())).toEqual(['id', 'src']);
      expect(await inShadow('#js-link').evaluate((el) => el.hasAttribute('href'))).toBe(false);
      expect(await inShadow('#svg-link').evaluate((el) => el.hasAttribute('href'))).toBe(false);
      expect(await inShadow('animate').evaluate((el) => el.hasAttribute('values'))).toBe(false);
      expect(await inShadow('#frame').evaluate((el) => el.hasAttribute('srcdoc'))).toBe(false);
      expect(await inShadow('#form').evaluate((el) => el.hasAttribute('action'))).toBe(false);
      expect(await inShadow('#handler').evaluate((el) => el.getAttributeNames())).toEqual(['id', 'data-keep']);
      expect(await page.evaluate(() => (window as { __pwned?: string }).__pwned)).toBeUndefined();
      // The widget itself still works with that template.
      await w.launcher(page).click();
      await page.locator('#ah-name').fill('Still fine');
      await page.locator('#ah-name').press('Enter');
      await send(page, 'the template did not run');
      expect(await page.evaluate(() => (window as { __pwned?: string }).__pwned)).toBeUndefined();
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
