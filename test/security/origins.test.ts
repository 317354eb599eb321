/**
 * Which pages may open a socket (issue 13, item 5; issue 12, item 5): a configured list is all that
 * counts (scheme included, no Host rule a DNS-rebinding page could satisfy), configured origins are
 * normalised or refused, the default is the server's own origin, '*' warns, and refusals are
 * logged once per origin naming what to set. Plugin over real sockets, then the built server.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ahChat } from '../../lib/ah-chat.js';
import type { AhChatOptions } from '../../lib/options.js';
import { normalizeOrigin } from '../../lib/wire/validate.js';
import { memoryStore } from '../../lib/store/memory-store.js';
import { TestClient } from '../helpers/client.js';
import { startChat, testSellers } from '../helpers/chat-server.js';
import { outputLine, runServerExpectingFailure, type ServerProcess } from '../helpers/server-process.js';
import { useTeardown } from '../helpers/teardown.js';

const scene = useTeardown();

/** Connects with this Origin (and Host, when given) and signs a buyer up; throws 'HTTP 403' when refused. */
async function signUpFrom(url: string, origin: string | undefined, host?: string): Promise<void> {
  const client = await TestClient.connect(url, { origin, ...(host ? { headers: { host } } : {}) });
  scene.clients.push(client);
  const auth = await client.request('auth', { name: 'Visitor', sellerId: 10 });
  expect(auth.error).toBeUndefined();
}

async function plugin(options: Partial<AhChatOptions>) {
  const lines: string[] = [];
  scene.running = await startChat({ logger: { info() {}, warn: (m) => lines.push(m), error: (m) => lines.push(m) }, ...options });
  return { url: scene.running.url, port: scene.running.port, lines };
}

