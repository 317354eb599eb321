/**
 * Secrets (issue 5, point 6): no token or message text reaches the log, even when a store or hook
 * fails with an error that quotes them; buyer tokens are stored hashed only; and an error about
 * someone else's chat is the very same frame as one about a chat that does not exist.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AhChatOptions } from '../../lib/options.js';
import type { Logger } from '../../lib/logger.js';
import { lowdbStore } from '../../lib/store/lowdb-store.js';
import { memoryStore } from '../../lib/store/memory-store.js';
import type { Store } from '../../lib/store/store.js';
import { hashToken } from '../../lib/chat/tokens.js';
import { TestClient } from '../helpers/client.js';
import { type RunningChat, SELLERS, signInSeller, signUpBuyer, startChat, testSellers } from '../helpers/chat-server.js';
import { tmpDir } from '../helpers/tmp-dir.js';

let running: RunningChat | undefined;
const clients: TestClient[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await running?.stop();
  running = undefined;
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function connect(): Promise<TestClient> {
  const client = await TestClient.connect(running!.url);
  clients.push(client);
  return client;
}

function track<T extends { client: TestClient }>(x: T): T {
  clients.push(x.client);
  return x;
}

/** Every line the plugin logs, at any level. */
function capturingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
}

describe('the log', () => {
  it('never holds a token or a message text, through a run full of failures', async () => {
    const logger = capturingLogger();
    const inner = memoryStore();
    // Failures that quote what they were given, as database drivers do ("invalid input: '…'").
    const store: Store = {
      ...inner,
      async appendMessage(input) {
        if (input.text.includes('store-fails')) throw new Error(`could not insert message with text '${input.text}'`);
        return inner.appendMessage(input);
      },
      async findBuyerByTokenHash(hash) {
        return inner.findBuyerByTokenHash(hash);
      },
    };
    const options: Partial<AhChatOptions> = {
      logger,
      store,
      async authSeller(credentials) {
        if (credentials.token.startsWith('upstream-down')) throw new Error(`auth service refused token ${credentials.token}`);
        return testSellers.authSeller(credentials);
      },
      beforeMessage({ text }) {
        if (text.includes('hook-fails')) throw new Error(`moderation crashed on: ${text}`);
        return text;
      },
      maxPayload: 4096,
      authTimeout: 300,
    };
    running = await startChat(options);
    const secrets: string[] = [SELLERS['10']!.token, SELLERS['20']!.token];
    const texts: string[] = [];

    const buyer = track(await signUpBuyer(running.url, 'Secretive', 10));
    const seller = track(await signInSeller(running.url, 10));
    secrets.push(buyer.token);
    const say = async (client: TestClient, text: string) => {
      texts.push(text);
      client.send('message', { text, clientDate: 1, chatId: buyer.chatId });
      // Skip the other side's messages pushed meanwhile: the answer is ours (my: true) or an error.
      for (;;) {
        const frame = await client.next('message');
        if (frame.error || frame.data.my) return frame;
      }
    };
    expect((await say(buyer.client, 'my card is 4111 1111 1111 1111')).error).toBeUndefined();
    expect((await say(buyer.client, 'store-fails: my address is 1 Secret Lane')).error).toBe('INTERNAL_ERROR');
    expect((await say(seller.client, 'hook-fails: your code is 918273')).error).toBe('INTERNAL_ERROR');
    expect((await say(seller.client, 'the parcel left today')).error).toBeUndefined();

    // Sign-ins that fail in every way.
    const tries = [
      { id: 10, token: 'upstream-down-Zq9xP2mW' },
      { id: 10, token: 'wrong-seller-token-4kT7' },
      { id: 99, token: SELLERS['10']!.token },
      { token: 'stolen-buyer-token-R2d2C3po', sellerId: 10 },
      { token: `${buyer.token}x`, sellerId: 10 },
    ];
    for (const data of tries) {
      secrets.push(data.token);
      const client = await connect();
      expect((await client.request('auth', data)).error).toMatch(/^(INTERNAL_ERROR|USER_IS_NOT_SELLER|USER_NOT_FOUND)$/);
    }
    // Bad frames, a frame over the limit, a flood, a socket that never signs in.
    const rude = await connect();
    rude.sendRaw(`{"command":"auth","data":{"token":"half-a-frame-token-Pq8`);
    secrets.push('half-a-frame-token-Pq8');
    expect((await rude.next()).error).toBe('BAD_REQUEST');
    const big = await connect();
    big.socket.on('error', () => {});
    const bigText = `too big to log ${'z'.repeat(5000)}`;
    texts.push(bigText);
    big.send('message', { text: bigText, clientDate: 1, chatId: buyer.chatId });
    expect((await big.closed).code).toBe(1009);
    expect((await rude.closed).code).toBe(1008);

    const log = logger.lines.join('\n');
    // The failures were logged (the log is useful), naming the command...
    expect(logger.lines.filter((l) => l.startsWith('error'))).toHaveLength(3);
    expect(log).toMatch(/message failed/);
    expect(log).toMatch(/auth failed/);
    // ...but nothing anyone typed or signed in with.
    for (const secret of [...secrets, ...texts]) expect(log, `the log holds ${JSON.stringify(secret.slice(0, 40))}`).not.toContain(secret);
    for (const fragment of ['4111', 'Secret Lane', '918273', 'parcel', 'Zq9xP2mW', '4kT7', 'R2d2C3po']) expect(log).not.toContain(fragment);
  });
});

