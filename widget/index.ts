/**
 * AHChat: the public API of the original AH Chat README (`new AHChat({...}).initialize()`), plus
 * `container`, `lang`, `destroy()` and `on(event, fn)`. It wires the three layers together:
 * client (socket) → state (store) → components (Preact views rendered into the template's slots).
 */
import { h, render, type VNode } from 'preact';
import type { ErrorCode } from '../lib/wire/index.js';
import type { AuthRequest, AuthResponse, ChatPush, Frame, StatusPush, WireMessage } from '../lib/wire/index.js';
import type { PageContext } from '../lib/wire/index.js';
import { Alerts } from './alerts.js';
import { fetchAsset } from './assets.js';
import { ChatClient, type ClientEvent } from './client.js';
import { Body } from './components/body.js';
import { Status, Title, Tools, Unread } from './components/header.js';
import type { Actions, ViewProps } from './components/props.js';
import { loadStrings, pickLanguage, translator, type Translate } from './i18n/index.js';
import { loadForms, loadInbox, type FormsModule, type InboxModule } from './inbox-loader.js';
import { resolveOptions, type AHChatOptions, type ResolvedOptions } from './options.js';
import type { OutboxItem } from './outbox.js';
import type { Seller, SellerActions } from './seller.js';
import {
  createStore,
  currentChat,
  firstId,
  initialState,
  isViewing,
  readToSend,
  totalUnread,
  type Action,
  type Settable,
  type State,
  type Store,
} from './state.js';
import { readItem, writeItem } from './storage.js';
import { FALLBACK_TEMPLATE, SLOTS, missingSlot, parseTemplate, stringsFor, type ParsedTemplate, type SlotName } from './template.js';
import { Throttle } from './throttle.js';

export type { AHChatOptions } from './options.js';

/** Payloads of the events `on()` accepts. */
export interface AHChatEvents {
  /** Every confirmed message: incoming ones (`my: false`) and own ones once the server stored them. */
  message: WireMessage;
  /** The other side of a chat went online or offline. */
  status: StatusPush;
  /** Seller: a new chat started. */
  chat: ChatPush;
  /** An error code from the server (`command` says which request), or `TEMPLATE` when the template failed to load. */
  error: { code: ErrorCode | 'TEMPLATE'; command?: string };
  /** The total of unread messages changed. */
  unread: number;
  /** The seller closed a chat (from this page or another). */
  close: { chatId: number };
}

const VIEWS: Record<SlotName, (props: ViewProps) => VNode | null> = {
  title: Title,
  status: Status,
  back: (props) => props.inbox?.Back(props) ?? null,
  unread: Unread,
  tools: Tools,
  body: Body,
};

const HISTORY_PAGE = 30;
const TYPING_SEND_EVERY = 2_000;
const TYPING_SHOWN_FOR = 5_000;

function view(state: State): string {
  if (state.auth === 'ready') return state.current !== undefined ? 'chat' : state.role === 'seller' ? 'list' : 'wait';
  return state.auth === 'pending' ? 'wait' : state.auth;
}

function isOutboxItem(v: unknown): v is OutboxItem {
  const i = v as OutboxItem;
  return typeof i?.clientId === 'string' && typeof i.chatId === 'number' && typeof i.text === 'string' && typeof i.clientDate === 'number';
}

export class AHChat {
  readonly #options: ResolvedOptions;
  #store: Store | undefined;
  #client: ChatClient | undefined;
  #host: HTMLElement | undefined;
  #shadow: ShadowRoot | undefined;
  #root: Element | undefined;
  #slots: Array<[SlotName, Element]> = [];
  #t: Translate = translator();
  #lang = 'en';
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
  #mounting: Promise<this> | undefined;
  #destroyed = false;
  readonly #listeners = new Map<keyof AHChatEvents, Set<(payload: never) => void>>();
  readonly #cleanups: Array<() => void> = [];
  readonly #readSent = new Map<number, number>();
  readonly #typing = new Throttle(TYPING_SEND_EVERY);
  #alerts: Alerts | undefined;
  readonly #typingTimers = new Map<number, ReturnType<typeof setTimeout>>();
  /** Optional commands the server answered UNKNOWN_COMMAND to: not sent again. */
  readonly #unsupported = new Set<string>();
  #inbox: InboxModule | undefined;
  #forms: FormsModule | undefined;
  /** The seller's actions from ahchat-inbox.js, hearing the answers to the inbox's own commands. */
  #seller: Seller | undefined;
  /** Set by a step of the user's (sign-up, opening, a new chat): the composer gets the focus once it is there. */
  #wantFocus = false;

