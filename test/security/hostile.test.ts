/**
 * Hostile clients (issue 5, point 5): each attack gets its exact outcome, and a well-behaved buyer
 * and seller on the same server are served before, during and after it.
 */
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { AhChatOptions } from '../../lib/options.js';
import { TestClient } from '../helpers/client.js';
import { type RunningChat, signInSeller, signUpBuyer, startChat } from '../helpers/chat-server.js';
import { type Bystanders, bystanders } from './bystanders.js';
import { within } from './deadline.js';
import { netSocketOf, serverSockets, socketClosed } from './server-sockets.js';

let running: RunningChat | undefined;
let others: Bystanders | undefined;
const clients: TestClient[] = [];
const raw: WebSocket[] = [];

async function start(options: Partial<AhChatOptions> = {}) {
  running = await startChat(options);
  const sockets = serverSockets(running.server);
  others = await bystanders(running.url);
  return { running, others, sockets, url: running.url };
}

async function connect(url: string, options?: Parameters<typeof TestClient.connect>[1]): Promise<TestClient> {
  const client = await TestClient.connect(url, options);
  clients.push(client);
  return client;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const ws of raw.splice(0)) ws.terminate();
  others?.close();
  await running?.stop();
  running = others = undefined;
});

describe('Origin', () => {
  it('refuses a foreign Origin with HTTP 403 before the handshake; no Origin and listed origins get in (a list replaces the same-origin rule)', async () => {
    const { url, others } = await start({ origins: ['https://shop.example'] });
    const before = running!.chat.connections;
    const port = new URL(url).port;
    for (const origin of ['https://evil.example', 'null', 'http://shop.example', 'https://shop.example.evil.example', 'https://shop.example:444', `http://127.0.0.1:${port}`]) {
      await expect(connect(url, { origin })).rejects.toThrow('HTTP 403');
    }
    // Refused before the handshake: no socket was ever made for them.
    expect(running!.chat.connections).toBe(before);
    await others.served();

    for (const origin of ['https://shop.example', undefined]) {
      const client = await connect(url, { origin });
      expect((await client.request('auth', { name: `from ${origin}`, sellerId: 10 })).error).toBeUndefined();
    }
    await others.served();
  });
});

describe('connections per IP', () => {
  it('refuses the connection over maxConnectionsPerIp with HTTP 429, and frees a slot when a socket closes', async () => {
    const { url, others, sockets } = await start({ maxConnectionsPerIp: 4 });
    // The bystanders hold two of the four slots of 127.0.0.1.
    const a = await connect(url);
    await connect(url);
    await expect(connect(url)).rejects.toThrow('HTTP 429');
    await expect(connect(url)).rejects.toThrow('HTTP 429');
    await others.served();

    const serverSide = sockets.of(a.socket);
    a.close();
    await within(socketClosed(serverSide), 5000, 'server letting go of the closed socket');
    const c = await connect(url);
    expect((await c.request('auth', { name: 'took the free slot', sellerId: 10 })).error).toBeUndefined();
    await expect(connect(url)).rejects.toThrow('HTTP 429');
    await others.served();
  });

  it('counts each client IP on its own (X-Forwarded-For with trustProxy)', async () => {
    const { url, others } = await start({ maxConnectionsPerIp: 2, trustProxy: true });
    // Our proxy appends the address it saw; whatever stands left of it the client may have made up.
    const from = (ip: string) => ({ headers: { 'x-forwarded-for': `10.0.0.1, ${ip}` } });
    await connect(url, from('203.0.113.7'));
    await connect(url, from('203.0.113.7'));
    await expect(connect(url, from('203.0.113.7'))).rejects.toThrow('HTTP 429');
    const elsewhere = await connect(url, from('198.51.100.1'));
    expect((await elsewhere.request('auth', { name: 'elsewhere', sellerId: 10 })).error).toBeUndefined();
    await others.served();
  });
});

