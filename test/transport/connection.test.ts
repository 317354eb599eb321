/**
 * lib/transport/connection.ts on its own, over real sockets: a bare ws server wraps each socket in a
 * Connection whose handler the test writes. Frames are handled one at a time in order; the auth
 * deadline, the sign-in gate, rate limits and the flood close; pushes held behind the auth answer;
 * error answers; the heartbeat's pong; a reader too slow for its backlog is dropped; drained().
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { Connection, type ConnectionDeps } from '../../lib/transport/connection.js';
import { ChatError, CLOSE_CODES } from '../../lib/wire/index.js';
import { type AhChatOptions, resolveOptions } from '../../lib/options.js';
import type { ClientRequest } from '../../lib/wire/index.js';
import type { Session } from '../../lib/chat/session.js';
import { TestClient } from '../helpers/client.js';
import { signUpBuyer, startChat, testSellers } from '../helpers/chat-server.js';
import { useTeardown } from '../helpers/teardown.js';

const session = { side: 'buyer', sellerId: '10', chatId: 1, protocol: 2 } as unknown as Session;

type Handle = ConnectionDeps<Session>['handle'];

interface Bed {
  url: string;
  /** The server side of the next socket that connects. */
  nextConnection(): Promise<Connection<Session>>;
  closed: Connection<Session>[];
  logged: string[];
}

const beds: WebSocketServer[] = [];
const scene = useTeardown();
afterEach(async () => {
  for (const wss of beds.splice(0)) {
    for (const socket of wss.clients) socket.terminate();
    await new Promise((resolve) => wss.close(resolve));
  }
});

/** A ws server whose sockets become Connections with these options and this handler. */
async function bed(handle: Handle, options: Partial<AhChatOptions> = {}): Promise<Bed> {
  const logged: string[] = [];
  const resolved = resolveOptions({ ...testSellers, logger: { info() {}, warn() {}, error: (m) => logged.push(m) }, ...options });
  const closed: Connection<Session>[] = [];
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  beds.push(wss);
  await once(wss, 'listening');
  const waiting: ((c: Connection<Session>) => void)[] = [];
  wss.on('connection', (socket) => {
    const connection = new Connection<Session>(socket, '127.0.0.1', { options: resolved, handle, closed: (c) => closed.push(c) });
    waiting.shift()?.(connection);
  });
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    nextConnection: () => new Promise((resolve) => waiting.push(resolve)),
    closed,
    logged,
  };
}

/** A client and the server's Connection for it. */
async function connect(b: Bed): Promise<{ client: TestClient; connection: Connection<Session> }> {
  const server = b.nextConnection();
  const client = await TestClient.connect(b.url);
  scene.clients.push(client);
  return { client, connection: await server };
}

/** Resolves once the server side has received n more frames (Connection's own listener ran first). */
function arrivals(connection: Connection<Session>, n: number): Promise<void> {
  return new Promise((resolve) => {
    let left = n;
    const count = () => {
      if (--left > 0) return;
      connection.socket.off('message', count);
      resolve();
    };
    connection.socket.on('message', count);
  });
}

/** A handler that answers every request with its own command and data, signing in on auth. */
const echo: Handle = async (connection, request) => {
  const answer = async () => connection.sendText(JSON.stringify({ command: request.command, data: request.data }));
  if (request.command === 'auth') await connection.signIn(session, answer);
  else await answer();
};

