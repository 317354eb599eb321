/** `npm run demo` from a built tree: the shop starts, serves its pages, and the widget comes up. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ensureWidgetBuilt, launchBrowser, shot } from './harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const built = existsSync(join(root, 'dist', 'index.js'));

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

let demo: ChildProcess | undefined;
let browser: Browser;
let base = '';
const data = mkdtempSync(join(tmpdir(), 'ahchat-demo-'));

beforeAll(async () => {
  if (!built) return;
  ensureWidgetBuilt();
  const port = await freePort();
  base = `http://localhost:${port}`;
  demo = spawn(process.execPath, [join(root, 'demo', 'server.js')], {
    env: { ...process.env, PORT: String(port), DEMO_DATA: data },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const started = new Promise<void>((resolve, reject) => {
    demo?.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('demo shop on') && resolve());
    demo?.once('exit', (code) => reject(new Error(`demo exited with ${code}`)));
  });
  [browser] = await Promise.all([launchBrowser(), started]);
});

afterAll(async () => {
  await browser?.close();
  if (demo && demo.exitCode === null) {
    const exited = new Promise((resolve) => demo?.once('exit', resolve));
    demo.kill('SIGTERM');
    await exited;
  }
  rmSync(data, { recursive: true, force: true });
});

describe.skipIf(!built)('demo shop (needs `npm run build`)', () => {
  it('serves the product page, the seller inbox and the RequireJS page, each with a working widget', async () => {
    const context = await browser.newContext();
    // A step that stalls fails naming its locator, well inside the test's own deadline.
    context.setDefaultTimeout(20_000);
    try {
      const product = await context.newPage();
      await product.goto(`${base}/`);
      await product.locator('#ask').click();
      await product.locator('#ah-name').fill('Demo buyer');
      await product.locator('#ah-name').press('Enter');
      await product.locator('#ah-text').fill('Is it organic?');
      await product.locator('#ah-text').press('Enter');
      await product.locator('.ah-mine[data-status="sent"]').waitFor();
      await shot(product, 'demo-product');

      const seller = await context.newPage();
      await seller.goto(`${base}/seller`);
      await seller.locator('.ah-item', { hasText: 'Demo buyer' }).click();
      await seller.locator('.ah-theirs', { hasText: 'Is it organic?' }).waitFor();
      await shot(seller, 'demo-seller');

      // The README's snippet names ws://localhost:8001; on another port only the loading is checked.
      const requirePage = await context.newPage();
      await requirePage.goto(`${base}/requirejs`);
      await requirePage.locator('[data-ahchat] [data-ah-root]').waitFor({ state: 'attached' });
      expect(await requirePage.evaluate(() => typeof (window as { AHChat?: unknown }).AHChat)).toBe('function');
    } finally {
      await context.close();
    }
    // A separate demo process and a browser on a 2-core machine busy with the rest of the suite.
  }, 60_000);
});
