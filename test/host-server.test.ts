/** Every way a host may mount the plugin; other WebSocket users of the same server keep working. */
import { once } from 'node:events';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import expressWs from 'express-ws';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { ahChat, type AhChat } from '../lib/ah-chat.js';
import { memoryStore } from '../lib/store/memory-store.js';
import { TestClient } from './helpers/client.js';
import { silentLogger, testSellers } from './helpers/chat-server.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function plugin(options: Partial<Parameters<typeof ahChat>[0]> = {}): AhChat {
  const chat = ahChat({ ...testSellers, store: memoryStore(), logger: silentLogger, ...options });
  cleanups.push(() => chat.close());
  return chat;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function track(server: Server): Server {
  cleanups.push(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return server;
}

async function expectChatWorks(url: string): Promise<void> {
  const client = await TestClient.connect(url);
  cleanups.push(() => client.close());
  const auth = await client.request('auth', { name: 'Mounted', sellerId: 10 });
  expect(auth.error).toBeUndefined();
  expect(auth.data.chatId).toBeGreaterThan(0);
}

/** Opens a socket and resolves with the HTTP status it was refused with, or 101. */
function handshakeStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', reject);
  });
}

describe('mounting', () => {
  it('app.use(ahChat()) + app.listen(port) serves ws at /ahchat', async () => {
    const app = express();
    app.use(plugin());
    const server = track(await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    }));
    await expectChatWorks(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/ahchat`);
  });

  it('works on a server the host created, with the server option', async () => {
    const app = express();
    const server = track(http.createServer(app));
    app.use(plugin({ server }));
    const port = await listen(server);
    await expectChatWorks(`ws://127.0.0.1:${port}/ahchat`);
  });

  it('works on a server the host created, with attach(server)', async () => {
    const app = express();
    const chat = plugin();
    app.use(chat);
    const server = track(http.createServer(app));
    chat.attach(server);
    await expectChatWorks(`ws://127.0.0.1:${await listen(server)}/ahchat`);
  });

  it('lives under a prefix with app.use("/support", ahChat())', async () => {
    const app = express();
    app.use('/support', plugin());
    const server = track(await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    }));
    const port = (server.address() as AddressInfo).port;
    await expectChatWorks(`ws://127.0.0.1:${port}/support/ahchat`);
    expect(await handshakeStatus(`ws://127.0.0.1:${port}/ahchat`)).toBe(404);
    const res = await request(server).get('/support/ahchat/chat.tpl');
    expect([200, 404]).toContain(res.status);
  });

  it('a custom path option moves the endpoint', async () => {
    const app = express();
    app.use(plugin({ path: '/chat-ws' }));
    const server = track(await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    }));
    await expectChatWorks(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/chat-ws`);
  });

  it('coexists with a host that uses express-ws for its own routes', async () => {
    const app = express();
    const server = track(http.createServer(app));
    const { app: wsApp } = expressWs(app, server);
    wsApp.ws('/echo', (ws) => ws.on('message', (data) => ws.send(`echo:${data}`)));
    app.use(plugin({ server }));
    const port = await listen(server);
    await expectChatWorks(`ws://127.0.0.1:${port}/ahchat`);
    const echo = new WebSocket(`ws://127.0.0.1:${port}/echo`);
    cleanups.push(() => echo.close());
    await new Promise((resolve) => echo.once('open', resolve));
    echo.send('ping');
    const [data] = (await once(echo, 'message')) as [Buffer];
    expect(data.toString()).toBe('echo:ping');
  });

  it('coexists with express-ws set up on the app before app.listen()', async () => {
    const { app } = expressWs(express());
    app.ws('/host', (ws) => ws.send('host here'));
    app.use(plugin());
    const server = track(app.listen(0, '127.0.0.1'));
    await new Promise((resolve) => server.once('listening', resolve));
    const port = (server.address() as AddressInfo).port;
    await expectChatWorks(`ws://127.0.0.1:${port}/ahchat`);
    const host = new WebSocket(`ws://127.0.0.1:${port}/host`);
    cleanups.push(() => host.close());
    const [data] = (await once(host, 'message')) as [Buffer];
    expect(data.toString()).toBe('host here');
  });

  it("never answers or closes upgrades on a host's own ws server (noServer + upgrade handler)", async () => {
    const app = express();
    const server = track(http.createServer(app));
    const hostWss = new WebSocketServer({ noServer: true });
    cleanups.push(() => hostWss.close());
    let hostUpgrades = 0;
    server.on('upgrade', (req, socket, head) => {
      hostUpgrades++;
      if (req.url === '/live') hostWss.handleUpgrade(req, socket, head, (ws) => ws.send('live feed'));
      else socket.destroy();
    });
    app.use(plugin({ server }));
    const port = await listen(server);
    await expectChatWorks(`ws://127.0.0.1:${port}/ahchat`);
    expect(hostUpgrades).toBe(0);
    const live = new WebSocket(`ws://127.0.0.1:${port}/live`);
    cleanups.push(() => live.close());
    const [data] = (await once(live, 'message')) as [Buffer];
    expect(data.toString()).toBe('live feed');
    expect(hostUpgrades).toBe(1);
  });

  it('answers 404 to upgrades on other paths when nobody else listens', async () => {
    const app = express();
    const server = track(http.createServer(app));
    app.use(plugin({ server }));
    expect(await handshakeStatus(`ws://127.0.0.1:${await listen(server)}/elsewhere`)).toBe(404);
  });

  it('close() closes only our sockets and leaves the host server and its sockets running', async () => {
    const app = express();
    const server = track(http.createServer(app));
    const hostWss = new WebSocketServer({ server, path: '/host' });
    cleanups.push(() => hostWss.close());
    app.get('/ping', (_req, res) => res.send('pong'));
    const chat = ahChat({ ...testSellers, store: memoryStore(), logger: silentLogger, server });
    app.use(chat);
    const port = await listen(server);
    const ours = await TestClient.connect(`ws://127.0.0.1:${port}/ahchat`);
    const theirs = new WebSocket(`ws://127.0.0.1:${port}/host`);
    await new Promise((resolve) => theirs.once('open', resolve));
    cleanups.push(() => theirs.close());
    await chat.close();
    expect((await ours.closed).code).toBe(1001);
    expect(theirs.readyState).toBe(WebSocket.OPEN);
    expect((await request(server).get('/ping')).text).toBe('pong');
    expect(await handshakeStatus(`ws://127.0.0.1:${port}/ahchat`)).not.toBe(101);
  });
});

