/**
 * The widget's state: a plain reducer and a tiny store. No DOM, no sockets, no Preact, so every rule
 * here (merging resent and resumed messages, unread counts, list order) is tested in Node.
 */
import type { ErrorCode } from '../lib/wire/index.js';
import type { AuthLimits, AuthResponse, ChatPush, StatusPush, WireChat, WireMessage, WireSellerId } from '../lib/wire/index.js';
import type { PageContext } from '../lib/wire/index.js';
import { lastIncomingId, mergeMessages, toChatMessage, type ChatMessage } from './messages.js';

export type Role = 'buyer' | 'seller';
/** idle: not needed yet (a buyer without a token); open: the socket is up. */
export type Connection = 'idle' | 'connecting' | 'open' | 'reconnecting';
/** pending: waiting for the server; name: the buyer must introduce themselves; denied: seller auth failed. */
export type AuthPhase = 'pending' | 'name' | 'ready' | 'denied';

export interface ChatState {
  id: number;
  chatter: string;
  sellerId: WireSellerId;
  online: boolean;
  /** Confirmed messages by id, then pending and failed ones in the order they were written. */
  messages: ChatMessage[];
  /** Older messages exist on the server. */
  more: boolean;
  /** Set while a history page is being fetched. */
  loadingOlder?: boolean;
  unread: number;
  /** Highest id of own messages the other side has read. */
  readId: number;
  closed: boolean;
  /** Unix ms until which the other side counts as typing. */
  typingUntil?: number;
  /** Buyer: the closed chat this one follows (still shown above it). */
  previous?: number;
  /** Seller: the page or product the buyer is looking at. */
  context?: PageContext;
}

export interface State {
  role: Role;
  connection: Connection;
  auth: AuthPhase;
  /** Own name (from the auth answer). */
  name: string;
  /** Buyer: writing as "Guest ####" until they give a name. */
  guest?: boolean;
  chats: Record<number, ChatState>;
  /** Chat ids, most recent activity first. */
  order: number[];
  /** The open conversation: the buyer's chat, or the one the seller clicked. */
  current?: number;
  /** Whether the panel is open (always true when embedded in a container). */
  open: boolean;
  /** Whether the page is visible (document.visibilityState). */
  visible: boolean;
  /** The last error to show as a sentence, cleared by the next successful step. */
  error?: ErrorCode;
  /** Whether a message to a hidden page beeps; undefined when the host turned sound off (no toggle then). */
  sound?: boolean;
  /** Desktop notifications: `ask` shows the "Enable notifications" control, `on` after the user allowed them. */
  notify?: 'ask' | 'on';
  /** What the server accepts (its auth answer; absent from an older server). */
  limits?: AuthLimits;
}

/** The fields the widget sets as they are. */
export type Settable = Pick<State, 'connection' | 'open' | 'visible' | 'error' | 'sound' | 'notify' | 'guest'>;

export type Action =
  | { type: 'set'; patch: Partial<Settable> }
  | { type: 'needName'; error?: ErrorCode }
  /** The buyer sent a name: wait for the server. */
  | { type: 'signingIn' }
  | { type: 'denied'; error: ErrorCode }
  | { type: 'auth'; data: AuthResponse; resumed?: boolean }
  | { type: 'pending'; chatId: number; clientId: string; text: string; clientDate: number }
  | { type: 'message'; message: WireMessage }
  | { type: 'failed'; chatId: number; clientId: string; error: ErrorCode }
  | { type: 'status'; push: StatusPush }
  | { type: 'olderLoading'; chatId: number }
  | { type: 'history'; chatId: number; messages: WireMessage[]; more: boolean }
  | { type: 'typing'; chatId: number; until: number }
  | { type: 'read'; chatId: number; id: number }
  | { type: 'seen'; chatId: number }
  /** The server's count for this side (after a read in another tab). */
  | { type: 'unread'; chatId: number; unread: number }
  | { type: 'closed'; chatId: number }
  /** The seller reopened the chat: it takes messages again. */
  | ({ type: 'opened' } & ChatPush)
  /** A refused message taken out of the log (back into the composer, to be edited). */
  | { type: 'drop'; chatId: number; clientId: string }
  /** A change computed elsewhere (the seller's inbox brings its own: addChat, select, mergeChats). */
  | { type: 'apply'; fn: (state: State) => State };