  /** The seller's select, close, request, listen and apply come with ahchat-inbox.js (#mount). */
  readonly #actions: Omit<Actions, keyof SellerActions> & Partial<SellerActions> = {
    signUp: (name, email) => {
      // A guest signed in already: the name (and address) go with profile.
      if (this.#store?.getState().auth === 'ready') return void (this.#client?.send('profile', { name, email }) && this.#set({ guest: false }));
      this.#pending = { name, email };
      this.#wantFocus = true;
      this.#dispatch({ type: 'signingIn' });
      this.#client?.signIn();
    },
    send: (text) => {
      const state = this.#store?.getState();
      const chat = state && currentChat(state);
      if (!chat || !this.#client || !text.trim()) return false;
      const item = this.#client.sendMessage(chat.id, text.trim());
      // The message ends "typing…" on the other side: the next keystroke may say so again at once.
      this.#typing.reset(chat.id);
      this.#dispatch({ type: 'pending', ...item });
      if (state.error) this.#set({ error: undefined });
      return true;
    },
    retry: (chatId, clientId) => {
      const text = this.#store?.getState().chats[chatId]?.messages.find((m) => m.clientId === clientId && m.status === 'failed')?.text;
      const area = this.#shadow?.querySelector<HTMLTextAreaElement>('#ah-text');
      if (text === undefined || !area) return;
      this.#dispatch({ type: 'drop', chatId, clientId });
      area.value = text;
      area.dispatchEvent(new Event('input'));
      area.focus();
    },
    loadOlder: (chatId) => {
      const chat = this.#store?.getState().chats[chatId];
      if (!chat || this.#unsupported.has('history')) return;
      if (this.#client?.send('history', { chatId, before: firstId(chat), limit: HISTORY_PAGE })) {
        this.#historyChat = chatId;
        this.#dispatch({ type: 'olderLoading', chatId });
      }
    },
    typing: (chatId) => {
      if (!this.#unsupported.has('typing') && this.#typing.due(chatId)) this.#client?.send('typing', { chatId });
    },
    restart: () => {
      // The socket is signed in to the closed chat (a second auth is refused): sign in on a new one.
      const client = this.#client;
      client?.stop();
      this.#wantFocus = true;
      this.#dispatch({ type: 'signingIn' });
      client?.start();
    },
    sound: (on) => {
      writeItem(this.#key('sound'), on ? null : '0');
      this.#set({ sound: on });
    },
    notify: async (on) => {
      // Asked only from this click: the browser shows its prompt for the widget's own control.
      if (on) on = (await Notification.requestPermission().catch(() => 'denied')) === 'granted';
      writeItem(this.#key('notify'), on ? '1' : '0');
      this.#set({ notify: on ? 'on' : undefined });
    },
  };

  /** Validates the options at once; throws a TypeError naming the bad option. */
  constructor(options: AHChatOptions) {
    this.#options = resolveOptions(options, typeof location === 'undefined' ? undefined : location.href);
    this.#vouched = Boolean(options.identified || options.identity);
    this.#context = options.context;
  }

  /** Buyer: the page or product in question changed (a single-page shop); the seller sees it at once. */
  setContext(context: PageContext): void {
    this.#context = context;
    const chat = this.#store && currentChat(this.#store.getState());
    if (chat) this.#client?.send('context', { chatId: chat.id, context });
  }

  /** Renders the widget and connects. Safe to call twice; resolves when the widget is on the page. */
  initialize(): Promise<this> {
    this.#mounting ??= this.#mount();
    return this.#mounting;
  }

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<E extends keyof AHChatEvents>(event: E, fn: (payload: AHChatEvents[E]) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(fn as (payload: never) => void);
    return () => set.delete(fn as (payload: never) => void);
  }

  /** Opens or closes the panel (toggles without an argument). No effect when embedded in a container. */
  toggle(open?: boolean): void {
    const state = this.#store?.getState();
    if (!state || this.#root?.getAttribute('data-mode') === 'inline') return;
    this.#setOpen(open ?? !state.open);
  }

  /** Disconnects and removes everything the widget added to the page. */
  destroy(): void {
    this.#destroyed = true;
    this.#client?.stop();
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
    for (const timer of this.#typingTimers.values()) clearTimeout(timer);
    this.#alerts?.close();
    for (const [, el] of this.#slots) render(null, el);
    this.#host?.remove();
    this.#listeners.clear();
    this.#store = this.#client = this.#host = this.#shadow = this.#root = undefined;
  }

  async #mount(): Promise<this> {
    const options = this.#options;
    let container: Element | null = null;
    if (options.container !== undefined) {
      container = typeof options.container === 'string' ? document.querySelector(options.container) : options.container;
      if (!container) throw new TypeError(`AHChat: options.container ${JSON.stringify(options.container)} matches no element`);
    }
    this.#lang = pickLanguage(options.lang, document.documentElement.lang, navigator.language);
    const [template, strings, inbox, forms] = await Promise.all([
      this.#loadTemplate(),
      loadStrings(this.#lang, options.assets),
      options.role === 'seller' ? loadInbox(options.assets).catch(() => undefined) : undefined,
      loadForms(options.assets).catch(() => undefined),
      this.#newIdentity(),
    ]);
    this.#forms = forms;
    if (this.#destroyed) return this;
    this.#inbox = inbox;
    if (inbox) {
      this.#seller = inbox.seller({ send: (command, data) => Boolean(this.#client?.send(command, data)), dispatch: (action) => this.#dispatch(action), focus: (selector) => this.#focusSoon(selector) });
      Object.assign(this.#actions, this.#seller.actions);
    }
    this.#t = translator(...strings, stringsFor(template, this.#lang));

    const host = (this.#host = document.createElement('div'));
    host.setAttribute('data-ahchat', options.role);
    const shadow = (this.#shadow = host.attachShadow({ mode: 'open' }));
    shadow.append(template.fragment);
    this.#root = shadow.querySelector('[data-ah-root]') ?? shadow.firstElementChild ?? shadow.appendChild(document.createElement('div'));
    this.#root.setAttribute('data-mode', container ? 'inline' : 'floating');
    this.#root.setAttribute('data-role', options.role);
    // Right-to-left languages mirror the whole widget; user text still picks its own direction (dir="auto").
    if (this.#lang === 'ar') this.#root.setAttribute('dir', 'rtl');
    for (const el of shadow.querySelectorAll('[data-ah-text]')) el.textContent = this.#roleText(el.getAttribute('data-ah-text'));
    for (const el of shadow.querySelectorAll('[data-ah-label]')) {
      const label = this.#roleText(el.getAttribute('data-ah-label'));
      el.setAttribute('aria-label', label);
      el.setAttribute('title', label);
    }
    this.#slots = SLOTS.flatMap((name) => [...shadow.querySelectorAll(`[data-ah-slot="${name}"]`)].map((el) => [name, el] as [SlotName, Element]));
    (container ?? document.body).append(host);

    this.#token = options.role === 'seller' ? options.token : (options.token ?? readItem(this.#key('token')) ?? undefined);
    this.#alerts = new Alerts(document);
    const permission = window.Notification?.permission;
    const notify = readItem(this.#key('notify'));
    this.#store = createStore(
      initialState(options.role, {
        open: Boolean(container) || Boolean(options.open),
        auth: this.#waits() && options.nameRequired !== false ? 'name' : 'pending',
        sound: options.sound === false ? undefined : readItem(this.#key('sound')) !== '0',
        notify:
          options.notifications === false || !permission || permission === 'denied' || notify === '0'
            ? undefined
            : notify && permission === 'granted'
              ? 'on'
              : 'ask',
      }),
    );
    this.#client = new ChatClient({
      url: options.socketUrl,
      auth: () => this.#authRequest(),
      onEvent: (event) => this.#onClientEvent(event),
      outbox: this.#restoreOutbox(),
      onOutbox: (items) => writeItem(this.#key('outbox'), items.length ? JSON.stringify(items) : null),
    });
    this.#store.subscribe((state, previous) => this.#changed(state, previous));
    this.#listen();
    this.#paint(this.#store.getState());
    // A guest's socket waits for the panel to open: a product page costs the server nothing.
    if (!this.#waits() || (options.nameRequired === false && this.#store.getState().open)) this.#client.start();
    return this;
  }

  /** A buyer the widget cannot sign in yet: no token, and the shop does not say who they are. */
  #waits(): boolean {
    return this.#options.role === 'buyer' && !this.#token && !this.#vouched;
  }

  /**
   * The option identity, called again when it is a function (a fresh one after IDENTITY_INVALID).
   * A function that fails leaves none: the server then answers as for a visitor it does not know.
   */
  async #newIdentity(): Promise<void> {
    const { identity } = this.#options;
    this.#identity = typeof identity === 'function' ? await Promise.resolve().then(identity).catch(() => undefined) : identity;
  }

  /** A template string; on a seller's page the inbox prefers the seller's variant (`launcherSeller`). */
  #roleText(key: string | null): string {
    return this.#inbox ? this.#inbox.text(this.#t, key) : this.#t((key ?? '') as never);
  }

  /**
   * The `template` option, else the plugin's default, else the built-in fallback. A template that
   * cannot be loaded, or has none of the slots the widget needs (one made for the original AH Chat
   * widget, say), is reported as `TEMPLATE` and the next one is tried.
   */
  async #loadTemplate(): Promise<ParsedTemplate> {
    const { template, assets } = this.#options;
    for (const url of [template && new URL(template, location.href).href, `${assets}/chat.tpl`]) {
      if (!url) continue;
      try {
        const parsed = parseTemplate(await (await fetchAsset(url)).text());
        const missing = missingSlot(parsed);
        if (!missing) return parsed;
        console.warn(`AHChat: ${url}: no data-ah-slot="${missing}"`);
      } catch {
        // not loaded: reported below like a template without its slots
      }
      this.#emit('error', { code: 'TEMPLATE' });
    }
    return parseTemplate(FALLBACK_TEMPLATE);
  }

  #listen(): void {
    const shadow = this.#shadow as ShadowRoot;
    const onClick = (event: Event) => {
      const action = (event.target as Element).closest?.('[data-ah-action]')?.getAttribute('data-ah-action');
      if (action === 'toggle') this.toggle();
      else if (action === 'open') this.toggle(true);
      else if (action === 'close') this.toggle(false);
    };
    const onKey = (event: Event) => {
      if ((event as KeyboardEvent).key === 'Escape' && this.#store?.getState().open) this.toggle(false);
    };
    const onVisibility = () => this.#set({ visible: document.visibilityState !== 'hidden' });
    const onOnline = () => this.#client?.reconnectNow();
    // Each listener is removed again by destroy().
    const listen = (target: EventTarget, type: string, fn: (event: Event) => void) => {
      target.addEventListener(type, fn);
      this.#cleanups.push(() => target.removeEventListener(type, fn));
    };
    listen(shadow, 'click', onClick);
    listen(shadow, 'keydown', onKey);
    listen(document, 'visibilitychange', onVisibility);
    listen(window, 'online', onOnline);
    onVisibility();
  }

  /** localStorage key, per server and per buyer-of-seller or seller. */
  #key(what: 'token' | 'outbox' | 'sound' | 'notify'): string {
    return `ahchat:${this.#options.socketUrl}:${this.#options.who}:${what}`;
  }

  #restoreOutbox(): OutboxItem[] {
    try {
      const items = JSON.parse(readItem(this.#key('outbox')) ?? '[]') as unknown;
      return Array.isArray(items) ? items.filter(isOutboxItem).map((i) => ({ ...i, retries: 0 })) : [];
    } catch {
      return [];
    }
  }

  #authRequest(): AuthRequest | null {
    const state = this.#store?.getState();
    let since: Record<string, number> | undefined;
    if (state?.auth === 'ready') {
      for (const id of state.order) {
        const chat = state.chats[id];
        const last = chat?.messages.reduce((max, m) => Math.max(max, m.id ?? 0), 0) ?? 0;
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
    if (event.type === 'connection') this.#set({ connection: event.connection });
    else if (event.type === 'sendFailed') {
      this.#dispatch({ type: 'failed', clientId: event.item.clientId, error: event.error });
      this.#emit('error', { code: event.error, command: 'message' });
    } else this.#onFrame(event.frame);
  }

  #onFrame({ command, data, error }: Frame): void {
    if (error) return this.#onError(command, error);
    switch (command) {
      case 'auth': {
        const answer = data as AuthResponse;
        if (this.#options.role === 'buyer' && answer.token) {
          this.#token = answer.token;
          this.#pending = undefined;
          writeItem(this.#key('token'), answer.token);
        }
        this.#dispatch({ type: 'auth', data: answer, resumed: this.#resumed });
        // Messages restored from an earlier page show as pending until confirmed.
        for (const item of this.#client?.outbox.list() ?? []) this.#dispatch({ type: 'pending', ...item });
        return;
      }
      case 'message':
        this.#dispatch({ type: 'message', message: data as WireMessage });
        this.#alert(data as WireMessage);
        return this.#emit('message', data as WireMessage);
      case 'status':
      case 'chat':
        this.#dispatch({ type: command, push: data } as Action);
        return this.#emit(command, data as never);
      case 'history': {
        const page = data as { chatId: number; messages: WireMessage[]; more: boolean };
        return this.#dispatch({ type: 'history', chatId: page.chatId, messages: page.messages ?? [], more: Boolean(page.more) });
      }
      case 'typing':
        return this.#peerTyping((data as { chatId: number }).chatId);
      case 'read':
      case 'unread':
        return this.#dispatch({ type: command, ...(data as { chatId: number; id: number; unread: number }) });
      case 'close':
        this.#dispatch({ type: 'closed', chatId: (data as { chatId: number }).chatId });
        return this.#emit('close', data as { chatId: number });
      default:
        this.#seller?.frame({ command, data });
    }
  }

  #onError(command: string, error: ErrorCode): void {
    this.#emit('error', { code: error, command });
    const client = this.#client as ChatClient;
    if (command === 'auth') {
      if (error === 'RATE_LIMITED' || error === 'INTERNAL_ERROR') return client.reconnect();
      // An expired identity: a function gives a fresh one for the next attempt.
      if (error === 'IDENTITY_INVALID' && typeof this.#options.identity === 'function') return void this.#newIdentity().then(() => client.reconnect());
      client.stop();
      if (this.#options.role === 'buyer' && (error === 'USER_NOT_FOUND' || error === 'NAME_IS_REQUIRED')) {
        // The token is unknown here (e.g. the server's data was reset): start over with a name.
        this.#token = undefined;
        writeItem(this.#key('token'), null);
        client.clearOutbox();
        return this.#dispatch({ type: 'needName', error });
      }
      return this.#dispatch({ type: 'denied', error });
    }
    // The inbox hears the errors to its own commands (the rest show as usual).
    this.#seller?.frame({ command, error });
    // (A refused page context is the shop's business, the error event's, not the buyer's.)
    if (command === 'history' || command === 'typing' || command === 'read' || command === 'context') {
      if (error === 'UNKNOWN_COMMAND') this.#unsupported.add(command);
      // A failed page ends paging back in that chat until the next sign-in: no retry loop at the top.
      const chatId = this.#historyChat;
      if (command === 'history' && chatId !== undefined) this.#dispatch({ type: 'history', chatId, messages: [], more: false });
      return;
    }
    this.#set({ error });
  }

  /** An incoming message while the page is hidden: beep and notify, as the user chose. */
  #alert(m: WireMessage): void {
    const state = this.#store?.getState();
    if (!state || m.my || document.visibilityState !== 'hidden') return;
    if (state.sound) this.#alerts?.beep();
    if (state.notify === 'on' && Notification.permission === 'granted') {
      this.#alerts?.notify(state.chats[m.chatId]?.chatter || this.#t('title'), m.text, `ahchat:${m.chatId}`, () => {
        this.toggle(true);
        // (select comes with the seller's inbox.)
        this.#actions.select?.(m.chatId);
      });
    }
  }

  #peerTyping(chatId: number): void {
    this.#dispatch({ type: 'typing', chatId, until: Date.now() + TYPING_SHOWN_FOR });
    clearTimeout(this.#typingTimers.get(chatId));
    this.#typingTimers.set(
      chatId,
      setTimeout(() => this.#dispatch({ type: 'typing', chatId, until: 0 }), TYPING_SHOWN_FOR),
    );
  }

  #dispatch(action: Action): void {
    this.#store?.dispatch(action);
  }

  #set(patch: Partial<Settable>): void {
    this.#dispatch({ type: 'set', patch });
  }

  #changed(state: State, previous: State): void {
    this.#paint(state);
    const unread = totalUnread(state);
    if (unread !== totalUnread(previous)) this.#emit('unread', unread);
    if (this.#options.titleCount !== false) this.#alerts?.title(state.visible ? 0 : unread);
    const read = readToSend(state, this.#readSent);
    if (read && !this.#unsupported.has('read') && this.#client?.send('read', read)) this.#readSent.set(read.chatId, read.id);
    const chat = currentChat(state);
    if (chat?.unread && isViewing(state, chat.id)) this.#dispatch({ type: 'seen', chatId: chat.id });
  }

  #paint(state: State): void {
    if (this.#wantFocus && state.open && view(state) === 'chat') {
      this.#wantFocus = false;
      this.#focusSoon('[data-ah-autofocus]');
    }
    const root = this.#root;
    if (!root) return;
    root.toggleAttribute('data-open', state.open);
    root.setAttribute('data-connection', state.connection);
    root.setAttribute('data-view', view(state));
    root.setAttribute('data-unread', String(totalUnread(state)));
    for (const el of this.#shadow?.querySelectorAll('[data-ah-action="toggle"]') ?? []) el.setAttribute('aria-expanded', String(state.open));
    const props: ViewProps = {
      state,
      t: this.#t,
      actions: this.#actions as Actions,
      lang: this.#lang,
      inbox: this.#inbox,
      forms: this.#forms,
      replies: this.#options.quickReplies,
      askEmail: this.#options.askEmail,
    };
    for (const [name, el] of this.#slots) render(h(VIEWS[name], props), el);
  }

  #setOpen(open: boolean): void {
    if (open && this.#options.nameRequired === false) this.#client?.start();
    this.#wantFocus = open;
    this.#set({ open });
    if (open) this.#focusSoon('[data-ah-autofocus]');
    else (this.#shadow?.querySelector('[data-ah-action="toggle"]') as HTMLElement | null)?.focus();
  }

  #focusSoon(selector: string): void {
    requestAnimationFrame(() => (this.#shadow?.querySelector(`[data-ah-slot="body"] ${selector}`) as HTMLElement | null)?.focus());
  }

  #emit<E extends keyof AHChatEvents>(event: E, payload: AHChatEvents[E]): void {
    for (const fn of [...(this.#listeners.get(event) ?? [])]) {
      try {
        (fn as (payload: AHChatEvents[E]) => void)(payload);
      } catch (error) {
        // A host's listener must not break the chat.
        setTimeout(() => {
          throw error;
        });
      }
    }
  }
}

export default AHChat;
