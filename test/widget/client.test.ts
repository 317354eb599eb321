import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChatClient, type ClientEvent, type ClientOptions } from '../../widget/client.js';
import type { OutboxItem } from '../../widget/outbox.js';
import { socketFactory } from './fake-socket.js';

const AUTH_OK = { command: 'auth', data: { name: 'Ann', chatId: 7, chats: [] } };

function setup(overrides: Partial<ClientOptions> = {}) {
  const factory = socketFactory();
  const events: ClientEvent[] = [];
  const saved: Array<readonly OutboxItem[]> = [];
  const client = new ChatClient({
    url: 'ws://chat.test/ahchat',
    auth: () => ({ token: 'tok', sellerId: 10 }),
    onEvent: (e) => events.push(e),
    connect: factory.connect,
    random: () => 0,
    onOutbox: (items) => saved.push(items.map((i) => ({ ...i }))),
    ...overrides,
  });
  const connections = () => events.flatMap((e) => (e.type === 'connection' ? [e.connection] : []));
  /** Opens the newest socket and answers its auth. */
  const signIn = () => {
    factory.last.open();
    factory.last.receive(AUTH_OK);
  };
  return { client, factory, events, saved, connections, signIn };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('ChatClient: connection and auth', () => {
  it('dials the URL, sends auth (asking for protocol 2) on open, and reports connecting → open', () => {
    const { client, factory, connections } = setup();
    client.start();
    expect(factory.sockets).toHaveLength(1);
    expect(factory.last.url).toBe('ws://chat.test/ahchat');
    factory.last.open();
    expect(factory.last.sent).toEqual([{ command: 'auth', data: { token: 'tok', sellerId: 10, protocol: 2 } }]);
    expect(connections()).toEqual(['connecting', 'open']);
  });

  it('waits when auth() has nothing to send yet, and sends it on signIn()', () => {
    let name: string | undefined;
    const { client, factory } = setup({ auth: () => (name ? { name, sellerId: 10 } : null) });
    client.start();
    factory.last.open();
    expect(factory.last.sent).toEqual([]);
    name = 'Ann';
    client.signIn();
    expect(factory.last.sentCommands('auth')).toEqual([{ name: 'Ann', sellerId: 10, protocol: 2 }]);
  });

  it('passes every server frame on', () => {
    const { client, factory, events, signIn } = setup();
    client.start();
    signIn();
    factory.last.receive({ command: 'status', data: { chatId: 7, status: true } });
    factory.last.receive('not json at all');
    const frames = events.flatMap((e) => (e.type === 'frame' ? [e.frame.command] : []));
    expect(frames).toEqual(['auth', 'status']);
  });
});

describe('ChatClient: reconnect policy', () => {
  it('reconnects with growing, jittered delays and reports reconnecting', () => {
    const { client, factory, connections, signIn } = setup();
    client.start();
    signIn();
    factory.last.drop();
    expect(connections().at(-1)).toBe('reconnecting');
    // random() = 0: delays are half the ceilings 500, 1000, 2000 ms.
    for (const delay of [250, 500, 1000]) {
      const before = factory.sockets.length;
      vi.advanceTimersByTime(delay - 1);
      expect(factory.sockets.length).toBe(before);
      vi.advanceTimersByTime(1);
      expect(factory.sockets.length).toBe(before + 1);
      factory.last.drop(); // the server is still down
    }
  });

  it('starts over from the shortest delay after a successful auth', () => {
    const { client, factory, signIn } = setup();
    client.start();
    factory.last.drop();
    vi.advanceTimersByTime(250);
    factory.last.drop();
    vi.advanceTimersByTime(500);
    signIn();
    factory.last.drop();
    const before = factory.sockets.length;
    vi.advanceTimersByTime(250);
    expect(factory.sockets.length).toBe(before + 1);
  });

  it('a socket that opened but never signed in does not reset the backoff', () => {
    const { client, factory } = setup();
    client.start();
    factory.last.open();
    factory.last.drop();
    vi.advanceTimersByTime(250);
    factory.last.open();
    factory.last.drop();
    const before = factory.sockets.length;
    vi.advanceTimersByTime(499);
    expect(factory.sockets.length).toBe(before);
    vi.advanceTimersByTime(1);
    expect(factory.sockets.length).toBe(before + 1);
  });

  it('reconnectNow() skips the wait; stop() ends everything', () => {
    const { client, factory, connections } = setup();
    client.start();
    factory.last.drop();
    client.reconnectNow();
    expect(factory.sockets).toHaveLength(2);
    client.stop();
    factory.last.drop();
    vi.advanceTimersByTime(60_000);
    expect(factory.sockets).toHaveLength(2);
    expect(connections().at(-1)).toBe('idle');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stop() then start() signs in again on a new socket, as a fresh start (a new chat after a close)', () => {
    const { client, factory, connections, signIn } = setup();
    client.start();
    signIn();
    client.stop();
    expect(factory.sockets[0]?.closedWith).toBe(1000);
    client.start();
    expect(factory.sockets).toHaveLength(2);
    expect(connections()).toEqual(['connecting', 'open', 'idle', 'connecting']);
    factory.last.open();
    expect(factory.last.sentCommands('auth')).toEqual([{ token: 'tok', sellerId: 10, protocol: 2 }]);
  });

  it('ignores late events of a socket it already gave up on', () => {
    const { client, factory, events, signIn } = setup();
    client.start();
    signIn();
    const old = factory.last;
    const onmessage = old.onmessage;
    client.reconnect();
    expect(old.closedWith).toBe(4000);
    expect(old.onmessage).toBeNull();
    onmessage?.({ data: JSON.stringify({ command: 'status', data: { chatId: 7, status: false } }) });
    expect(events.filter((e) => e.type === 'frame' && e.frame.command === 'status')).toHaveLength(1);
  });
});

describe('ChatClient: outbox', () => {
  it('holds messages until auth, then sends them with clientId and clientDate', () => {
    const { client, factory } = setup();
    client.start();
    const item = client.sendMessage(7, 'hello', 1234);
    factory.last.open();
    expect(factory.last.sentCommands('message')).toEqual([]);
    factory.last.receive(AUTH_OK);
    expect(factory.last.sentCommands('message')).toEqual([{ chatId: 7, text: 'hello', clientDate: 1234, clientId: item.clientId }]);
  });

  it('resends an unconfirmed message after a reconnect with the same clientId, and only once', () => {
    const { client, factory, signIn } = setup();
    client.start();
    signIn();
    const item = client.sendMessage(7, 'hello');
    const first = factory.last;
    first.drop();
    vi.advanceTimersByTime(250);
    signIn();
    const second = factory.last;
    expect(second.sentCommands('message').map((m) => m.clientId)).toEqual([item.clientId]);
    // The server dedupes and confirms with the original id; the outbox is then empty.
    second.receive({ command: 'message', data: { id: 1, chatId: 7, text: 'hello', date: 1, my: true, clientId: item.clientId } });
    expect(client.outbox.size).toBe(0);
    second.drop();
    vi.advanceTimersByTime(250);
    signIn();
    expect(factory.last.sentCommands('message')).toEqual([]);
  });

  it('counts a message found in the auth answer as confirmed (its confirmation was lost)', () => {
    const { client, factory } = setup();
    client.start();
    factory.last.open();
    factory.last.receive(AUTH_OK);
    const item = client.sendMessage(7, 'hello');
    factory.last.drop();
    vi.advanceTimersByTime(250);
    factory.last.open();
    factory.last.receive({
      command: 'auth',
      data: {
        name: 'Ann',
        chats: [{ id: 7, messages: [{ id: 1, chatId: 7, text: 'hello', date: 1, my: true, clientId: item.clientId }] }],
      },
    });
    expect(client.outbox.size).toBe(0);
    expect(factory.last.sentCommands('message')).toEqual([]);
  });

  it('messages typed while offline are sent in order after reconnect', () => {
    const { client, factory, signIn } = setup();
    client.start();
    signIn();
    factory.last.drop();
    const a = client.sendMessage(7, 'one');
    const b = client.sendMessage(7, 'two');
    vi.advanceTimersByTime(250);
    signIn();
    expect(factory.last.sentCommands('message').map((m) => m.clientId)).toEqual([a.clientId, b.clientId]);
  });

  it('a final error fails the oldest message in flight and reports it', () => {
    const { client, factory, events, signIn } = setup();
    client.start();
    signIn();
    const a = client.sendMessage(7, 'x'.repeat(5000));
    const b = client.sendMessage(7, 'fine');
    factory.last.receive({ command: 'message', error: 'TEXT_TOO_LONG' });
    const failed = events.filter((e) => e.type === 'sendFailed');
    expect(failed).toEqual([{ type: 'sendFailed', item: expect.objectContaining({ clientId: a.clientId }), error: 'TEXT_TOO_LONG' }]);
    expect(client.outbox.list().map((i) => i.clientId)).toEqual([b.clientId]);
  });

  it('a retryable error sends the same message again after a backoff, then gives up', () => {
    const { client, factory, events, signIn } = setup({ maxRetries: 2 });
    client.start();
    signIn();
    const a = client.sendMessage(7, 'hi');
    const socket = factory.last;
    socket.receive({ command: 'message', error: 'RATE_LIMITED' });
    expect(socket.sentCommands('message')).toHaveLength(1);
    vi.advanceTimersByTime(500);
    expect(socket.sentCommands('message').map((m) => m.clientId)).toEqual([a.clientId, a.clientId]);
    socket.receive({ command: 'message', error: 'RATE_LIMITED' });
    vi.advanceTimersByTime(1000);
    socket.receive({ command: 'message', error: 'RATE_LIMITED' });
    expect(events.filter((e) => e.type === 'sendFailed')).toHaveLength(1);
    expect(client.outbox.size).toBe(0);
  });

  it('treats a socket that swallows messages without answering as dead', () => {
    const { client, factory, signIn } = setup({ confirmTimeout: 5000 });
    client.start();
    signIn();
    const item = client.sendMessage(7, 'hello');
    const silent = factory.last;
    vi.advanceTimersByTime(5000);
    expect(silent.closedWith).toBe(4000);
    vi.advanceTimersByTime(250);
    signIn();
    expect(factory.last).not.toBe(silent);
    expect(factory.last.sentCommands('message').map((m) => m.clientId)).toEqual([item.clientId]);
  });

  it('restores items from an earlier page and reports every change for persistence', () => {
    const restored = [{ clientId: 'old', chatId: 7, text: 'from before', clientDate: 1, retries: 0 }];
    const { client, factory, saved, signIn } = setup({ outbox: restored });
    client.start();
    signIn();
    expect(factory.last.sentCommands('message').map((m) => m.clientId)).toEqual(['old']);
    factory.last.receive({ command: 'message', data: { id: 3, chatId: 7, text: 'from before', date: 1, my: true, clientId: 'old' } });
    expect(saved.at(-1)).toEqual([]);
  });

  it('send() of optional frames works only while signed in', () => {
    const { client, factory, signIn } = setup();
    client.start();
    expect(client.send('typing', { chatId: 7 })).toBe(false);
    signIn();
    expect(client.send('typing', { chatId: 7 })).toBe(true);
    expect(factory.last.sentCommands('typing')).toEqual([{ chatId: 7 }]);
  });
});
