import { describe, expect, it } from 'vitest';
import type { AuthResponse, WireChat, WireMessage } from '../../lib/wire/index.js';
import { lastIncomingId, mergeMessages, toChatMessage } from '../../widget/messages.js';
import { keepEarlier } from '../../widget/components/new-chat.js';
import { addChat, select, sellerReducer } from '../../widget/seller-state.js';
import {
  createStore,
  currentChat,
  initialState,
  readToSend,
  reducer,
  totalUnread,
  type Action,
  type State,
} from '../../widget/state.js';

const msg = (id: number, my = false, extra: Partial<WireMessage> = {}): WireMessage => ({
  id,
  chatId: 7,
  text: `m${id}`,
  date: 1_700_000_000 + id,
  my,
  ...extra,
});

const chat = (id: number, extra: Partial<WireChat> = {}): WireChat => ({
  id,
  chatter: `chatter ${id}`,
  sellerId: 10,
  online: true,
  messages: [],
  more: false,
  unread: 0,
  readId: 0,
  ...extra,
});

/** The rules a page runs: a seller's page the seller's over the reducer (as the inbox sets them up). */
const rules = (state: State) => (state.role === 'seller' ? sellerReducer(reducer) : reducer);
const run = (state: State, ...actions: Action[]) => actions.reduce(rules(state), state);
const auth = (data: Partial<AuthResponse>, resumed = false): Action => ({
  type: 'auth',
  data: { name: 'Ann', chats: [], ...data },
  resumed,
});
const buyer = () => run(initialState('buyer', { open: true }), auth({ chatId: 7, chats: [chat(7, { messages: [msg(1), msg(2, true)] })] }));
const ids = (state: State, chatId = 7) => state.chats[chatId]?.messages.map((m) => m.id ?? m.clientId);

describe('state: auth', () => {
  it('a buyer lands in their chat; a seller in the list, in the server order', () => {
    const b = buyer();
    expect(b.auth).toBe('ready');
    expect(b.current).toBe(7);
    expect(currentChat(b)?.chatter).toBe('chatter 7');
    const s = run(initialState('seller'), auth({ chats: [chat(3), chat(1), chat(2)] }));
    expect(s.current).toBeUndefined();
    expect(s.order).toEqual([3, 1, 2]);
  });

  it('a seller signing in again keeps the chats the answer left out (after its own) and the open chat, closed or not', () => {
    let s = run(initialState('seller'), auth({ chats: [chat(3), chat(1), chat(2)] }), { type: 'apply', fn: (x) => select(x, 1) }, { type: 'closed', chatId: 2 });
    s = run(s, { type: 'apply', fn: (x) => select(x, 2) }, auth({ chats: [chat(4), chat(1)] }, true));
    expect(s.order).toEqual([4, 1, 3, 2]);
    expect(s.current).toBe(2);
    expect(Object.values(s.chats).some((c) => c.previous !== undefined)).toBe(false);
  });

  it('a resume (since) adds the new messages to what is there, keeping pending ones', () => {
    let s = run(buyer(), { type: 'pending', chatId: 7, clientId: 'p1', text: 'still going', clientDate: 5_000 });
    s = run(s, auth({ chatId: 7, chats: [chat(7, { messages: [msg(3)] })] }, true));
    expect(ids(s)).toEqual([1, 2, 3, 'p1']);
    expect(s.chats[7]?.messages.at(-1)?.status).toBe('pending');
  });

  it('a resume whose pending message turns out stored replaces it (no double)', () => {
    let s = run(buyer(), { type: 'pending', chatId: 7, clientId: 'p1', text: 'hi', clientDate: 5_000 });
    s = run(s, auth({ chatId: 7, chats: [chat(7, { messages: [msg(3, true, { clientId: 'p1', text: 'hi' })] })] }, true));
    expect(ids(s)).toEqual([1, 2, 3]);
    expect(s.chats[7]?.messages.at(-1)).toMatchObject({ status: 'sent', key: 'cp1' });
  });

  it('a resume with a gap (more: true) drops the old part and offers history', () => {
    const s = run(buyer(), auth({ chatId: 7, chats: [chat(7, { messages: [msg(60), msg(61)], more: true })] }, true));
    expect(ids(s)).toEqual([60, 61]);
    expect(s.chats[7]?.more).toBe(true);
  });

  it('a fresh auth (no since) answer is merged by id, never doubled', () => {
    const s = run(buyer(), auth({ chatId: 7, chats: [chat(7, { messages: [msg(1), msg(2, true), msg(3)] })] }));
    expect(ids(s)).toEqual([1, 2, 3]);
  });

  it('keeps the read marker from moving back', () => {
    let s = run(buyer(), { type: 'read', chatId: 7, id: 2 });
    s = run(s, auth({ chatId: 7, chats: [chat(7, { readId: 1 })] }, true));
    expect(s.chats[7]?.readId).toBe(2);
  });
});