describe('options', () => {
  const noSeller = async (): Promise<null> => null;
  it.each([
    [{}, /option "authSeller" must be a function/],
    [{ authSeller: 'yes' }, /option "authSeller"/],
    [{ authSeller: noSeller, path: 'no-slash' }, /option "path" must be a path starting with '\/'/],
    [{ authSeller: noSeller, maxTextLength: 0 }, /option "maxTextLength" must be a positive integer, got 0/],
    [{ authSeller: noSeller, rateLimit: { frames: -1, intervalMs: 10 } }, /option "rateLimit.frames"/],
    [{ authSeller: noSeller, origins: ['shop.example'] }, /option "origins"/],
    [{ authSeller: noSeller, store: { get() {} } }, /option "store" must be an object with methods .*createBuyer/],
    [{ authSeller: noSeller, requireOnline: 'yes' }, /option "requireOnline" must be a boolean/],
  ])('rejects %j at start-up with a TypeError naming the option', (options, message) => {
    expect(() => ahChat(options as never)).toThrow(TypeError);
    expect(() => ahChat(options as never)).toThrow(message);
  });
});

describe('closing', () => {
  it('answers upgrades to our path with 503 while close() is finishing, never passing them to the host', async () => {
    const app = express();
    const server = track(http.createServer(app));
    let hostSaw = 0;
    server.on('upgrade', (_req, socket) => {
      hostSaw++;
      socket.destroy();
    });
    const chat = ahChat({ ...testSellers, store: memoryStore(), logger: silentLogger, server });
    app.use(chat);
    const port = await listen(server);
    const client = await TestClient.connect(`ws://127.0.0.1:${port}/ahchat`);
    // A frame in flight keeps close() busy; meanwhile a new upgrade arrives.
    client.send('auth', { name: 'late', sellerId: 10 });
    const closing = chat.close();
    expect(await handshakeStatus(`ws://127.0.0.1:${port}/ahchat`)).toBe(503);
    await closing;
    expect(hostSaw).toBe(0);
  });
});
