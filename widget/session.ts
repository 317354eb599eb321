/**
 * The chat session, without a page: the store, the socket client, the sign-in request (token, name,
 * identity, page context, and `since` to resume), the server's frames turned into the store's
 * actions, and what each error means (retry, sign up anew, show it). No DOM: tested in Node with a
 * fake socket. The page side (widget/mount.ts) renders the store and hands the user's steps here.
 */
import type { ErrorCode } from '../lib/wire/index.js';
import type { AuthRequest, DataFrame2, ServerMessage2, WireMessage } from '../lib/wire/index.js';
import type { PageContext } from '../lib/wire/index.js';
import { ChatClient, type ClientEvent, type SocketLike } from './client.js';
import type { Actions } from './components/props.js';
import type { Emit } from './events.js';
import type { ResolvedOptions } from './options.js';
import type { Preferences } from './preferences.js';
import { firstId } from './messages.js';
import { createStore, currentChat, initialState, isViewing, readToSend, type Action, type Settable, type State, type Store } from './state.js';
import { Throttle } from './throttle.js';

/** What the page gives the session. */
export interface SessionHost {
  preferences: Preferences;
  emit: Emit;
  /** A confirmed message from the other side (the page beeps or notifies when it is hidden). */
  alert(message: WireMessage): void;
  /** A step of the user's that ends in a conversation (a sign-up, a new chat): the page focuses the message box once it is there. */
  stepped(): void;
  /** The state at the start: panel open, sound and notifications as the page and the user chose. */
  initial: Partial<Pick<State, 'open' | 'sound' | 'notify'>>;
  /** Default: `new WebSocket(url)`. */
  connect?: (url: string) => SocketLike;
}

const HISTORY_PAGE = 30;
const TYPING_SEND_EVERY = 2_000;
const TYPING_SHOWN_FOR = 5_000;

export class Session {
  readonly store: Store;
  readonly client: ChatClient;
  /** Set by ahchat-inbox.js (widget/seller.ts): hears every frame, before the session reads it. */
  seller: ((frame: ServerMessage2) => void) | undefined;
  readonly #options: ResolvedOptions;
  readonly #host: SessionHost;
  #token: string | undefined;
  /** The name form's name and e-mail address, until the sign-up is answered. */
  #pending: { name: string; email?: string } | undefined;
  /** The shop says who this is (option identified or identity): no name form, no token. */
  readonly #vouched: boolean;
  /** The signed identity to send (option identity, or what its function gave last). */
  #identity: string | undefined;
  /** The page context to send with every sign-in (option context, then setContext()). */
  #context: PageContext | undefined;
  #resumed = false;
  #historyChat: number | undefined;
  readonly #readSent = new Map<number, number>();
  readonly #typing = new Throttle(TYPING_SEND_EVERY);
  readonly #typingTimers = new Map<number, ReturnType<typeof setTimeout>>();
  /** Optional commands the server answered UNKNOWN_COMMAND to: not sent again. */
  readonly #unsupported = new Set<string>();

  constructor(options: ResolvedOptions, host: SessionHost) {
    this.#options = options;
    this.#host = host;
    this.#vouched = Boolean(options.identified || options.identity);
    this.#context = options.context;
    const { preferences } = host;
    // (Only a buyer's sign-up is given a token to keep: a seller has none stored.)
    this.#token = options.token ?? preferences.read('token') ?? undefined;
    this.store = createStore(initialState(options.role, { ...host.initial, auth: this.waits() && options.nameRequired !== false ? 'name' : 'pending' }));
    this.client = new ChatClient({
      url: options.socketUrl,
      auth: () => this.#authRequest(),
      onEvent: (event) => this.#onClientEvent(event),
      outbox: preferences.outbox(),
      onOutbox: (items) => preferences.write('outbox', items.length ? JSON.stringify(items) : null),
      connect: host.connect,
    });
  }

  /** A buyer the widget cannot sign in yet: no token, and the shop does not say who they are (a seller always has one or the other). */
  waits(): boolean {
    return !this.#token && !this.#vouched;
  }

