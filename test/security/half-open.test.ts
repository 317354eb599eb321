/**
 * Slowloris (issue 13, item 6): half-sent upgrade requests from one address cannot hold more than
 * the per-address cap, and those held are closed by the header timeout. The standalone server is
 * protected out of the box; a host gets the same with limitConnectionsPerIp and short timeouts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { ahChat } from '../../lib/ah-chat.js';
import { limitConnectionsPerIp } from '../../lib/index.js';
import { DEFAULTS } from '../../lib/options.js';
import { memoryStore } from '../../lib/store/memory-store.js';
import { TestClient } from '../helpers/client.js';
import { silentLogger, testSellers } from '../helpers/chat-server.js';
import { outputLine, type ServerProcess, startServerProcess } from '../helpers/server-process.js';

const servers: ServerProcess[] = [];
const dirs: string[] = [];
const sockets: Socket[] = [];
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const c of cleanups.splice(0)) await c();
  await Promise.all(servers.splice(0).map((s) => s.kill('SIGKILL')));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface HalfOpen {
  socket: Socket;
  /** Resolves with what the server wrote before the connection closed. */
  closed: Promise<string>;
}

/** Opens a TCP connection from `localAddress` and sends an upgrade request without its final blank line. */
function halfOpen(port: number, localAddress: string): HalfOpen {
  const socket = connect({ port, host: '127.0.0.1', localAddress });
  sockets.push(socket);
  let received = '';
  socket.on('data', (chunk) => (received += chunk));
  socket.on('error', () => {});
  socket.on('connect', () => socket.write('GET /ahchat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'));
  return { socket, closed: new Promise((resolve) => socket.once('close', () => resolve(received))) };
}

/** Resolves once `count` of `all` have closed, with those still open. */
function untilClosed(all: HalfOpen[], count: number): Promise<HalfOpen[]> {
  return new Promise((resolve) => {
    let closed = 0;
    for (const h of all) {
      void h.closed.then(() => {
        if (++closed === count) resolve(all.filter((x) => !x.socket.closed && !x.socket.destroyed));
      });
    }
  });
}

/** A buyer signs up from 127.0.0.1 (TestClient's address). */
async function signUp(url: string): Promise<void> {
  const client = await TestClient.connect(url);
  try {
    expect((await client.request('auth', { name: 'Patient', sellerId: 10 })).error).toBeUndefined();
  } finally {
    client.close();
  }
}

describe('half-sent upgrade requests, standalone server', () => {
  it('holds at most the per-address cap of 1,000 half-sent requests from 127.0.0.1, serves other addresses meanwhile, and times the held ones out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ahchat-slow-'));
    dirs.push(dir);
    const server = await startServerProcess({ AHCHAT_DB: dir });
    servers.push(server);
    const cap = DEFAULTS.maxConnectionsPerIp;

    const attack = Array.from({ length: 1000 }, () => halfOpen(server.port, '127.0.0.1'));
    const held = await untilClosed(attack, 1000 - cap);
    expect(held).toHaveLength(cap);
    // The address's cap is full: one more is closed at once, with nothing read or answered.
    expect(await halfOpen(server.port, '127.0.0.1').closed).toBe('');
    expect(await outputLine(server, 'the per-address cap')).toBe(`ahchat: 127.0.0.1 holds ${cap} connections (the per-address cap): closing its further ones at once`);

    // Another address is served as usual.
    const buyer = await new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ahchat`, { localAddress: '127.0.0.2' });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
    const answer = await new Promise<{ data: { name: string } }>((resolve) => {
      buyer.once('message', (data) => resolve(JSON.parse(String(data))));
      buyer.send(JSON.stringify({ command: 'auth', data: { name: 'Patient', sellerId: 10 } }));
    });
    expect(answer.data.name).toBe('Patient');
    buyer.close();

    // The header timeout (10 s) ends the held ones with 408.
    const answers = await Promise.all(held.map((h) => h.closed));
    expect(answers.every((a) => a.startsWith('HTTP/1.1 408 Request Timeout'))).toBe(true);
    // And the address may connect again.
    await signUp(`ws://127.0.0.1:${server.port}/ahchat`);
  }, 30_000);
});

describe('half-sent upgrade requests, a host using limitConnectionsPerIp and short timeouts', () => {
  it('holds at most the cap from one address and answers the held ones 408 at the header timeout', async () => {
    const chat = ahChat({ ...testSellers, store: memoryStore(), logger: silentLogger });
    const app = express();
    app.use(chat);
    const server: Server = createServer({ headersTimeout: 500, requestTimeout: 1000, connectionsCheckingInterval: 50 }, app);
    const refused: string[] = [];
    limitConnectionsPerIp(server, 20, (ip) => refused.push(ip));
    chat.attach(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      await chat.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const { port } = server.address() as AddressInfo;

    const attack = Array.from({ length: 200 }, () => halfOpen(port, '127.0.0.1'));
    const held = await untilClosed(attack, 180);
    expect(held).toHaveLength(20);
    expect(refused).toHaveLength(180);
    expect(new Set(refused)).toEqual(new Set(['127.0.0.1']));
    const answers = await Promise.all(held.map((h) => h.closed));
    expect(answers.every((a) => a.startsWith('HTTP/1.1 408'))).toBe(true);
    await signUp(`ws://127.0.0.1:${port}/ahchat`);
  });
});