describe('sign-up floods', () => {
  it('limits new buyers per IP with RATE_LIMITED, storing nothing; other IPs and known buyers go on', async () => {
    const { url, others, running: server } = await start({ signUpRateLimit: { count: 2, intervalMs: 60_000 }, trustProxy: true });
    const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });
    const first = await connect(url, from('203.0.113.9'));
    const auth = await first.request('auth', { name: 'one', sellerId: 10 });
    await connect(url, from('203.0.113.9')).then((c) => c.request('auth', { name: 'two', sellerId: 10 }));
    const third = await connect(url, from('203.0.113.9'));
    expect(await third.request('auth', { name: 'three', sellerId: 10 })).toEqual({ command: 'auth', error: 'RATE_LIMITED' });
    // A buyer who already has a token signs in as usual, and so does a new buyer elsewhere.
    expect((await third.request('auth', { token: auth.data.token, sellerId: 10 })).data.chatId).toBe(auth.data.chatId);
    const elsewhere = await connect(url, from('198.51.100.2'));
    expect((await elsewhere.request('auth', { name: 'elsewhere', sellerId: 10 })).error).toBeUndefined();
    const chats = await server.chat.store.listChats('10', { limit: 100 });
    expect(chats.map((c) => c.chatter).filter((n) => n !== 'Bystander').sort()).toEqual(['elsewhere', 'one', 'two']);
    await others.served();
  });
});

describe('floods', () => {
  it('answers messages over the budget with RATE_LIMITED, stores none of them, then closes 1008 if the flood goes on', async () => {
    const { url, others } = await start({ rateLimit: { frames: 5, intervalMs: 60_000 }, floodCloseAfter: 3 });
    const { client, chatId } = await signUpBuyer(url, 'Flooder');
    clients.push(client);
    const confirmed = [];
    for (let i = 1; i <= 5; i++) {
      confirmed.push(await client.request('message', { text: `ok ${i}`, clientDate: i, chatId, clientId: `ok-${i}` }));
    }
    expect(confirmed.map((f) => f.data.id)).toEqual([1, 2, 3, 4, 5]);

    for (let i = 1; i <= 3; i++) client.send('message', { text: `flood ${i}`, clientDate: i, chatId, clientId: `flood-${i}` });
    // The answer names the refused message, so a client knows which one to retry.
    expect(await client.next()).toEqual({ command: 'message', error: 'RATE_LIMITED', data: { clientId: 'flood-1' } });
    expect(await client.next()).toEqual({ command: 'message', error: 'RATE_LIMITED', data: { clientId: 'flood-2' } });
    expect(await within(client.closed, 5000, 'flood close')).toEqual({ code: 1008, reason: 'flood' });
    expect(client.frames).toEqual([]);

    const seller = others.seller;
    const history = await seller.request('history', { chatId });
    expect(history.data.messages.map((m: { text: string }) => m.text)).toEqual(['ok 1', 'ok 2', 'ok 3', 'ok 4', 'ok 5']);
    await others.served();
  });

  it('limits all frames too: junk over 5x the message budget gets RATE_LIMITED, then close 1008', async () => {
    const { url, others } = await start({ rateLimit: { frames: 5, intervalMs: 60_000 }, floodCloseAfter: 3 });
    const junk = await connect(url);
    for (let i = 0; i < 28; i++) junk.sendRaw(`junk ${i}`);
    for (let i = 0; i < 25; i++) expect(await junk.next()).toEqual({ command: 'error', error: 'BAD_REQUEST' });
    expect(await junk.next()).toEqual({ command: 'error', error: 'RATE_LIMITED' });
    expect(await junk.next()).toEqual({ command: 'error', error: 'RATE_LIMITED' });
    expect((await within(junk.closed, 5000, 'flood close')).code).toBe(1008);
    await others.served();
  });
});

describe('slow readers', () => {
  it('terminates a socket that stops reading once its unsent bytes pass maxBufferedBytes, holding no more than that', async () => {
    const maxBufferedBytes = 256 * 1024;
    const { url, sockets } = await start({ maxBufferedBytes, maxTextLength: 60_000, rateLimit: { frames: 10_000, intervalMs: 10_000 } });
    const { client: reader } = await signInSeller(url, 20);
    clients.push(reader);
    reader.socket.on('error', () => {});
    const { client: writer, chatId } = await signUpBuyer(url, 'Chatty', 20);
    clients.push(writer);
    const serverSide = sockets.of(reader.socket);
    // The reader's network stops being read: everything sent to it piles up (kernel buffers first).
    netSocketOf(reader.socket).pause();

    const text = 'x'.repeat(60_000);
    let sent = 0;
    let mostBuffered = 0;
    while (!serverSide.closed) {
      if (sent >= 1000) throw new Error(`the slow reader was never dropped; ${serverSide.writableLength} bytes buffered for it`);
      // What the server holds for the reader only grows while it does not read: sample it between batches.
      mostBuffered = Math.max(mostBuffered, serverSide.writableLength);
      for (let i = 0; i < 10; i++) writer.send('message', { text, clientDate: sent + i, chatId });
      for (let i = 0; i < 10; i++) expect((await writer.next('message')).error).toBeUndefined();
      sent += 10;
    }
    // One push may go out after the check that found the buffer under the cap.
    expect(mostBuffered).toBeLessThanOrEqual(maxBufferedBytes + 64 * 1024);
    // The seller is gone for the buyer too, and the writer is served on.
    expect((await writer.next('status')).data).toEqual({ chatId, status: false });
    for (let i = 0; i < 20; i++) expect((await writer.request('message', { text, clientDate: i, chatId })).error).toBeUndefined();
    expect(running!.chat.connections).toBe(3);
    await others!.served();

    // The reader, reading again, finds its connection cut without a close frame.
    netSocketOf(reader.socket).resume();
    expect((await within(reader.closed, 5000, 'reader close')).code).toBe(1006);
    console.log(`slow reader: dropped after ${sent} pushes of 60 kB; at most ${mostBuffered} bytes were buffered for it (cap ${maxBufferedBytes})`);
  });
});