  /** Connects, unless this is a buyer to sign in later (a guest's socket waits for the panel to open). */
  start(): void {
    if (!this.waits() || (this.#options.nameRequired === false && this.store.getState().open)) this.client.start();
  }

  /** The panel opened: a guest who may write without a name connects now. */
  opened(): void {
    if (this.#options.nameRequired === false) this.client.start();
  }

  /**
   * The option identity, called again when it is a function (a fresh one after IDENTITY_INVALID).
   * A function that fails leaves none: the server then answers as for a visitor it does not know.
   */
  async identify(): Promise<void> {
    const { identity } = this.#options;
    this.#identity = typeof identity === 'function' ? await Promise.resolve().then(identity).catch(() => undefined) : identity;
  }

  setContext(context: PageContext): void {
    this.#context = context;
    const chat = currentChat(this.store.getState());
    if (chat) this.client.send('context', { chatId: chat.id, context });
  }

  /**
   * A step of the user's that signs in: the name form's (`pending`: the name and e-mail address,
   * widget/sign-up.ts), or a new chat after a close. The page focuses the message box once it is there.
   */
  signIn(pending?: { name: string; email?: string }): void {
    if (pending) this.#pending = pending;
    this.#host.stepped();
    this.dispatch({ type: 'signingIn' });
    this.client.signIn();
  }

  /** The user's steps that become requests or changes (the page adds its own: sign-up, sound, notify). */
  readonly actions: Pick<Actions, 'send' | 'drop' | 'loadOlder' | 'typing' | 'restart'> = {
    send: (text) => {
      const state = this.store.getState();
      const chat = currentChat(state);
      if (!chat || !text.trim()) return false;
      const item = this.client.sendMessage(chat.id, text.trim());
      // The message ends "typing…" on the other side: the next keystroke may say so again at once.
      this.#typing.reset(chat.id);
      this.dispatch({ type: 'pending', ...item });
      if (state.error) this.set({ error: undefined });
      return true;
    },
    drop: (chatId, clientId) => this.dispatch({ type: 'drop', chatId, clientId }),
    loadOlder: (chatId) => {
      const chat = this.store.getState().chats[chatId];
      if (!chat || this.#unsupported.has('history')) return;
      if (this.client.send('history', { chatId, before: firstId(chat), limit: HISTORY_PAGE })) {
        this.#historyChat = chatId;
        this.dispatch({ type: 'olderLoading', chatId });
      }
    },
    typing: (chatId) => {
      if (!this.#unsupported.has('typing') && this.#typing.due(chatId)) this.client.send('typing', { chatId });
    },
    restart: () => {
      // The socket is signed in to the closed chat (a second auth is refused): sign in on a new one.
      this.client.stop();
      this.signIn();
    },
  };

  /** After every change of the state: the read marker for what is on screen, and its unread count gone. */
  changed(state: State): void {
    const read = readToSend(state, this.#readSent);
    if (read && !this.#unsupported.has('read') && this.client.send('read', read)) this.#readSent.set(read.chatId, read.id);
    const chat = currentChat(state);
    if (chat?.unread && isViewing(state, chat.id)) this.dispatch({ type: 'seen', chatId: chat.id });
  }

  dispatch(action: Action): void {
    this.store.dispatch(action);
  }

  set(patch: Partial<Settable>): void {
    this.dispatch({ type: 'set', patch });
  }

  /** Closes the socket and clears every timer. */
  stop(): void {
    this.client.stop();
    for (const timer of this.#typingTimers.values()) clearTimeout(timer);
  }

  #authRequest(): AuthRequest | null {
    const state = this.store.getState();
    let since: Record<string, number> | undefined;
    if (state.auth === 'ready') {
      for (const id of state.order) {
        const last = state.chats[id]?.messages.reduce((max, m) => Math.max(max, m.id ?? 0), 0) ?? 0;
        if (last > 0) (since ??= {})[id] = last;
      }
    }
    this.#resumed = since !== undefined;
    const options = this.#options;
    // Fields left undefined are not sent: without the new options the requests are what they were.
    const extra = { since, identity: this.#identity, context: this.#context };
    if (options.role === 'seller') return this.#vouched ? extra : { id: options.id, token: options.token, ...extra };
    const buyer = { sellerId: options.sellerId, ...extra };
    if (this.#token) return { token: this.#token, ...buyer };
    // (A visitor the shop's session turned out not to know gets the name form, then signs up.)
    if (this.#pending || options.nameRequired === false) return { ...this.#pending, ...buyer };
    return this.#vouched ? buyer : null;
  }

  #onClientEvent(event: ClientEvent): void {
    if (event.type === 'connection') this.set({ connection: event.connection });
    else if (event.type === 'sendFailed') {
      this.dispatch({ type: 'failed', ...event.item, error: event.error });
      this.#host.emit('error', { code: event.error, command: 'message' });
    } else {
      this.seller?.(event.frame);
      if (event.frame.error) this.#onError(event.frame.command, event.frame.error);
      else this.#onFrame(event.frame);
    }
  }

  /** A data frame (typed by its command, lib/wire's ServerFrame2); the commands only the inbox reads are left to it. */
  #onFrame(f: DataFrame2): void {
    const { emit } = this.#host;
    switch (f.command) {
      case 'auth':
        if (f.data.token) {
          this.#pending = undefined;
          this.#host.preferences.write('token', (this.#token = f.data.token));
        }
        this.dispatch({ type: 'auth', data: f.data, resumed: this.#resumed });
        // Messages restored from an earlier page show as pending until confirmed.
        for (const item of this.client.outbox.list()) this.dispatch({ type: 'pending', ...item });
        return;
      case 'message':
        this.dispatch({ type: 'message', message: f.data });
        if (!f.data.my) this.#host.alert(f.data);
        return emit('message', f.data);
      case 'status':
        this.dispatch({ type: 'status', push: f.data });
        return emit('status', f.data);
      case 'chat':
        // (A buyer hears it when the seller reopened this chat; the seller's inbox adds a new one.)
        this.dispatch({ type: 'opened', ...f.data });
        return emit('chat', f.data);
      case 'history':
        return this.dispatch({ type: 'history', chatId: f.data.chatId, messages: f.data.messages ?? [], more: Boolean(f.data.more) });
      case 'typing':
        return this.#peerTyping(f.data.chatId);
      case 'read':
        return this.dispatch({ type: 'read', ...f.data });
      case 'unread':
        return this.dispatch({ type: 'unread', ...f.data });
      case 'close':
        this.dispatch({ type: 'closed', ...f.data });
        return emit('close', f.data);
    }
  }

  #onError(command: string, error: ErrorCode): void {
    this.#host.emit('error', { code: error, command });
    const client = this.client;
    if (command === 'auth') {
      if (error === 'RATE_LIMITED' || error === 'INTERNAL_ERROR') return client.reconnect();
      // An expired identity: a function gives a fresh one for the next attempt.
      if (error === 'IDENTITY_INVALID' && typeof this.#options.identity === 'function') return void this.identify().then(() => client.reconnect());
      client.stop();
      if (error === 'USER_NOT_FOUND' || error === 'NAME_IS_REQUIRED') {
        // (Answers to a buyer only.) The token is unknown here (e.g. the server's data was reset): start over with a name.
        this.#token = undefined;
        this.#host.preferences.write('token', null);
        client.clearOutbox();
        return this.dispatch({ type: 'needName', error });
      }
      return this.dispatch({ type: 'denied', error });
    }
    // (A refused page context is the shop's business, the error event's, not the buyer's.)
    if (command === 'history' || command === 'typing' || command === 'read' || command === 'context') {
      if (error === 'UNKNOWN_COMMAND') this.#unsupported.add(command);
      // A failed page ends paging back in that chat until the next sign-in: no retry loop at the top.
      const chatId = this.#historyChat;
      if (command === 'history' && chatId !== undefined) this.dispatch({ type: 'history', chatId, messages: [], more: false });
      return;
    }
    this.set({ error });
  }

  #peerTyping(chatId: number): void {
    this.dispatch({ type: 'typing', chatId, until: Date.now() + TYPING_SHOWN_FOR });
    clearTimeout(this.#typingTimers.get(chatId));
    this.#typingTimers.set(
      chatId,
      setTimeout(() => this.dispatch({ type: 'typing', chatId, until: 0 }), TYPING_SHOWN_FOR),
    );
  }
}