export function initialState(role: Role, options: Partial<Pick<State, 'open' | 'auth' | 'sound' | 'notify'>> = {}): State {
  return { role, connection: 'idle', auth: 'pending', name: '', chats: {}, order: [], open: false, visible: true, ...options };
}

/** Whether the user is looking at this chat right now (so incoming messages are read at once). */
export function isViewing(state: State, chatId: number): boolean {
  return state.open && state.visible && state.auth === 'ready' && state.current === chatId;
}

export function totalUnread(state: State): number {
  let n = 0;
  for (const id of state.order) n += state.chats[id]?.unread ?? 0;
  return n;
}

export function currentChat(state: State): ChatState | undefined {
  return state.current === undefined ? undefined : state.chats[state.current];
}

/**
 * The read marker to send now, if any: the newest message from the other side in the chat on screen
 * (panel open, page visible), when it is newer than what was already sent for that chat.
 */
export function readToSend(state: State, sent: ReadonlyMap<number, number>): { chatId: number; id: number } | undefined {
  const chat = currentChat(state);
  const id = chat && isViewing(state, chat.id) ? lastIncomingId(chat) : 0;
  return chat && id > (sent.get(chat.id) ?? 0) ? { chatId: chat.id, id } : undefined;
}

/** A chat known only by its id (a message for a chat not in the list yet; also for widget/seller-state.ts). */
export function emptyChat(id: number): ChatState {
  return { id, chatter: '', sellerId: '', online: false, messages: [], more: false, unread: 0, readId: 0, closed: false };
}

function toFront(order: readonly number[], id: number): number[] {
  return [id, ...order.filter((x) => x !== id)];
}

export function withChat(state: State, chat: ChatState, front = false): State {
  const known = state.order.includes(chat.id);
  return {
    ...state,
    chats: { ...state.chats, [chat.id]: chat },
    order: front || !known ? toFront(state.order, chat.id) : state.order,
  };
}

/** The state with a chat changed by `change` (false: no change); unknown chats change nothing. */
function update(state: State, id: number, change: (chat: ChatState) => Partial<ChatState> | false, front = false): State {
  const chat = state.chats[id];
  const diff = chat && change(chat);
  return diff ? withChat(state, { ...(chat as ChatState), ...diff }, front) : state;
}

export function fromWire(prev: ChatState | undefined, c: WireChat, resumed: boolean): ChatState {
  const incoming = c.messages.map(toChatMessage);
  let messages = incoming;
  let more = c.more;
  if (prev) {
    // With `since`, `more` means a gap between what we have and what came: drop the old part.
    const gap = resumed && c.more;
    const kept = gap ? prev.messages.filter((m) => m.id === undefined) : prev.messages;
    messages = mergeMessages(kept, incoming);
    more = resumed ? c.more || prev.more : c.more;
  }
  return {
    ...c,
    messages,
    more,
    unread: c.unread ?? 0,
    readId: Math.max(c.readId ?? 0, prev?.readId ?? 0),
    closed: Boolean(c.closed),
  };
}

