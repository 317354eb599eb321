/**
 * AHChat: the public API of the original AH Chat README (`new AHChat({...}).initialize()`), plus
 * `container`, `lang`, `destroy()`, `on(event, fn)` and `setContext()`. A thin facade over the
 * session (widget/session.ts: socket, sign-in, frames → state) and the mount (widget/mount.ts: the
 * shadow root and the views in the template's slots); it adds what belongs to the page: the panel,
 * the focus, the title count, and the files loaded on demand (widget/chunks.ts): the seller's inbox,
 * the first-time buyer's name form, the beep and desktop notifications.
 */
import type { PageContext } from '../lib/wire/index.js';
import type { Alerts } from './alerts.js';
import { loadChunk, type SignupModule } from './chunks.js';
import type { Actions, ViewProps } from './components/props.js';
import { loadStrings, pickLanguage, translator, type Translate } from './i18n/index.js';
import { Mount, loadTemplate, view } from './mount.js';
import { resolveOptions, type AHChatOptions, type ResolvedOptions } from './options.js';
import { Preferences } from './preferences.js';
import type { AHChatEvents } from './events.js';
import { Session } from './session.js';
import { currentChat, totalUnread, type State } from './state.js';
import { TitleCount } from './title-count.js';

export type { AHChatOptions } from './options.js';
export type { AHChatEvents } from './events.js';

export class AHChat {
  readonly #options: ResolvedOptions;
  #session: Session | undefined;
  #mount: Mount | undefined;
  #t: Translate = translator();
  #lang = 'en';
  /** The page context given before the session exists (setContext() during initialize()). */
  #context: PageContext | undefined;
  #mounting: Promise<this> | undefined;
  #destroyed = false;
  readonly #listeners = new Map<keyof AHChatEvents, Set<(payload: never) => void>>();
  #title: TitleCount | undefined;
  #alerts: Alerts | undefined;
  #signup: SignupModule | undefined;
  #signupAsked = false;
  /** Set by a step of the user's (sign-up, opening, a new chat): the composer gets the focus once it is there. */
  #wantFocus = false;
  /** The session's actions, the page's own, and the seller's from ahchat-inbox.js (select, close, request, listen, apply). */
  #actions: Partial<Actions> = {};

  /** Validates the options at once; throws a TypeError naming the bad option. */
  constructor(options: AHChatOptions) {
    this.#options = resolveOptions(options, typeof location === 'undefined' ? undefined : location.href);
    this.#context = options.context;
  }

  /** Buyer: the page or product in question changed (a single-page shop); the seller sees it at once. */
  setContext(context: PageContext): void {
    this.#context = context;
    this.#session?.setContext(context);
  }

