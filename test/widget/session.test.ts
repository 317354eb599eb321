/** The session without a page: sign-in requests, frames into the state, the error policy (fake socket, Node). */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WireChat, WireMessage } from '../../lib/wire/index.js';
import type { AHChatEvents } from '../../widget/events.js';
import { resolveOptions, type AHChatOptions } from '../../widget/options.js';
import { Preferences } from '../../widget/preferences.js';
import type { Actions } from '../../widget/components/props.js';
import { seller } from '../../widget/seller.js';
import { Session } from '../../widget/session.js';
import { signUp } from '../../widget/sign-up.js';
import { socketFactory } from './fake-socket.js';

const msg = (id: number, my = false): WireMessage => ({ id, chatId: 7, text: `m${id}`, date: 1_700_000_000 + id, my });
const chat = (messages: WireMessage[] = []): WireChat => ({ id: 7, chatter: 'Green Leaf Tea', sellerId: 10, online: true, messages, more: false, unread: 0, readId: 0 });

/** localStorage for Node, kept in a Map. */
function stubStorage(): Map<string, string> {
  const items = new Map<string, string>();
  vi.stubGlobal('localStorage', {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
  });
  return items;
}

function setup(options: Partial<AHChatOptions> = {}, initial = { open: true }) {
  const factory = socketFactory();
  const resolved = resolveOptions({ url: 'ws://chat.test', sellerId: 10, ...options } as AHChatOptions);
  const preferences = new Preferences(resolved.socketUrl, resolved.who);
  const events: Array<[keyof AHChatEvents, unknown]> = [];
  const alerted: WireMessage[] = [];
  let steps = 0;
  const session = new Session(resolved, {
    preferences,
    emit: (event, payload) => void events.push([event, payload]),
    alert: (m) => void alerted.push(m),
    stepped: () => void steps++,
    initial,
    connect: factory.connect,
  });
  /** Starts, opens the socket and answers its auth. */
  const signIn = (data: object = { name: 'Ann', chatId: 7, chats: [chat()] }) => {
    session.start();
    factory.last.open();
    factory.last.receive({ command: 'auth', data });
  };
  return { session, factory, events, alerted, preferences, signIn, state: () => session.store.getState(), steps: () => steps };
}