describe('buyer tokens', () => {
  it('are stored only as their SHA-256 hash', async () => {
    const dir = await tmpDir('ahchat-secrets-');
    cleanups.push(dir.remove);
    running = await startChat({ store: lowdbStore({ dir: dir.path }) });
    const tokens: string[] = [];
    for (const name of ['Ann', 'Bob', 'Cy']) {
      const buyer = track(await signUpBuyer(running.url, name, 10));
      tokens.push(buyer.token);
      await buyer.client.request('message', { text: `hello from ${name}`, clientDate: 1, chatId: buyer.chatId });
    }
    await running.stop();
    running = undefined;
    const files = readdirSync(dir.path, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json'));
    const everything = files.map((f) => readFileSync(join(dir.path, f), 'utf8')).join('\n');
    for (const token of tokens) {
      expect(everything).not.toContain(token);
      expect(everything).toContain(hashToken(token));
    }
  });
});

describe("someone else's chat", () => {
  it('gets exactly the answers a chat that does not exist gets, for every command and side', async () => {
    running = await startChat();
    const mine = track(await signUpBuyer(running.url, 'Mine', 10));
    const neighbour = track(await signUpBuyer(running.url, 'Neighbour', 10));
    const elsewhere = track(await signUpBuyer(running.url, 'Elsewhere', 20));
    const seller10 = track(await signInSeller(running.url, 10));
    const seller20 = track(await signInSeller(running.url, 20));
    await neighbour.client.request('message', { text: 'private', clientDate: 1, chatId: neighbour.chatId });
    await elsewhere.client.request('message', { text: 'private too', clientDate: 1, chatId: elsewhere.chatId });
    // A closed chat of seller 20 must not answer CHAT_CLOSED to others either.
    const closedOne = track(await signUpBuyer(running.url, 'Closed', 20));
    seller20.client.send('close', { chatId: closedOne.chatId });
    await closedOne.client.next('close');
    const missing = 987_654;

    const cases: [string, TestClient, number[]][] = [
      ['a buyer', mine.client, [neighbour.chatId, elsewhere.chatId, closedOne.chatId]],
      ['seller 10', seller10.client, [elsewhere.chatId, closedOne.chatId]],
      ['seller 20', seller20.client, [mine.chatId, neighbour.chatId]],
    ];
    const data = (chatId: number) => ({ chatId, text: 'probe', clientDate: 1, clientId: 'probe', id: 1, before: 2, limit: 5 });
    for (const [who, client, foreign] of cases) {
      // Pushes from setting up are not answers: let them arrive, then forget them.
      await client.barrier(missing);
      client.frames.splice(0);
      for (const command of ['message', 'history', 'typing', 'read', 'close']) {
        const baseline = await client.request(command, data(missing));
        expect(baseline.error, `${who} ${command} on a missing chat`).toMatch(/^(CHAT_NOT_FOUND|FORBIDDEN)$/);
        for (const chatId of foreign) {
          expect(await client.request(command, data(chatId)), `${who} ${command} on chat ${chatId}`).toEqual(baseline);
        }
      }
    }
    // Resuming with `since` for foreign chats tells nothing either.
    for (const [who, auth] of [
      ['buyer', { token: mine.token, sellerId: 10, protocol: 2 }],
      ['seller 10', { id: 10, token: SELLERS['10']!.token, protocol: 2 }],
    ] as const) {
      const a = await connect();
      const withForeign = await a.request('auth', { ...auth, since: { [elsewhere.chatId]: 0, [neighbour.chatId]: 0 } });
      const b = await connect();
      const withMissing = await b.request('auth', { ...auth, since: { [missing]: 0, [missing + 1]: 0 } });
      const ids = (frame: any) => frame.data.chats.map((c: any) => [c.id, c.messages.map((m: any) => m.id)]);
      expect(ids(withForeign), who).toEqual(ids(withMissing));
    }
    // And the owners heard nothing of all this probing.
    for (const owner of [neighbour, elsewhere]) {
      await owner.client.barrier(owner.chatId);
      expect(owner.client.frames.filter((f) => f.command !== 'status'), 'frames at a probed chat').toEqual([]);
    }
  });
});