  /** Renders the widget and connects. Safe to call twice; resolves when the widget is on the page. */
  initialize(): Promise<this> {
    this.#mounting ??= this.#start();
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
    const session = this.#session;
    if (!session || !this.#mount || this.#mount.root.getAttribute('data-mode') === 'inline') return;
    open ??= !session.store.getState().open;
    if (open) session.opened();
    this.#wantFocus = open;
    session.set({ open });
    if (open) this.#mount.focus('[data-ah-autofocus]');
    else (this.#mount.shadow.querySelector('[data-ah-action="toggle"]') as HTMLElement | null)?.focus();
  }

  /** Disconnects and removes everything the widget added to the page. */
  destroy(): void {
    this.#destroyed = true;
    this.#session?.stop();
    this.#title?.show(0);
    this.#alerts?.close();
    this.#mount?.destroy();
    this.#listeners.clear();
    this.#session = this.#mount = undefined;
  }

  async #start(): Promise<this> {
    const options = this.#options;
    let container: Element | null = null;
    if (options.container !== undefined) {
      container = typeof options.container === 'string' ? document.querySelector(options.container) : options.container;
      if (!container) throw new TypeError(`AHChat: options.container ${JSON.stringify(options.container)} matches no element`);
    }
    const lang = (this.#lang = pickLanguage(options.lang, document.documentElement.lang, navigator.language));
    const preferences = new Preferences(options.socketUrl, options.who);
    const permission = window.Notification?.permission;
    const notify = preferences.read('notify');
    const session = (this.#session = new Session(
      { ...options, context: this.#context },
      {
        preferences,
        emit: (event, payload) => this.#emit(event, payload),
        alert: (m) => this.#alert(m),
        stepped: () => (this.#wantFocus = true),
        initial: {
          open: Boolean(container) || Boolean(options.open),
          sound: options.sound === false ? undefined : preferences.read('sound') !== '0',
          notify: options.notifications === false || !permission || permission === 'denied' || notify === '0' ? undefined : notify && permission === 'granted' ? 'on' : 'ask',
        },
      },
    ));
    const [template, strings, inbox] = await Promise.all([
      loadTemplate(options.template, options.assets, () => this.#emit('error', { code: 'TEMPLATE' })),
      loadStrings(lang, options.assets),
      options.role === 'seller' ? loadChunk('inbox', options.assets).catch(() => undefined) : undefined,
      session.identify(),
      // A buyer without a token gets the name form: fetched beside the template, so it shows at once.
      session.waits() && this.#wantSignup(),
    ]);
    if (this.#destroyed) return this;
    this.#actions = {
      ...session.actions,
      // (Only the name form asks, and it comes with ahchat-signup.js.)
      signUp: (name, email) => this.#signup?.signUp(session, name, email),
      sound: (on) => {
        preferences.write('sound', on ? null : '0');
        session.set({ sound: on });
      },
      notify: async (on) => {
        // Asked only from this click: the browser shows its prompt for the widget's own control.
        if (on) on = (await Notification.requestPermission().catch(() => 'denied')) === 'granted';
        preferences.write('notify', on ? '1' : '0');
        session.set({ notify: on ? 'on' : undefined });
      },
    };
    inbox?.seller(session, this.#actions, (selector) => this.#mount?.focus(selector));
    // English, the language, then the template's own strings (for every language, then for this one).
    const t = (this.#t = translator(...strings, template.strings['*'], template.strings[lang]));
    const mount = (this.#mount = new Mount(template, {
      role: options.role,
      container,
      lang,
      // On a seller's page the template's texts prefer the seller's variants (`launcherSeller`).
      text: inbox ? inbox.text(t) : (t as (key: string) => string),
      views: inbox?.views,
      accent: options.accent,
    }));
    this.#title = new TitleCount(document);
    session.store.subscribe((state, previous) => this.#changed(state, previous));
    const onClick = (event: Event) => {
      const action = (event.target as Element).closest?.('[data-ah-action]')?.getAttribute('data-ah-action');
      if (action === 'toggle') this.toggle();
      else if (action === 'open') this.toggle(true);
      else if (action === 'close') this.toggle(false);
    };
    const onVisibility = () => session.set({ visible: document.visibilityState !== 'hidden' });
    mount.listen(mount.shadow, 'click', onClick);
    mount.listen(mount.shadow, 'keydown', (event) => (event as KeyboardEvent).key === 'Escape' && session.store.getState().open && this.toggle(false));
    mount.listen(document, 'visibilitychange', onVisibility);
    mount.listen(window, 'online', () => session.client.reconnectNow());
    onVisibility();
    this.#paint(session.store.getState());
    session.start();
    return this;
  }

  /** An incoming message while the page is hidden: beep and notify, as the user chose. */
  #alert(m: { chatId: number; text: string }): void {
    const state = this.#session?.store.getState();
    const notify = state?.notify === 'on' && Notification.permission === 'granted';
    if (!state || document.visibilityState !== 'hidden' || !(state.sound || notify)) return;
    loadChunk('alerts', this.#options.assets).then(
      (Alerts) => {
        if (this.#destroyed) return;
        const alerts = (this.#alerts ??= new Alerts());
        if (state.sound) alerts.beep();
        if (notify) {
          alerts.notify(state.chats[m.chatId]?.chatter || this.#t('title'), m.text, `ahchat:${m.chatId}`, () => {
            this.toggle(true);
            // (select comes with the seller's inbox.)
            this.#actions.select?.(m.chatId);
          });
        }
      },
      () => {
        // not loaded: the title and the badge still say it
      },
    );
  }

  /** Loads the buyer's sign-in steps once (a buyer without a token, one whose token is unknown, a guest, a closed chat), then paints them. */
  #wantSignup(): Promise<void> | undefined {
    if (this.#signupAsked) return;
    this.#signupAsked = true;
    return loadChunk('signup', this.#options.assets).then(
      (signup) => {
        this.#signup = signup;
        const session = this.#session;
        if (!session) return;
        session.store.reduce = signup.keepEarlier(session.store.reduce);
        this.#paint(session.store.getState());
      },
      () => {
        // Not loaded: the body waits as for a lost connection, and the next change asks again.
        this.#signupAsked = false;
      },
    );
  }

  #changed(state: State, previous: State): void {
    // (A closed chat: "Start a new chat" comes with it; a seller opening the archive fetches it unused.)
    if (state.auth === 'name' || state.guest || currentChat(state)?.closed) void this.#wantSignup();
    this.#paint(state);
    const unread = totalUnread(state);
    if (unread !== totalUnread(previous)) this.#emit('unread', unread);
    if (this.#options.titleCount !== false) this.#title?.show(state.visible ? 0 : unread);
    this.#session?.changed(state);
  }

  #paint(state: State): void {
    const mount = this.#mount;
    if (!mount) return;
    if (this.#wantFocus && state.open && view(state) === 'chat') {
      this.#wantFocus = false;
      mount.focus('[data-ah-autofocus]');
    }
    const props: ViewProps = {
      state,
      t: this.#t,
      actions: this.#actions as Actions,
      lang: this.#lang,
      signup: this.#signup,
      replies: this.#options.quickReplies,
      askEmail: this.#options.askEmail,
    };
    mount.paint(state, props);
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