let storage: Map<string, string>;
beforeEach(() => {
  vi.useFakeTimers();
  storage = stubStorage();
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('Session: signing in', () => {
  it('a buyer with a stored token connects at once and signs in with it; the answer makes the state ready', () => {
    storage.set('ahchat:ws://chat.test/ahchat:buyer:10:token', 'tok');
    const { session, factory, signIn, state } = setup();
    expect(session.waits()).toBe(false);
    signIn();
    expect(factory.sockets).toHaveLength(1);
    expect(factory.last.sentCommands('auth')).toEqual([{ token: 'tok', sellerId: 10, protocol: 2 }]);
    expect(state()).toMatchObject({ auth: 'ready', name: 'Ann', current: 7, connection: 'open' });
  });

  it('a buyer without a token waits for the name form; the sign-up sends the name, keeps the token, and asks for focus', () => {
    const { session, factory, steps, state } = setup();
    expect(session.waits()).toBe(true);
    expect(state().auth).toBe('name');
    session.start();
    expect(factory.sockets).toHaveLength(0);
    signUp(session, 'Ann', 'ann@example.com');
    expect(steps()).toBe(1);
    expect(state().auth).toBe('pending');
    factory.last.open();
    expect(factory.last.sentCommands('auth')).toEqual([{ name: 'Ann', email: 'ann@example.com', sellerId: 10, protocol: 2 }]);
    factory.last.receive({ command: 'auth', data: { name: 'Ann', token: 'new-token', chatId: 7, chats: [chat()] } });
    expect(storage.get('ahchat:ws://chat.test/ahchat:buyer:10:token')).toBe('new-token');
    expect(state().auth).toBe('ready');
  });

  it('a seller signs in with id and token; one the shop vouches for sends its identity (and page context) instead', async () => {
    const plain = setup({ sellerId: undefined, id: 10, token: 'seller-token' });
    plain.signIn({ name: 'Green Leaf Tea', chats: [] });
    expect(plain.factory.last.sentCommands('auth')).toEqual([{ id: 10, token: 'seller-token', protocol: 2 }]);
    const vouched = setup({ sellerId: undefined, id: 10, identity: () => 'signed', context: { title: 'Kettle', url: 'https://shop.example/k' } });
    await vouched.session.identify();
    vouched.signIn({ name: 'Green Leaf Tea', chats: [] });
    expect(vouched.factory.last.sentCommands('auth')).toEqual([{ identity: 'signed', context: { title: 'Kettle', url: 'https://shop.example/k' }, protocol: 2 }]);
  });

  it('after a lost socket it resumes with since: the newest message id of each chat', () => {
    storage.set('ahchat:ws://chat.test/ahchat:buyer:10:token', 'tok');
    const { factory, signIn, state } = setup();
    signIn({ name: 'Ann', chatId: 7, chats: [chat([msg(3), msg(5, true)])] });
    factory.last.drop();
    vi.runOnlyPendingTimers();
    factory.last.open();
    expect(factory.last.sentCommands('auth')).toEqual([{ token: 'tok', sellerId: 10, since: { 7: 5 }, protocol: 2 }]);
    // The answer with `since` carries only what is new: the rest stays.
    factory.last.receive({ command: 'auth', data: { name: 'Ann', chatId: 7, chats: [chat([msg(6)])] } });
    expect(state().chats[7]?.messages.map((m) => m.id)).toEqual([3, 5, 6]);
  });
});

describe('Session: frames into the state', () => {
  it('a message goes into the state, to the alert (not own ones) and to the message event', () => {
    storage.set('ahchat:ws://chat.test/ahchat:buyer:10:token', 'tok');
    const { factory, signIn, state, events, alerted } = setup();
    signIn();
    factory.last.receive({ command: 'message', data: msg(1) });
    factory.last.receive({ command: 'message', data: msg(2, true) });
    expect(state().chats[7]?.messages.map((m) => m.id)).toEqual([1, 2]);
    expect(alerted.map((m) => m.id)).toEqual([1]);
    expect(events.filter(([e]) => e === 'message').map(([, m]) => (m as WireMessage).id)).toEqual([1, 2]);
  });

  it('status, read, unread, typing (shown for 5 s) and close change the chat; close raises the close event', () => {
    storage.set('ahchat:ws://chat.test/ahchat:buyer:10:token', 'tok');
    const { factory, signIn, state, events } = setup({}, { open: false });
    signIn({ name: 'Ann', chatId: 7, chats: [chat([msg(1, true)])] });
    const receive = (command: string, data: object) => factory.last.receive({ command, data });
    receive('status', { chatId: 7, status: false });
    receive('read', { chatId: 7, id: 1 });
    receive('unread', { chatId: 7, unread: 3 });
    receive('typing', { chatId: 7 });
    expect(state().chats[7]).toMatchObject({ online: false, readId: 1, unread: 3 });
    expect(state().chats[7]?.typingUntil).toBeGreaterThan(Date.now());
    vi.advanceTimersByTime(5_000);
    expect(state().chats[7]?.typingUntil).toBe(0);
    receive('close', { chatId: 7 });
    expect(state().chats[7]?.closed).toBe(true);
    expect(events).toContainEqual(['status', { chatId: 7, status: false }]);
    expect(events).toContainEqual(['close', { chatId: 7 }]);
  });

  it('a buyer whose chat the seller reopens (the chat push) may write in it again, the conversation kept; the limits are kept', () => {
    storage.set('ahchat:ws://chat.test/ahchat:buyer:10:token', 'tok');
    const { session, factory, signIn, state } = setup();
    signIn({ name: 'Ann', chatId: 7, chats: [chat([msg(1, true), msg(2)])], limits: { textLength: 50 } });
    expect(state().limits).toEqual({ textLength: 50 });
    factory.last.receive({ command: 'close', data: { chatId: 7 } });
    expect(state().chats[7]?.closed).toBe(true);
    factory.last.receive({ command: 'chat', data: { id: 7, chatter: 'Green Leaf Tea', sellerId: 10 } });
    expect(state().chats[7]).toMatchObject({ closed: false, chatter: 'Green Leaf Tea' });
    expect(state().chats[7]?.messages.map((m) => m.text)).toEqual(['m1', 'm2']);
    expect(session.actions.send('back again')).toBe(true);
    expect(factory.last.sentCommands('message')).toMatchObject([{ chatId: 7, text: 'back again' }]);
    // Another chat's push changes nothing here.
    const before = state();
    factory.last.receive({ command: 'chat', data: { id: 8, chatter: 'x', sellerId: 10 } });
    expect(state()).toBe(before);
  });

  it('a history page is merged in; the seller\'s inbox hears every frame, and a new chat joins its list', () => {
    const { session, factory, signIn, state, events } = setup({ sellerId: undefined, id: 10, token: 't' });
    const heard: unknown[] = [];
    const actions: Partial<Actions> = {};
    seller(session, actions, () => {});
    actions.listen!((f) => void heard.push(f.command));
    signIn({ name: 'Seller', chats: [{ ...chat([msg(5)]), more: true }] });
    session.store.dispatch({ type: 'apply', fn: (s) => ({ ...s, current: 7 }) });
    session.actions.loadOlder(7);
    expect(factory.last.sentCommands('history')).toEqual([{ chatId: 7, before: 5, limit: 30 }]);
    expect(state().chats[7]?.loadingOlder).toBe(true);
    factory.last.receive({ command: 'history', data: { chatId: 7, messages: [msg(2), msg(3)], more: false } });
    expect(state().chats[7]).toMatchObject({ more: false, loadingOlder: false });
    expect(state().chats[7]?.messages.map((m) => m.id)).toEqual([2, 3, 5]);
    factory.last.receive({ command: 'chats', data: { chats: [] } });
    factory.last.receive({ command: 'chat', data: { id: 8, chatter: 'Bob', sellerId: 10 } });
    expect(heard).toEqual(['auth', 'history', 'chats', 'chat']);
    expect(state().order[0]).toBe(8);
    expect(state().chats[8]).toMatchObject({ chatter: 'Bob', online: true });
    expect(events).toContainEqual(['chat', { id: 8, chatter: 'Bob', sellerId: 10 }]);
  });

  it('sends the read marker once for what is on screen, and clears its unread count', () => {
    storage.set('ahchat:ws://chat.test/ahchat:buyer:10:token', 'tok');
    const { session, factory, signIn, state } = setup();
    signIn({ name: 'Ann', chatId: 7, chats: [{ ...chat([msg(4)]), unread: 1 }] });
    session.changed(state());
    session.changed(state());
    expect(factory.last.sentCommands('read')).toEqual([{ chatId: 7, id: 4 }]);
    expect(state().chats[7]?.unread).toBe(0);
  });
});

describe('Session: what errors mean', () => {
  it('auth RATE_LIMITED: reconnects after the backoff; the error event names the command', () => {
    storage.set('ahchat:ws://chat.test/ahchat:buyer:10:token', 'tok');
    const { session, factory, events } = setup();
    session.start();
    factory.last.open();
    factory.last.receive({ command: 'auth', error: 'RATE_LIMITED' });
    expect(events).toContainEqual(['error', { code: 'RATE_LIMITED', command: 'auth' }]);
    vi.runOnlyPendingTimers();
    expect(factory.sockets).toHaveLength(2);
  });

  it('auth USER_NOT_FOUND: a buyer forgets the token and the unsent messages, and gets the name form', () => {
    storage.set('ahchat:ws://chat.test/ahchat:buyer:10:token', 'stale');
    storage.set('ahchat:ws://chat.test/ahchat:buyer:10:outbox', JSON.stringify([{ clientId: 'c1', chatId: 7, text: 'hi', clientDate: 1 }]));
    const { session, factory, state } = setup();
    expect(session.client.outbox.size).toBe(1);
    session.start();
    factory.last.open();
    factory.last.receive({ command: 'auth', error: 'USER_NOT_FOUND' });
    expect(state()).toMatchObject({ auth: 'name', error: 'USER_NOT_FOUND', connection: 'idle' });
    expect(storage.has('ahchat:ws://chat.test/ahchat:buyer:10:token')).toBe(false);
    expect(session.client.outbox.size).toBe(0);
    expect(session.waits()).toBe(true);
  });

  it('a seller refused is denied (no reconnect); an identity function gives a fresh identity after IDENTITY_INVALID', async () => {
    const denied = setup({ sellerId: undefined, id: 10, token: 'bad' });
    denied.session.start();
    denied.factory.last.open();
    denied.factory.last.receive({ command: 'auth', error: 'USER_IS_NOT_SELLER' });
    expect(denied.state()).toMatchObject({ auth: 'denied', error: 'USER_IS_NOT_SELLER' });
    vi.runOnlyPendingTimers();
    expect(denied.factory.sockets).toHaveLength(1);

    let n = 0;
    const renewed = setup({ identity: () => `id-${++n}` });
    await renewed.session.identify();
    renewed.session.start();
    renewed.factory.last.open();
    renewed.factory.last.receive({ command: 'auth', error: 'IDENTITY_INVALID' });
    // The fresh identity first, then the reconnect after the backoff.
    await vi.runAllTimersAsync();
    expect(renewed.factory.sockets).toHaveLength(2);
    renewed.factory.last.open();
    expect(renewed.factory.last.sentCommands('auth')).toEqual([{ sellerId: 10, identity: 'id-2', protocol: 2 }]);
  });

  it('an optional command answered UNKNOWN_COMMAND is not sent again; a failed history page ends paging; other errors show', () => {
    storage.set('ahchat:ws://chat.test/ahchat:buyer:10:token', 'tok');
    const { session, factory, signIn, state } = setup();
    signIn({ name: 'Ann', chatId: 7, chats: [{ ...chat([msg(5)]), more: true }] });
    session.actions.typing(7);
    factory.last.receive({ command: 'typing', error: 'UNKNOWN_COMMAND' });
    vi.advanceTimersByTime(3_000);
    session.actions.typing(7);
    expect(factory.last.sentCommands('typing')).toHaveLength(1);
    session.actions.loadOlder(7);
    factory.last.receive({ command: 'history', error: 'INTERNAL_ERROR' });
    expect(state().chats[7]).toMatchObject({ more: false, loadingOlder: false });
    expect(state().error).toBeUndefined();
    factory.last.receive({ command: 'profile', error: 'NAME_TOO_LONG' });
    expect(state().error).toBe('NAME_TOO_LONG');
  });
});
