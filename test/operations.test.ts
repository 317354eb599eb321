/**
 * Operations: /health, /ready (503 with the reason while the store, the bus or the plugin is not
 * ready), /metrics in the Prometheus text format, and a real pino logger.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { localBus } from '../lib/bus/local-bus.js';
import type { Bus } from '../lib/bus/bus.js';
import { redisBus } from '../lib/bus/redis-bus.js';
import { postgresStore } from '../lib/store/postgres/postgres-store.js';
import { memoryStore } from '../lib/store/memory-store.js';
import { resolveOptions } from '../lib/options.js';
import type { AhChatChatEvent, AhChatMessageEvent, AhChatStatusEvent } from '../lib/events.js';
import type { Store } from '../lib/store/store.js';
import { signInSeller, signUpBuyer, startChat, type RunningChat } from './helpers/chat-server.js';
import { connectTestDatabase, dropSchema, freshSchemaName, testDatabaseUrl } from './helpers/postgres.js';
import { freshPrefix, testRedisUrl } from './helpers/redis.js';

const running: RunningChat[] = [];
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) await c.stop();
  for (const close of closers.splice(0)) await close();
});

async function start(options: Parameters<typeof startChat>[0] = {}): Promise<RunningChat & { http: string }> {
  const chat = await startChat(options);
  running.push(chat);
  return { ...chat, http: `http://127.0.0.1:${chat.port}/ahchat` };
}

/** A store whose ping the test controls. */
function pingable(store: Store, ping: () => Promise<void>): Store {
  return Object.assign(Object.create(store) as Store, { ping, close: () => store.close() });
}