export function reducer(state: State, action: Action): State {
  switch (action.type) {
    case 'set':
      return { ...state, ...action.patch };
    case 'needName':
      return { ...state, auth: 'name', error: action.error };
    case 'signingIn':
      return { ...state, auth: 'pending', error: undefined };
    case 'denied':
      return { ...state, auth: 'denied', error: action.error };
    case 'auth': {
      const { data } = action;
      const chats: Record<number, ChatState> = { ...state.chats };
      const order: number[] = [];
      for (const c of data.chats) {
        chats[c.id] = fromWire(state.chats[c.id], c, Boolean(action.resumed));
        order.push(c.id);
      }
      // A buyer has one chat per seller (a new one after a close); the seller's rules are in widget/seller-state.ts.
      const current = data.chatId ?? data.chats[0]?.id ?? state.current;
      // (A buyer put in a new chat after a close keeps reading the closed one above it: widget/components/new-chat.ts.)
      return { ...state, auth: 'ready', name: data.name, guest: data.guest, limits: data.limits, chats, order, current, error: undefined };
    }
    case 'pending':
      return update(
        state,
        action.chatId,
        (chat) =>
          !chat.messages.some((m) => m.clientId === action.clientId) && {
            messages: [
              ...chat.messages,
              {
                key: `c${action.clientId}`,
                text: action.text,
                date: Math.floor(action.clientDate / 1000),
                my: true,
                clientId: action.clientId,
                status: 'pending',
              },
            ],
          },
        true,
      );
    case 'message': {
      const m = action.message;
      const chat = state.chats[m.chatId] ?? emptyChat(m.chatId);
      if (chat.messages.some((x) => x.id === m.id)) return state;
      const messages = mergeMessages(chat.messages, [toChatMessage(m)]);
      const counts = !m.my && !isViewing(state, m.chatId);
      return withChat(
        state,
        {
          ...chat,
          messages,
          unread: counts ? chat.unread + 1 : chat.unread,
          typingUntil: m.my ? chat.typingUntil : undefined,
        },
        true,
      );
    }
    case 'failed':
      return update(state, action.chatId, (chat) => ({
        messages: chat.messages.map((m) => (m.clientId === action.clientId && m.id === undefined ? { ...m, status: 'failed' as const, error: action.error } : m)),
      }));
    case 'status':
      return update(state, action.push.chatId, () => ({ online: action.push.status }));
    case 'olderLoading':
      return update(state, action.chatId, () => ({ loadingOlder: true }));
    case 'history':
      return update(state, action.chatId, (chat) => ({
        messages: mergeMessages(chat.messages, action.messages.map(toChatMessage)),
        more: action.more,
        loadingOlder: false,
      }));
    case 'typing':
      return update(state, action.chatId, () => ({ typingUntil: action.until }));
    case 'read':
      return update(state, action.chatId, (chat) => action.id > chat.readId && { readId: action.id });
    case 'seen':
      return update(state, action.chatId, (chat) => chat.unread !== 0 && { unread: 0 });
    case 'unread':
      return update(state, action.chatId, () => ({ unread: action.unread }));
    case 'closed':
      // (A buyer stays in it, to read it; the seller's rules are in widget/seller-state.ts.)
      return update(state, action.chatId, () => ({ closed: true, typingUntil: undefined }));
    case 'opened':
      return update(state, action.id, () => ({ closed: false }));
    case 'drop':
      return update(state, action.chatId, (chat) => ({ messages: chat.messages.filter((m) => m.clientId !== action.clientId || m.status !== 'failed') }));
    case 'apply':
      return action.fn(state);
  }
}

export interface Store {
  getState(): State;
  dispatch(action: Action): void;
  /** Calls fn after every change; returns the unsubscribe function. */
  subscribe(fn: (state: State, previous: State) => void): () => void;
  /** The rules it runs: `reducer`, or on a seller's page the seller's over it (widget/seller-state.ts). */
  reduce: (state: State, action: Action) => State;
}

export function createStore(initial: State): Store {
  let state = initial;
  const listeners = new Set<(state: State, previous: State) => void>();
  const store: Store = {
    reduce: reducer,
    getState: () => state,
    dispatch(action) {
      const previous = state;
      state = store.reduce(state, action);
      if (state !== previous) for (const fn of [...listeners]) fn(state, previous);
    },
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
  return store;
}