describe('configured origins', () => {
  it.each([
    ['http://Shop.Example', 'http://shop.example'],
    ['HTTPS://SHOP.EXAMPLE:443', 'https://shop.example'],
    ['http://shop.example:80/', 'http://shop.example'],
    ['http://shop.example:8080', 'http://shop.example:8080'],
    ['https://bücher.example', 'https://xn--bcher-kva.example'],
    ['http://[::1]:8001', 'http://[::1]:8001'],
  ])('normalises %s to %s, as a browser sends it', (given, origin) => {
    expect(normalizeOrigin(given)).toBe(origin);
  });

  it.each([
    ['shop.example', /is not an origin like https:\/\/shop.example/],
    ['null', /is not an origin/],
    ['ftp://shop.example', /must start with http:\/\/ or https:\/\//],
    ['https://shop.example/shop', /scheme and host only/],
    ['https://shop.example?x=1', /scheme and host only/],
    ['https://user:pw@shop.example', /user name or password/],
    ['https://*.shop.example', /a host no browser sends .*predicate/],
  ])('refuses %s, which no browser Origin could equal, with a TypeError naming the option', (given, reason) => {
    expect(() => ahChat({ ...testSellers, store: memoryStore(), origins: [given] })).toThrow(TypeError);
    expect(() => ahChat({ ...testSellers, store: memoryStore(), origins: [given] })).toThrow(
      new RegExp(`^ahChat: option "origins": ${JSON.stringify(given).replace(/[.*?[\]]/g, '\\$&')} .*${reason.source}`),
    );
  });

  it('lets in a browser Origin that matches a configured one once normalised; a list ignores Host, so a DNS-rebinding page and another scheme get 403', async () => {
    const { url, port, lines } = await plugin({ origins: ['http://Shop.Example'] });
    await signUpFrom(url, 'http://shop.example');
    await signUpFrom(url, undefined);
    // A rebinding page at evil.example:port, resolved to our address, sends its own name as Host.
    await expect(signUpFrom(url, `http://evil.example:${port}`, `evil.example:${port}`)).rejects.toThrow('HTTP 403');
    await expect(signUpFrom(url, 'https://shop.example')).rejects.toThrow('HTTP 403');
    await expect(signUpFrom(url, `http://127.0.0.1:${port}`)).rejects.toThrow('HTTP 403');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(
      `refused a socket from Origin "http://evil.example:${port}" (Host "evil.example:${port}"): the allowed origins are http://shop.example; ` +
        'if the page is yours, add its origin to the "origins" option (AHCHAT_ORIGINS for the standalone server)',
    );
  });
});

describe('the default (no origins option): the server’s own origin', () => {
  it('lets in pages on the Host’s origin (default port or not) and clients without Origin; refuses others with 403', async () => {
    const { url, port, lines } = await plugin({});
    await signUpFrom(url, `http://127.0.0.1:${port}`);
    await signUpFrom(url, 'http://shop.example', 'shop.example:80');
    await signUpFrom(url, undefined);
    await expect(signUpFrom(url, 'https://evil.example')).rejects.toThrow('HTTP 403');
    await expect(signUpFrom(url, `http://127.0.0.1:${port + 1}`)).rejects.toThrow('HTTP 403');
    expect(lines[0]).toMatch(/^refused a socket from Origin "https:\/\/evil.example" \(Host "127\.0\.0\.1:\d+"\): only this server's own origin is allowed; .*"origins" option/);
  });

  it('logs a refused origin once per period, and at most 10 lines a minute however many origins come', async () => {
    const { url, lines } = await plugin({});
    for (let i = 0; i < 5; i++) await expect(signUpFrom(url, 'https://evil.example')).rejects.toThrow('HTTP 403');
    expect(lines).toHaveLength(1);
    for (let i = 0; i < 20; i++) await expect(signUpFrom(url, `https://evil-${i}.example`)).rejects.toThrow('HTTP 403');
    expect(lines).toHaveLength(10);
  });

  it("origins '*' lets any page in and warns at start", async () => {
    const { url, lines } = await plugin({ origins: '*' });
    expect(lines).toEqual([expect.stringMatching(/^origins '\*' \(AHCHAT_ORIGINS='\*'\): pages on any site may open sockets/)]);
    await signUpFrom(url, 'https://anywhere.example');
  });
});

describe('the standalone server', () => {
  const start = (env: Record<string, string>) => scene.startServer(env);
  const urlOf = (server: ServerProcess) => `ws://127.0.0.1:${server.port}/ahchat`;

  it('with AHCHAT_ORIGINS unset lets in its own origin and clients without Origin, refuses foreign pages and logs it naming AHCHAT_ORIGINS', async () => {
    const server = await start({});
    await signUpFrom(urlOf(server), `http://127.0.0.1:${server.port}`);
    await signUpFrom(urlOf(server), undefined);
    await expect(signUpFrom(urlOf(server), 'https://evil.example')).rejects.toThrow('HTTP 403');
    // Logged before the 403 was written; the pipe from the child may still be carrying it.
    const refused = await outputLine(server, 'refused a socket');
    expect(refused).toMatch(/Origin "https:\/\/evil.example".*only this server's own origin is allowed.*AHCHAT_ORIGINS/);
  });

  it("with AHCHAT_ORIGINS='*' lets any page in, with the start-up warning", async () => {
    const server = await start({ AHCHAT_ORIGINS: '*' });
    expect(await outputLine(server, "origins '*'")).toMatch(/origins '\*' \(AHCHAT_ORIGINS='\*'\): pages on any site may open sockets/);
    await signUpFrom(urlOf(server), 'https://anywhere.example');
  });

  it('normalises AHCHAT_ORIGINS, and a list ignores Host', async () => {
    const server = await start({ AHCHAT_ORIGINS: 'http://Shop.Example:80, https://admin.shop.example' });
    await signUpFrom(urlOf(server), 'http://shop.example');
    await signUpFrom(urlOf(server), 'https://admin.shop.example');
    await expect(signUpFrom(urlOf(server), `http://127.0.0.1:${server.port}`)).rejects.toThrow('HTTP 403');
    await expect(signUpFrom(urlOf(server), `http://evil.example:${server.port}`, `evil.example:${server.port}`)).rejects.toThrow('HTTP 403');
  });

  it.each([
    ['https://shop.example/shop', /^ahchat: AHCHAT_ORIGINS: "https:\/\/shop.example\/shop" must be scheme and host only/],
    ['https://shop.example,*', /^ahchat: AHCHAT_ORIGINS: "\*" is not an origin like https:\/\/shop.example/],
  ])('exits 1 for AHCHAT_ORIGINS=%s with one line naming it', async (origins, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'ahchat-origins-'));
    scene.dirs.push(dir);
    const { code, output } = await runServerExpectingFailure({ AHCHAT_DB: dir, AHCHAT_SELLERS: '[{"id":1,"token":"a-long-enough-token","name":"n"}]', AHCHAT_ORIGINS: origins });
    expect(code).toBe(1);
    expect(output.trim()).toMatch(message);
    expect(output.trim().split('\n')).toHaveLength(1);
  });
});