describe('fragments', () => {
  it('puts thousands of 1-byte fragments (splitting UTF-8 characters) back into one message', async () => {
    const { url, others } = await start();
    const { client, chatId } = await signUpBuyer(url, 'Fragmented');
    clients.push(client);
    const text = `Grüße 😀 ${'y'.repeat(3000)} ende`;
    const frame = Buffer.from(JSON.stringify({ command: 'message', data: { text, clientDate: 1, chatId, clientId: 'frag-1' } }));
    expect(frame.length).toBeGreaterThan(3000);
    for (let i = 0; i < frame.length; i++) {
      client.socket.send(frame.subarray(i, i + 1), { binary: false, fin: i === frame.length - 1 });
    }
    const reply = await client.next('message', 10_000);
    expect(reply.data).toMatchObject({ id: 1, text, clientId: 'frag-1', my: true });
    const pushed = await others.seller.next('message');
    expect(pushed.data).toMatchObject({ id: 1, chatId, text, my: false });
    await others.served();
  });

  it('closes 1009 when fragments add up to more than maxPayload', async () => {
    const { url, others } = await start();
    const client = await connect(url);
    client.socket.on('error', () => {});
    const chunk = Buffer.alloc(1024, 'a');
    for (let i = 0; i < 70; i++) client.socket.send(chunk, { binary: false, fin: false });
    expect((await within(client.closed, 5000, 'close')).code).toBe(1009);
    await others.served();
  });
});

describe('clients that never sign in', () => {
  it('closes 1008 after authTimeout, whether the socket is silent or keeps failing to sign in', async () => {
    const { url, others } = await start({ authTimeout: 300 });
    const silent = await connect(url);
    const trying = await connect(url);
    expect(await trying.request('auth', { id: 10, token: 'guess' })).toEqual({ command: 'auth', error: 'USER_IS_NOT_SELLER' });
    trying.sendRaw('junk');
    expect(await trying.next()).toEqual({ command: 'error', error: 'BAD_REQUEST' });
    const closes = await within(Promise.all([silent.closed, trying.closed]), 5000, 'auth timeout closes');
    expect(closes).toEqual([
      { code: 1008, reason: 'auth timeout' },
      { code: 1008, reason: 'auth timeout' },
    ]);
    // The bystanders signed in long ago: their sockets are not on a deadline.
    await others.served();
  });
});

describe('peers that never answer pings', () => {
  it('terminates a socket that misses a pong, tells the seller the buyer left, and keeps ponging sockets', async () => {
    const { url, others } = await start({ heartbeatInterval: 50 });
    const deaf = new WebSocket(url, { autoPong: false, perMessageDeflate: false });
    raw.push(deaf);
    deaf.on('error', () => {});
    await once(deaf, 'open');
    deaf.send(JSON.stringify({ command: 'auth', data: { name: 'Deaf', sellerId: 10 } }));
    const [auth] = await once(deaf, 'message');
    const chatId = JSON.parse(String(auth)).data.chatId as number;
    const closed = once(deaf, 'close');

    const [code] = await within(closed, 5000, 'deaf socket termination');
    expect(code).toBe(1006);
    for (;;) {
      const status = await others.seller.next('status');
      if (status.data.chatId === chatId && status.data.status === false) break;
    }
    // The well-behaved sockets answer pings: three more heartbeats later they are still served.
    for (let i = 0; i < 3; i++) await within(once(others.buyer.socket, 'ping'), 5000, 'heartbeat ping');
    await others.served();
  });
});
