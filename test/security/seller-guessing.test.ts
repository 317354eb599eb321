/**
 * Guessing seller tokens (issue 13, item 4): failed seller sign-ins are throttled per address and
 * per seller id with the exact code, logged once per burst without the token, and the standalone
 * server warns about short tokens. Plugin over real sockets, then the built server as a process.
 */
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { TestClient } from '../helpers/client.js';
import { SELLERS, startChat } from '../helpers/chat-server.js';
import { outputLine } from '../helpers/server-process.js';
import { useTeardown } from '../helpers/teardown.js';

const scene = useTeardown();

async function from(url: string, ip: string): Promise<TestClient> {
  const client = await TestClient.connect(url, { headers: { 'x-forwarded-for': ip } });
  scene.clients.push(client);
  return client;
}

const TOKEN_10 = SELLERS['10']!.token;

describe('seller sign-in throttle (plugin)', () => {
  it('answers USER_IS_NOT_SELLER for the free failures, then RATE_LIMITED with retryAfterMs even for the right token; one log line, no token', async () => {
    const lines: string[] = [];
    scene.running = await startChat({
      trustProxy: true,
      sellerSignInLimit: { failures: 5, maxDelayMs: 60_000 },
      logger: { info() {}, warn: (m) => lines.push(m), error: (m) => lines.push(m) },
    });
    const guesser = await from(scene.running.url, '203.0.113.66');
    for (let i = 0; i < 5; i++) {
      expect(await guesser.request('auth', { id: 10, token: `guess-number-${i}` })).toEqual({ command: 'auth', error: 'USER_IS_NOT_SELLER' });
    }
    for (const token of ['guess-number-5', TOKEN_10]) {
      const answer = await guesser.request('auth', { id: 10, token });
      expect(answer.error).toBe('RATE_LIMITED');
      expect(answer.data.retryAfterMs).toBeGreaterThan(0);
      expect(answer.data.retryAfterMs).toBeLessThanOrEqual(1000);
    }
    // The whole address waits, whichever seller it names.
    expect((await guesser.request('auth', { id: 20, token: SELLERS['20']!.token })).error).toBe('RATE_LIMITED');

    expect(lines).toEqual([expect.stringMatching(/^seller sign-in throttled for seller id "10" from 203\.0\.113\.66: 5 failed attempts from this address, 5 for this seller id from 1 address;/)]);
    expect(lines.join('\n')).not.toMatch(/guess-number|iofh3498hwe/);

    // Seller 10 is locked for unknown addresses too; seller 20 from elsewhere is not touched.
    expect((await (await from(scene.running.url, '198.51.100.1')).request('auth', { id: 10, token: TOKEN_10 })).error).toBe('RATE_LIMITED');
    expect((await (await from(scene.running.url, '198.51.100.2')).request('auth', { id: 20, token: SELLERS['20']!.token })).data.name).toBe('Shop Twenty');
  });

  it('lets the seller in from an address it signed in from before while its id is locked by guessers elsewhere', async () => {
    scene.running = await startChat({ trustProxy: true, sellerSignInLimit: { failures: 3, maxDelayMs: 60_000 } });
    const usual = await from(scene.running.url, '192.0.2.10');
    expect((await usual.request('auth', { id: 10, token: TOKEN_10 })).data.name).toBe('Shop Ten');
    // Four addresses take turns: the seller id's budget is shared.
    const answers: Array<string | undefined> = [];
    for (let i = 0; i < 8; i++) {
      const guesser = await from(scene.running.url, `203.0.113.${1 + (i % 4)}`);
      answers.push((await guesser.request('auth', { id: 10, token: `guess-${i}` })).error);
    }
    expect(answers).toEqual(['USER_IS_NOT_SELLER', 'USER_IS_NOT_SELLER', 'USER_IS_NOT_SELLER', ...Array(5).fill('RATE_LIMITED')]);
    const again = await from(scene.running.url, '192.0.2.10');
    expect((await again.request('auth', { id: 10, token: TOKEN_10 })).data.name).toBe('Shop Ten');
  });
});

/** Sends wrong tokens for seller 10 from each address in turn until every address got RATE_LIMITED; counts the answers. */
async function guess(port: number, addresses: string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const sockets = await Promise.all(
    addresses.map(
      (localAddress) =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}/ahchat`, { localAddress, perMessageDeflate: false });
          ws.once('open', () => resolve(ws));
          ws.once('error', reject);
        }),
    ),
  );
  const limited = new Set<WebSocket>();
  let n = 0;
  while (limited.size < sockets.length) {
    for (const ws of sockets) {
      if (limited.has(ws)) continue;
      const answer = await new Promise<{ error?: string }>((resolve) => {
        ws.once('message', (data) => resolve(JSON.parse(String(data))));
        ws.send(JSON.stringify({ command: 'auth', data: { id: 10, token: `wrong-${++n}` } }));
      });
      const code = answer.error ?? 'OK';
      counts[code] = (counts[code] ?? 0) + 1;
      if (code === 'RATE_LIMITED') limited.add(ws);
    }
  }
  for (const ws of sockets) ws.terminate();
  return counts;
}

describe('seller sign-in throttle (standalone server)', () => {
  const start = (token: string) => scene.startServer({ AHCHAT_SELLERS: JSON.stringify([{ id: 10, token, name: 'Shop' }]) });

  it('checks 10 guesses from one address and 10 from four addresses together, then RATE_LIMITED; logs the burst once', async () => {
    const server = await start('a-long-random-seller-token-xyz');
    expect(server.output()).not.toMatch(/shorter than 16/);
    expect(await guess(server.port, ['127.0.0.1'])).toEqual({ USER_IS_NOT_SELLER: 10, RATE_LIMITED: 1 });
    // The seller id is locked now: four fresh addresses get no guess checked at all.
    expect(await guess(server.port, ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'])).toEqual({ RATE_LIMITED: 4 });
    expect(await outputLine(server, 'seller sign-in throttled')).toMatch(/seller id "10" from 127\.0\.0\.1: 10 failed attempts/);
    // Printed before the four addresses' answers, on the same stream: no second line came with them.
    expect(server.output().split('\n').filter((l) => l.includes('seller sign-in throttled'))).toHaveLength(1);
    expect(server.output()).not.toMatch(/wrong-|a-long-random/);
  });

  it('lets four addresses that start together share the seller id budget of 10', async () => {
    const server = await start('a-long-random-seller-token-xyz');
    const counts = await guess(server.port, ['127.0.0.6', '127.0.0.7', '127.0.0.8', '127.0.0.9']);
    expect(counts).toEqual({ USER_IS_NOT_SELLER: 10, RATE_LIMITED: 4 });
  });

  it('warns at start about a seller token under 16 characters, naming the seller', async () => {
    const server = await start('short-token');
    expect(await outputLine(server, 'AHCHAT_SELLERS:')).toMatch(/^ahchat: AHCHAT_SELLERS: the token of seller 10 is shorter than 16 characters and easy to guess/);
    expect(server.output()).not.toMatch(/short-token/);
  });
});
