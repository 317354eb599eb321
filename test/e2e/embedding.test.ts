/** How a shop puts the widget on its page: RequireJS, <script>, ES module, templates, languages. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { SELLER, send, shot, w, widgetPage, useBrowserAndServer } from './harness.js';

/** The file's browser and plugin server (restart() replaces env.server). */
const env = useBrowserAndServer();

const pageErrors = new WeakMap<Page, string[]>();

/** A fresh context per page: nothing shared in localStorage. Uncaught page errors fail the test. */
async function open(url: string): Promise<Page> {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  pageErrors.set(page, errors);
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(url);
  return page;
}

async function close(page: Page): Promise<void> {
  const errors = pageErrors.get(page);
  await page.context().close();
  expect(errors).toEqual([]);
}

/** The original README's snippet, byte for byte, but for the server's URL. */
const SEED_SNIPPET = `require(["ahchat"], function(AHChat){
        var chat = new AHChat({
            sellerId: 10,
            //token: 'iofh3498hwe',
            url: 'ws://localhost:8001'
        });
        chat.initialize();
    });`;

describe('widget: embedding', () => {
  it("works with the original README's RequireJS snippet (and a plain script on the same page)", async () => {
    const wsUrl = env.server.url.replace(/^http/, 'ws');
    const page = await open(
      env.server.page(`<!doctype html><html><body>
<script src="/vendor/require.js"></script>
<script>requirejs.config({ paths: { ahchat: '/ahchat/ahchat' } });</script>
<script>${SEED_SNIPPET.replace('ws://localhost:8001', wsUrl)}</script>
</body></html>`),
    );
    try {
      await w.launcher(page).click();
      await page.locator('#ah-name').fill('Requirer');
      await page.locator('#ah-name').press('Enter');
      await send(page, 'sent from a RequireJS page');
      // The UMD bundle defined the AMD module and the global.
      expect(await page.evaluate(() => typeof (window as { AHChat?: unknown }).AHChat)).toBe('function');
      // A second copy loaded by a plain <script> on a page with an AMD loader must not throw
      // "mismatched anonymous define": it defines the named module `ahchat`.
      await page.addScriptTag({ url: '/ahchat/ahchat.js' });
      expect(await page.evaluate(() => new Promise((resolve) => (window as unknown as { require: (ids: string[], cb: (m: unknown) => void) => void }).require(['ahchat'], (m) => resolve(typeof m))))).toBe('function');
    } finally {
      await close(page);
    }
  });

  it('works as an ES module, and destroy() removes everything', async () => {
    const page = await open(
      env.server.page(`<!doctype html><html><body><div id="box" style="height:500px"></div>
<script type="module">
  import { AHChat } from '/ahchat/ahchat.mjs';
  window.chat = new AHChat({ sellerId: ${SELLER.id}, url: location.origin.replace(/^http/, 'ws'), container: '#box' });
  window.chat.initialize();
</script></body></html>`),
    );
    try {
      // Embedded in a container: no launcher, the panel is open.
      await page.locator('[data-ah-root][data-mode="inline"][data-open]').waitFor();
      expect(await w.launcher(page).isVisible()).toBe(false);
      await page.locator('#ah-name').fill('Modular');
      await page.locator('#ah-name').press('Enter');
      await send(page, 'sent from an ES module page');
      await page.evaluate(() => (window as unknown as { chat: { destroy(): void } }).chat.destroy());
      expect(await page.locator('[data-ahchat]').count()).toBe(0);
    } finally {
      await close(page);
    }
  });

  it('a custom template (the full example of docs/WIDGET.md) changes colours, layout and texts', async () => {
    const doc = readFileSync(new URL('../../docs/WIDGET.md', import.meta.url), 'utf8');
    const example = /### A full example[\s\S]*?```html\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(example).toContain('data-ah-root');
    // A script in a template must never run.
    const template = `${example}<script>window.__templateScriptRan = true</script>`;
    const url = env.server.file('custom.tpl', 'text/html', template);
    const page = await open(env.server.page(widgetPage({ sellerId: SELLER.id, template: url })));
    try {
      const launcher = w.launcher(page);
      await launcher.waitFor();
      expect(await launcher.textContent()).toContain('Questions? Ask Anna');
      expect(await launcher.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(176, 32, 96)');
      const box = await launcher.boundingBox();
      expect(box?.x).toBeLessThan(40); // on the left, where the template put it
      await launcher.click();
      expect(await page.locator('[data-ah-slot="title"]').textContent()).toBe('Anna from Green Leaf');
      await page.locator('#ah-name').fill('Templated');
      await page.locator('#ah-name').press('Enter');
      await page.locator('.ah-empty', { hasText: 'Anna usually answers within the hour.' }).waitFor();
      await send(page, 'hello in a custom look');
      // Templates style and lay out; their scripts never run.
      expect(await page.evaluate(() => (window as { __templateScriptRan?: boolean }).__templateScriptRan)).toBeUndefined();
      // The shop's CSS does not reach in, the widget's does not leak out.
      await page.addStyleTag({ content: '.ah-bubble, .panel { display: none !important } body { color: rgb(1, 2, 3) }' });
      expect(await page.locator('.ah-bubble').first().evaluate((el) => getComputedStyle(el).color)).not.toBe('rgb(1, 2, 3)');
      expect(await page.locator('.ah-bubble').first().isVisible()).toBe(true);
      await shot(page, 'custom-template');
    } finally {
      await close(page);
    }
  });

  it('speaks Russian with lang: "ru" (strings fetched from the plugin)', async () => {
    const page = await open(env.server.page(widgetPage({ sellerId: SELLER.id, lang: 'ru' })));
    try {
      await w.launcher(page).locator('[data-ah-text]', { hasText: 'Написать продавцу' }).waitFor();
      expect(await w.launcher(page).getAttribute('aria-label')).toBe('Написать продавцу');
      await w.launcher(page).click();
      expect(await page.locator('label[for="ah-name"]').textContent()).toBe('Ваше имя');
      await page.locator('#ah-name').fill('Ольга');
      await page.locator('#ah-name').press('Enter');
      await send(page, 'Здравствуйте!');
      await page.locator('.ah-notice[data-kind="offline"]', { hasText: 'Продавец не в сети' }).waitFor();
      await shot(page, 'russian');
    } finally {
      await close(page);
    }
  });

  it('a template that cannot be loaded falls back to the default one and reports it', async () => {
    const page = await open(env.server.page(widgetPage({ sellerId: SELLER.id, template: '/f/missing.tpl' })));
    try {
      await page.locator('.ah-launcher').waitFor();
      const events = await page.evaluate(() => (window as unknown as { ahEvents: Array<{ name: string; payload: { code: string } }> }).ahEvents);
      expect(events).toContainEqual({ name: 'error', payload: { code: 'TEMPLATE' } });
    } finally {
      await close(page);
    }
  });

  it('a template made for the original widget (none of our slots) is reported, named in a warning, and replaced by the default', async () => {
    const original = readFileSync(new URL('./fixtures/original-chat.tpl', import.meta.url), 'utf8');
    const url = env.server.file('original-chat.tpl', 'text/html', original);
    const context = await env.browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    const warnings: string[] = [];
    pageErrors.set(page, errors);
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => message.type() === 'warning' && warnings.push(message.text()));
    await page.goto(env.server.page(widgetPage({ sellerId: SELLER.id, template: url })));
    try {
      // The default template's launcher, and nothing of the foreign one.
      await page.locator('.ah-launcher').waitFor();
      expect(await page.locator('.ah-chat, .messages, #messageTpl, #chatTpl').count()).toBe(0);
      const events = await page.evaluate(() => (window as unknown as { ahEvents: Array<{ name: string; payload: unknown }> }).ahEvents);
      expect(events.filter((e) => e.name === 'error')).toEqual([{ name: 'error', payload: { code: 'TEMPLATE' } }]);
      expect(warnings).toEqual([`AHChat: ${url}: no data-ah-slot="body"`]);
      // And the widget works as usual.
      await w.launcher(page).click();
      await page.locator('#ah-name').fill('Migrating');
      await page.locator('#ah-name').press('Enter');
      await send(page, 'sent through the default template');
    } finally {
      await close(page);
    }
  });

  it('refuses bad options at once with a message naming the option', async () => {
    const page = await open(env.server.page('<!doctype html><script src="/ahchat/ahchat.js"></script>'));
    try {
      const message = await page.evaluate(() => {
        try {
          new (window as unknown as { AHChat: new (o: unknown) => unknown }).AHChat({ id: 10, url: 'ws://x' });
          return 'no error';
        } catch (error) {
          return `${(error as Error).name}: ${(error as Error).message}`;
        }
      });
      expect(message).toBe('TypeError: AHChat: options.token is required with options.id');
    } finally {
      await close(page);
    }
  });
});