describe('state: messages', () => {
  it('pending → confirmed keeps the render key and position', () => {
    let s = run(buyer(), { type: 'pending', chatId: 7, clientId: 'abc', text: 'hello', clientDate: 1_700_000_100_000 });
    expect(s.chats[7]?.messages.at(-1)).toMatchObject({ key: 'cabc', status: 'pending', my: true, date: 1_700_000_100 });
    s = run(s, { type: 'message', message: msg(3, true, { clientId: 'abc', text: 'hello' }) });
    expect(ids(s)).toEqual([1, 2, 3]);
    expect(s.chats[7]?.messages.at(-1)).toMatchObject({ key: 'cabc', status: 'sent', id: 3 });
  });

  it('a message seen twice (auth answer, then push) is kept once', () => {
    const once = run(buyer(), { type: 'message', message: msg(3) });
    const twice = run(once, { type: 'message', message: msg(3) });
    expect(twice).toBe(once);
    expect(ids(twice)).toEqual([1, 2, 3]);
  });

  it('sorts by id even when messages come out of order, pending ones last', () => {
    let s = run(buyer(), { type: 'pending', chatId: 7, clientId: 'p', text: 'x', clientDate: 0 });
    s = run(s, { type: 'message', message: msg(5) }, { type: 'message', message: msg(4) });
    expect(ids(s)).toEqual([1, 2, 4, 5, 'p']);
  });

  it('a refused message is marked failed with its code', () => {
    let s = run(buyer(), { type: 'pending', chatId: 7, clientId: 'p', text: 'x', clientDate: 0 });
    s = run(s, { type: 'failed', chatId: 7, clientId: 'p', error: 'TEXT_TOO_LONG' });
    expect(s.chats[7]?.messages.at(-1)).toMatchObject({ status: 'failed', error: 'TEXT_TOO_LONG' });
  });

  it('history pages are prepended and more is updated', () => {
    let s = run(initialState('buyer', { open: true }), auth({ chatId: 7, chats: [chat(7, { messages: [msg(5), msg(6)], more: true })] }));
    s = run(s, { type: 'olderLoading', chatId: 7 });
    expect(s.chats[7]?.loadingOlder).toBe(true);
    s = run(s, { type: 'history', chatId: 7, messages: [msg(3), msg(4)], more: true });
    expect(ids(s)).toEqual([3, 4, 5, 6]);
    s = run(s, { type: 'history', chatId: 7, messages: [msg(1), msg(2)], more: false });
    expect(ids(s)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(s.chats[7]).toMatchObject({ more: false, loadingOlder: false });
  });

  it('mergeMessages keeps confirmed ones by id and drops pending ones that were confirmed', () => {
    const pending = { key: 'cq', text: 'q', date: 0, my: true, clientId: 'q', status: 'pending' as const };
    const merged = mergeMessages([toChatMessage(msg(2)), pending], [toChatMessage(msg(1)), toChatMessage(msg(3, true, { clientId: 'q' }))]);
    expect(merged.map((m) => m.id)).toEqual([1, 2, 3]);
  });

  it('lastIncomingId is the newest confirmed message from the other side', () => {
    const s = run(buyer(), { type: 'message', message: msg(3, true) });
    expect(lastIncomingId(s.chats[7]!)).toBe(1);
  });
});

describe('state: unread counts and the seller list', () => {
  const seller = () =>
    run(initialState('seller', { open: true }), auth({ chats: [chat(1, { unread: 2 }), chat(2), chat(3)] }));

  it('counts incoming messages of chats not being looked at', () => {
    let s = seller();
    expect(totalUnread(s)).toBe(2);
    s = run(s, { type: 'message', message: { ...msg(9), chatId: 3 } });
    expect(s.chats[3]?.unread).toBe(1);
    expect(totalUnread(s)).toBe(3);
  });

  it('does not count messages in the open chat while the page is visible, but does when it is hidden', () => {
    let s = run(seller(), { type: 'apply', fn: (x) => select(x, 2) }, { type: 'message', message: { ...msg(9), chatId: 2 } });
    expect(s.chats[2]?.unread).toBe(0);
    s = run(s, { type: 'set', patch: { visible: false } }, { type: 'message', message: { ...msg(10), chatId: 2 } });
    expect(s.chats[2]?.unread).toBe(1);
  });

  it('own messages never count, and seen / unread set the count', () => {
    let s = run(seller(), { type: 'message', message: { ...msg(9, true), chatId: 3 } });
    expect(s.chats[3]?.unread).toBe(0);
    s = run(s, { type: 'seen', chatId: 1 });
    expect(s.chats[1]?.unread).toBe(0);
    s = run(s, { type: 'unread', chatId: 2, unread: 4 });
    expect(totalUnread(s)).toBe(4);
  });

  it('a closed panel counts messages of the buyer chat as unread', () => {
    let s = run(buyer(), { type: 'set', patch: { open: false } }, { type: 'message', message: msg(3) });
    expect(totalUnread(s)).toBe(1);
    s = run(s, { type: 'set', patch: { open: true } }, { type: 'seen', chatId: 7 });
    expect(totalUnread(s)).toBe(0);
  });

  it('the chat with the latest activity moves to the top; a new chat appears on top, online', () => {
    let s = run(seller(), { type: 'message', message: { ...msg(9), chatId: 3 } });
    expect(s.order).toEqual([3, 1, 2]);
    s = addChat(s, { id: 4, chatter: 'Newbie', sellerId: 10 });
    expect(s.order).toEqual([4, 3, 1, 2]);
    expect(s.chats[4]).toMatchObject({ chatter: 'Newbie', online: true, unread: 0, messages: [] });
  });

  it('a message for a chat the list does not know yet creates it', () => {
    const s = run(seller(), { type: 'message', message: { ...msg(1), chatId: 99 } });
    expect(s.order[0]).toBe(99);
    expect(s.chats[99]?.unread).toBe(1);
  });

  it('status, typing and close update the chat', () => {
    const s = run(
      seller(),
      { type: 'status', push: { chatId: 1, status: false } },
      { type: 'typing', chatId: 2, until: 123 },
      { type: 'closed', chatId: 3 },
    );
    expect(s.chats[1]?.online).toBe(false);
    expect(s.chats[2]?.typingUntil).toBe(123);
    expect(s.chats[3]?.closed).toBe(true);
    // A message from the other side ends "typing".
    expect(run(s, { type: 'message', message: { ...msg(5), chatId: 2 } }).chats[2]?.typingUntil).toBeUndefined();
  });

  it('pushes about unknown chats change nothing', () => {
    const s = seller();
    for (const action of [
      { type: 'status', push: { chatId: 42, status: true } },
      { type: 'read', chatId: 42, id: 1 },
      { type: 'seen', chatId: 42 },
      { type: 'closed', chatId: 42 },
      { type: 'history', chatId: 42, messages: [], more: false },
      { type: 'pending', chatId: 42, clientId: 'x', text: 'x', clientDate: 0 },
    ] as Action[]) {
      expect(rules(s)(s, action)).toBe(s);
      expect(reducer(s, action)).toBe(s);
    }
  });
});

describe('state: read policy', () => {
  const none = new Map<number, number>();

  it('reads the newest incoming message of the chat on screen, once', () => {
    const s = buyer();
    expect(readToSend(s, none)).toEqual({ chatId: 7, id: 1 });
    expect(readToSend(s, new Map([[7, 1]]))).toBeUndefined();
    // A newer message from the other side is read again; own messages never need a read.
    expect(readToSend(run(s, { type: 'message', message: msg(3) }), new Map([[7, 1]]))).toEqual({ chatId: 7, id: 3 });
    expect(readToSend(run(s, { type: 'message', message: msg(3, true) }), new Map([[7, 1]]))).toBeUndefined();
  });

  it('reads nothing while the panel is closed, the page hidden, or no chat is open', () => {
    expect(readToSend(run(buyer(), { type: 'set', patch: { open: false } }), none)).toBeUndefined();
    expect(readToSend(run(buyer(), { type: 'set', patch: { visible: false } }), none)).toBeUndefined();
    const seller = run(initialState('seller', { open: true }), auth({ chats: [chat(1, { messages: [msg(4)] })] }));
    expect(readToSend(seller, none)).toBeUndefined();
    expect(readToSend(run(seller, { type: 'apply', fn: (x) => select(x, 1) }), none)).toEqual({ chatId: 1, id: 4 });
  });

  it('a chat with only own messages (or none) has nothing to read', () => {
    const s = run(initialState('buyer', { open: true }), auth({ chatId: 8, chats: [chat(8, { messages: [msg(1, true)] })] }));
    expect(readToSend(s, none)).toBeUndefined();
  });
});

describe('state: closing a chat', () => {
  it('a seller looking at a closed chat goes back to the list, and its count leaves the total', () => {
    let s = run(initialState('seller', { open: true }), auth({ chats: [chat(1, { unread: 2 }), chat(2, { unread: 1 })] }));
    s = run(s, { type: 'apply', fn: (x) => select(x, 2) }, { type: 'closed', chatId: 2 });
    expect(s.current).toBeUndefined();
    expect(s.chats[2]).toMatchObject({ closed: true, unread: 0 });
    expect(totalUnread(s)).toBe(2);
    // Closing another chat than the one open leaves the open one alone.
    s = run(s, { type: 'apply', fn: (x) => select(x, 1) }, { type: 'closed', chatId: 2 });
    expect(s.current).toBe(1);
  });

  it('a buyer stays in the closed chat (to read it) and keeps its count; the next sign-in lands in the new chat only', () => {
    let s = run(buyer(), { type: 'set', patch: { open: false } }, { type: 'message', message: msg(3) }, { type: 'typing', chatId: 7, until: 9e12 });
    s = run(s, { type: 'closed', chatId: 7 });
    expect(s.current).toBe(7);
    expect(s.chats[7]).toMatchObject({ closed: true, unread: 1, typingUntil: undefined });
    s = run(s, { type: 'signingIn' }, auth({ chatId: 9, chats: [chat(9)] }));
    expect(s).toMatchObject({ auth: 'ready', current: 9, order: [9] });
    expect(totalUnread(s)).toBe(0);
  });
});

describe('state: a new chat after a close (ahchat-signup.js)', () => {
  it('a sign-in that puts the buyer in a new chat keeps the closed one as its previous; nothing else is marked', () => {
    const reduce = keepEarlier(reducer);
    let s = run(buyer(), { type: 'closed', chatId: 7 });
    expect(reduce(s, auth({ chatId: 7, chats: [chat(7, { closed: true })] })).chats[7]?.previous).toBeUndefined();
    s = [{ type: 'signingIn' } as Action, auth({ chatId: 9, chats: [chat(9)] })].reduce(reduce, s);
    expect(s).toMatchObject({ current: 9, order: [9] });
    expect(s.chats[9]?.previous).toBe(7);
    expect(s.chats[7]?.messages.map((m) => m.id)).toEqual([1, 2]);
    // The plain reducer alone (the file not loaded) lands in the new chat without it.
    expect(run(run(buyer(), { type: 'closed', chatId: 7 }), auth({ chatId: 9, chats: [chat(9)] })).chats[9]?.previous).toBeUndefined();
  });
});

describe('state: settings', () => {
  it('set patches plain fields; sound and notify start as given', () => {
    const s = initialState('seller', { sound: true, notify: 'ask' });
    expect(s).toMatchObject({ sound: true, notify: 'ask', open: false, auth: 'pending' });
    expect(run(s, { type: 'set', patch: { sound: false, notify: 'on' } })).toMatchObject({ sound: false, notify: 'on' });
    expect(initialState('buyer').sound).toBeUndefined();
  });
});

describe('state: phases and the store', () => {
  it('needName, signingIn, denied and errors', () => {
    let s = initialState('buyer', { auth: 'name' });
    s = run(s, { type: 'signingIn' });
    expect(s.auth).toBe('pending');
    s = run(s, { type: 'needName', error: 'USER_NOT_FOUND' });
    expect(s).toMatchObject({ auth: 'name', error: 'USER_NOT_FOUND' });
    expect(run(initialState('seller'), { type: 'denied', error: 'USER_IS_NOT_SELLER' }).auth).toBe('denied');
  });

  it('the store notifies subscribers on change only, with the previous state', () => {
    const store = createStore(initialState('buyer'));
    const calls: Array<[State, State]> = [];
    const off = store.subscribe((state, previous) => calls.push([state, previous]));
    store.dispatch({ type: 'set', patch: { connection: 'connecting' } });
    store.dispatch({ type: 'seen', chatId: 1 });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.[1].connection).toBe('idle');
    off();
    store.dispatch({ type: 'set', patch: { connection: 'open' } });
    expect(calls).toHaveLength(1);
    expect(store.getState().connection).toBe('open');
  });
});