describe('Connection', () => {
  it('handles one frame at a time, in the order they came, even when a handler is slow', async () => {
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const b = await bed(async (connection, request) => {
      if (request.command === 'auth') await connection.signIn(session, async () => {});
      const chatId = (request.data as { chatId?: number }).chatId;
      log.push(`start ${request.command} ${chatId ?? ''}`);
      if (chatId === 1) await gate;
      log.push(`end ${request.command} ${chatId ?? ''}`);
      connection.sendText(JSON.stringify({ command: request.command, data: { chatId } }));
    });
    const { client, connection } = await connect(b);
    await client.request('auth', { name: 'Ann', sellerId: 10 });
    const arrived = arrivals(connection, 2);
    client.send('typing', { chatId: 1 });
    client.send('typing', { chatId: 2 });
    // The second frame has arrived and waits: it is handled only after the first one ends.
    await arrived;
    const first = client.next('typing');
    expect(log.at(-1)).toBe('start typing 1');
    release();
    expect((await first).data).toEqual({ chatId: 1 });
    expect((await client.next('typing')).data).toEqual({ chatId: 2 });
    expect(log).toEqual(['start auth ', 'end auth ', 'start typing 1', 'end typing 1', 'start typing 2', 'end typing 2']);
  });

  it('lets only auth through before sign-in (NOT_AUTHORIZED) and no auth after it (ALREADY_AUTHORIZED), naming the message', async () => {
    const seen: ClientRequest['command'][] = [];
    const b = await bed(async (connection, request) => {
      seen.push(request.command);
      await echo(connection, request);
    });
    const { client } = await connect(b);
    expect(await client.request('message', { chatId: 1, text: 'x', clientDate: 1, clientId: 'c1' })).toEqual({
      command: 'message',
      error: 'NOT_AUTHORIZED',
      data: { clientId: 'c1' },
    });
    expect((await client.request('auth', { name: 'Ann', sellerId: 10 })).error).toBeUndefined();
    expect(await client.request('auth', { name: 'Ann', sellerId: 10 })).toEqual({ command: 'auth', error: 'ALREADY_AUTHORIZED' });
    expect(seen).toEqual(['auth']);
  });

  it('answers a frame that does not parse, and a binary frame, without calling the handler', async () => {
    const seen: string[] = [];
    const b = await bed(async (connection, request) => {
      seen.push(request.command);
      await echo(connection, request);
    });
    const { client } = await connect(b);
    client.sendRaw('not json');
    expect(await client.next()).toEqual({ command: 'error', error: 'BAD_REQUEST' });
    client.sendRaw(Buffer.from('{"command":"auth","data":{}}'));
    expect(await client.next()).toEqual({ command: 'error', error: 'BAD_REQUEST' });
    expect(await client.request('nope')).toEqual({ command: 'nope', error: 'UNKNOWN_COMMAND' });
    expect(seen).toEqual([]);
  });

  it('closes a socket that has not signed in within authTimeout with 1008, and keeps one that has', async () => {
    const b = await bed(echo, { authTimeout: 100 });
    const late = await connect(b);
    const signed = await connect(b);
    await signed.client.request('auth', { name: 'Ann', sellerId: 10 });
    expect(await late.client.closed).toEqual({ code: CLOSE_CODES.POLICY_VIOLATION, reason: 'auth timeout' });
    await late.connection.closedPromise();
    expect(b.closed).toEqual([late.connection]);
    // Still served after its deadline would have passed.
    expect((await signed.client.request('typing', { chatId: 1 })).data).toEqual({ chatId: 1 });
  });

  it('runs the auth deadline again after a sign-in whose answer failed', async () => {
    const b = await bed(async (connection, request) => {
      await connection.signIn(session, async () => {
        throw new ChatError('INTERNAL_ERROR');
      }).catch(() => {});
      expect(connection.session).toBeNull();
      connection.sendText(JSON.stringify({ command: request.command, error: 'INTERNAL_ERROR' }));
    }, { authTimeout: 150 });
    const { client } = await connect(b);
    expect((await client.request('auth', { name: 'Ann', sellerId: 10 })).error).toBe('INTERNAL_ERROR');
    expect((await client.closed).code).toBe(CLOSE_CODES.POLICY_VIOLATION);
  });

  it('answers RATE_LIMITED (with the clientId) past the message budget, and closes with 1008 after floodCloseAfter refusals in a row', async () => {
    const b = await bed(echo, { rateLimit: { frames: 2, intervalMs: 60_000 }, floodCloseAfter: 3 });
    const { client } = await connect(b);
    await client.request('auth', { name: 'Ann', sellerId: 10 });
    const send = (i: number) => client.request('message', { chatId: 1, text: `m${i}`, clientDate: 1, clientId: `c${i}` });
    expect((await send(1)).error).toBeUndefined();
    expect((await send(2)).error).toBeUndefined();
    expect(await send(3)).toEqual({ command: 'message', error: 'RATE_LIMITED', data: { clientId: 'c3' } });
    // Other frames still have their own (larger) budget.
    expect((await client.request('typing', { chatId: 1 })).error).toBeUndefined();
    expect(await send(4)).toEqual({ command: 'message', error: 'RATE_LIMITED', data: { clientId: 'c4' } });
    expect(await send(5)).toEqual({ command: 'message', error: 'RATE_LIMITED', data: { clientId: 'c5' } });
    client.send('message', { chatId: 1, text: 'm6', clientDate: 1, clientId: 'c6' });
    expect(await client.closed).toEqual({ code: CLOSE_CODES.POLICY_VIOLATION, reason: 'flood' });
  });

  it('holds pushes made while the auth answer is prepared, and sends them after it', async () => {
    const b = await bed(async (connection, request) => {
      await connection.signIn(session, async () => {
        connection.push(JSON.stringify({ command: 'status', data: { chatId: 1, status: true } }));
        connection.sendText(JSON.stringify({ command: request.command, data: { name: 'Ann' } }));
      });
    });
    const { client } = await connect(b);
    client.send('auth', { name: 'Ann', sellerId: 10 });
    expect(await client.next()).toEqual({ command: 'auth', data: { name: 'Ann' } });
    expect(await client.next()).toEqual({ command: 'status', data: { chatId: 1, status: true } });
  });

  it('turns a ChatError into its code (with details), anything else into INTERNAL_ERROR with a log line that leaves out what the client sent', async () => {
    const b = await bed(async (connection, request) => {
      if (request.command === 'auth') return connection.signIn(session, async () => {});
      if (request.command === 'typing') throw new ChatError('MESSAGE_REJECTED', { reason: 'no' });
      throw new Error(`store says: bad text "${(request.data as { text: string }).text}" from ann@example.org`);
    });
    const { client } = await connect(b);
    client.send('auth', { name: 'Ann', sellerId: 10 });
    expect(await client.request('typing', { chatId: 1 })).toEqual({ command: 'typing', error: 'MESSAGE_REJECTED', data: { reason: 'no' } });
    expect(await client.request('message', { chatId: 1, text: 'my secret text', clientDate: 1, clientId: 'c1' })).toEqual({
      command: 'message',
      error: 'INTERNAL_ERROR',
      data: { clientId: 'c1' },
    });
    expect(b.logged).toEqual(['message failed: store says: bad text "[redacted]" from [redacted]']);
  });

  it('drops a reader whose unsent backlog passes maxBufferedBytes, instead of holding it', async () => {
    const b = await bed(echo, { maxBufferedBytes: 256 * 1024 });
    const { client, connection } = await connect(b);
    // The client stops reading: the kernel's buffers fill, then ws's.
    (client.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const chunk = JSON.stringify({ command: 'message', data: { text: 'x'.repeat(64 * 1024) } });
    for (let i = 0; i < 4000 && connection.open; i++) {
      connection.push(chunk);
      // A turn between pushes: what is held for one turn on purpose is not backlog.
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(connection.open).toBe(false);
    await connection.closedPromise();
    expect(b.closed).toEqual([connection]);
  });

  it('drained(): takes no new frames and resolves once the ones taken are handled', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handled: string[] = [];
    const b = await bed(async (connection, request) => {
      if (request.command === 'auth') return connection.signIn(session, async () => {});
      await gate;
      handled.push(request.command);
      connection.sendText(JSON.stringify({ command: request.command }));
    });
    const { client, connection } = await connect(b);
    let arrived = arrivals(connection, 2);
    client.send('auth', { name: 'Ann', sellerId: 10 });
    client.send('typing', { chatId: 1 });
    await arrived;
    const drained = connection.drained();
    arrived = arrivals(connection, 1);
    client.send('read', { chatId: 1, id: 1 });
    await arrived;
    release();
    await drained;
    expect(await client.next('typing')).toEqual({ command: 'typing' });
    // The frame that came after drained() was dropped on arrival: never queued, never handled.
    await connection.drained();
    expect(handled).toEqual(['typing']);
  });
});

describe('the heartbeat over a Connection (the plugin pings every heartbeatInterval)', () => {
  it('keeps a socket that answers pings through several rounds', async () => {
    scene.running = await startChat({ heartbeatInterval: 40 });
    const { client } = await signUpBuyer(scene.running.url);
    scene.clients.push(client);
    let pings = 0;
    await new Promise<void>((resolve) => {
      client.socket.on('ping', () => {
        if (++pings === 4) resolve();
      });
    });
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
    expect((await client.request('history', { chatId: 1 })).error).toBeUndefined();
  });
});