describe('health and readiness', () => {
  it('answers /health and /ready with 200 when everything is up', async () => {
    const { http } = await start();
    const live = await fetch(`${http}/health`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${http}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('answers /ready with 503 naming the store while its ping fails, and 200 once it answers again', async () => {
    let down = true;
    const store = pingable(memoryStore(), async () => {
      if (down) throw new Error('connection refused');
    });
    const { http } = await start({ store });
    const notReady = await fetch(`${http}/ready`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ status: 'unavailable', reason: 'store: connection refused' });
    expect((await fetch(`${http}/health`)).status).toBe(200);
    down = false;
    expect((await fetch(`${http}/ready`)).status).toBe(200);
  });

  it('answers 503 "bus: connecting" while the bus has not started, without waiting for it', async () => {
    let release!: () => void;
    const inner = localBus();
    const slowBus: Bus = { ...inner, start: (onEvent) => new Promise<void>((r) => (release = r)).then(() => inner.start(onEvent)) };
    const { http } = await start({ bus: slowBus });
    const response = await fetch(`${http}/ready`);
    expect(response.status).toBe(503);
    expect((await response.json()).reason).toBe('bus: connecting');
    release();
    await running[0]!.chat.ready;
    expect((await fetch(`${http}/ready`)).status).toBe(200);
  });

  it('answers 503 "server: closing" once close() has begun', async () => {
    const chat = await startChat();
    const url = `http://127.0.0.1:${chat.port}/ahchat/ready`;
    const closing = chat.chat.close();
    const response = await fetch(url);
    expect(response.status).toBe(503);
    expect((await response.json()).reason).toBe('server: closing');
    await closing;
    await new Promise<void>((resolve) => chat.server.close(() => resolve()));
  });

  it('pings a real PostgreSQL store and Redis bus', async () => {
    const pool = await connectTestDatabase();
    const schema = freshSchemaName();
    closers.push(async () => {
      await dropSchema(pool, schema);
      await pool.end();
    });
    const store = postgresStore({ connectionString: testDatabaseUrl, schema });
    await store.migrate();
    const bus = redisBus({ url: testRedisUrl, prefix: freshPrefix() });
    const { http, chat } = await start({ store, bus });
    await chat.ready;
    const response = await fetch(`${http}/ready`);
    expect(await response.json()).toEqual({ status: 'ready' });
  });

  it('answers 503 naming the store when PostgreSQL cannot be reached', async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const store = postgresStore({ connectionString: 'postgres://postgres@127.0.0.1:1/test', schema: freshSchemaName() });
    const { http } = await start({ store });
    const response = await fetch(`${http}/ready`);
    expect(response.status).toBe(503);
    expect((await response.json()).reason).toMatch(/^store: .*ECONNREFUSED/);
  });
});

describe('metrics', () => {
  it('is off by default: no /metrics route', async () => {
    const { http, chat } = await start();
    expect(chat.metrics).toBeUndefined();
    expect((await fetch(`${http}/metrics`)).status).toBe(404);
  });

  it('serves sockets by side, messages, errors by code, store and bus latency and bus state', async () => {
    const { http, url } = await start({ metrics: true });
    const buyer = await signUpBuyer(url);
    const seller = await signInSeller(url);
    buyer.client.send('message', { chatId: buyer.chatId, text: 'hello', clientDate: Date.now() });
    await buyer.client.next('message');
    buyer.client.send('history', { chatId: buyer.chatId + 1000 });
    expect((await buyer.client.next('history')).error).toBe('CHAT_NOT_FOUND');

    const response = await fetch(`${http}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toContain('ahchat_sockets_open{side="buyer"} 1');
    expect(text).toContain('ahchat_sockets_open{side="seller"} 1');
    expect(text).toContain('ahchat_messages_total{from="buyer"} 1');
    expect(text).toContain('ahchat_errors_total{code="CHAT_NOT_FOUND"} 1');
    expect(text).toMatch(/ahchat_store_seconds_count\{operation="appendMessage"\} 1/);
    expect(text).toMatch(/ahchat_bus_seconds_count\{operation="publish"\} [1-9]/);
    expect(text).toContain('ahchat_bus_up 1');
    buyer.client.close();
    seller.client.close();
  });

  it('registers into the host registry when given one', async () => {
    const registry = new Registry();
    const { chat } = await start({ metrics: { registry, prefix: 'shop_chat_' } });
    expect(chat.metrics).toBe(registry);
    expect(await registry.metrics()).toContain('shop_chat_messages_total');
  });

  it('refuses a bad metrics option with a message naming it', async () => {
    await expect(startChat({ metrics: 'yes' as never })).rejects.toThrow('option "metrics" must be a boolean or an object');
  });
});

describe('events', () => {
  it('emits typed message, chat and status events', async () => {
    const { chat, url } = await start();
    const seen: { chats: AhChatChatEvent[]; messages: AhChatMessageEvent[]; statuses: AhChatStatusEvent[] } = { chats: [], messages: [], statuses: [] };
    chat.on('chat', (event) => seen.chats.push(event));
    chat.on('status', (event) => seen.statuses.push(event));
    const message = new Promise<AhChatMessageEvent>((resolve) => chat.once('message', resolve));
    const buyer = await signUpBuyer(url, 'Bob');
    buyer.client.send('message', { chatId: buyer.chatId, text: 'hi', clientDate: 1 });
    const event = await message;
    expect(event).toMatchObject({ chatId: buyer.chatId, from: 'buyer', text: 'hi', sellerId: 10 });
    expect(seen.chats).toEqual([{ id: buyer.chatId, chatter: 'Bob', sellerId: 10 }]);
    expect(seen.statuses).toEqual([{ side: 'buyer', sellerId: 10, chatId: buyer.chatId, online: true }]);
    buyer.client.close();
  });
});

describe('logger', () => {
  it("calls the host logger's methods on it, even where a method is passed on alone", () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) }));
    const { warn } = resolveOptions({ authSeller: async () => null, logger }).logger;
    // pino's methods read their logger's state through `this`: unbound, this throws a TypeError.
    warn('widget files not found');
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 40, msg: 'widget files not found' });
  });

  it('works with a real pino logger (methods called on it) and never receives tokens or text', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = pino({ level: 'info' }, sink);
    const secretText = 'my secret message text';
    const store = memoryStore();
    // A store whose failure quotes what it was given: the plugin must redact it before logging.
    const failing = Object.assign(Object.create(store) as Store, {
      appendMessage: async (m: { text: string }) => {
        throw new Error(`disk full while writing "${m.text}"`);
      },
      close: () => store.close(),
    });
    const { url } = await start({ logger, store: failing });
    const buyer = await signUpBuyer(url);
    buyer.client.send('message', { chatId: buyer.chatId, text: secretText, clientDate: Date.now() });
    expect((await buyer.client.next('message')).error).toBe('INTERNAL_ERROR');
    buyer.client.close();
    const logged = lines.map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(logged.some((l) => l.level === 50 && l.msg.startsWith('message failed: disk full'))).toBe(true);
    const all = lines.join('');
    expect(all).not.toContain(secretText);
    expect(all).not.toContain(buyer.token);
  });
});
