// Over 300 lines: one component; its list, search, filters, shortcuts and quick replies share its state.
/**
 * The seller's inbox (the entry of ahchat-inbox.js, loaded only on a seller's page): the list beside
 * the open conversation when the box is wide enough, one of them with Back when it is not (the list
 * keeps its scroll position and selection). The list pages on with the `chats` command as it is
 * scrolled; search and the filters (unread, waiting for a reply, closed) ask the server the same way.
 * Closed chats are an archive that can be reopened. Quick replies (the seller's own, kept on the
 * server, and the host's), "mark as unread", and keyboard shortcuts listed by `?`.
 */
import { Component, type VNode } from 'preact';
import type { ServerMessage2, WireChat } from '../../lib/wire/index.js';
import type { PageContext } from '../../lib/wire/index.js';
import { lastIncomingId, type ChatMessage } from '../messages.js';
import { mergeChats } from '../seller-state.js';
import type { ChatState } from '../state.js';
import { ContextCard, ContextMark, samePage } from './context-card.js';
import { ChatList } from './chat-list.js';
import { Conversation } from './conversation.js';
import { html } from './html.js';
import { Back, SellerTitle } from './header.js';
import { Body } from './body.js';
import { NotifyAsk } from './notify-ask.js';
import type { ViewProps } from './props.js';
import type { Translate } from '../i18n/index.js';
import { seller, sellerText } from '../seller.js';
import { handBack } from '../hand-back.js';

export type Filter = 'open' | 'unread' | 'waiting' | 'closed';
const FILTERS: Filter[] = ['open', 'unread', 'waiting', 'closed'];
/** Narrower than this (CSS px), the inbox shows one pane at a time. */
const TWO_PANES = 600;
const PAGE = 50;

interface Reply {
  id?: number;
  text: string;
}

interface InboxState {
  wide: boolean;
  filter: Filter;
  query: string;
  /** Chat ids of a search or filter, in the server's order; undefined for the plain list. */
  results?: number[];
  /** Where the current list goes on; null when it is complete, undefined before the first answer. */
  cursor?: string | null;
  loading: boolean;
  help: boolean;
  confirm: boolean;
  replies: boolean;
  saved: Reply[];
  /** The saved reply being edited (its id), or 0 for a new one. */
  editing?: number;
}

const SHORTCUTS: Array<[string, string]> = [
  ['j / Alt+↓', 'keyNext'],
  ['k / Alt+↑', 'keyPrev'],
  ['n / Alt+N', 'keyUnread'],
  ['/', 'keySearch'],
  ['u', 'markUnread'],
  ['x', 'closeChat'],
  ['Esc', 'back'],
  ['?', 'keyHelp'],
];

const typingIn = (el: EventTarget | null) => el instanceof HTMLElement && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));

export class Inbox extends Component<ViewProps, InboxState> {
  override state: InboxState = { wide: false, filter: 'open', query: '', loading: false, help: false, confirm: false, replies: false, saved: [] };
  #el: HTMLElement | null = null;
  #list: HTMLElement | null = null;
  /** The list's scroll position when a chat was opened in one pane: restored on Back. */
  #scroll = 0;
  #observer: ResizeObserver | undefined;
  #unlisten: (() => void) | undefined;
  /** What the pending `chats` request asked, to match its answer. */
  #asked: { filter: Filter; query: string; more: boolean } | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  override componentDidMount(): void {
    const el = this.#el as HTMLElement;
    this.#observer = new ResizeObserver(() => this.#measure());
    this.#observer.observe(el);
    this.#measure();
    this.#unlisten = this.props.actions.listen(this.#onFrame);
    // The sign-in answer carried the newest chats; this learns where the list goes on from there.
    this.#ask(false, Math.min(200, this.#plain().length || PAGE));
    this.props.actions.request('replies', {});
  }

  override componentWillUnmount(): void {
    this.#observer?.disconnect();
    this.#unlisten?.();
    clearTimeout(this.#timer);
  }

  override componentDidUpdate(previous: ViewProps): void {
    const was = previous.state.current;
    const now = this.props.state.current;
    if (was !== undefined && now === undefined) {
      // Back: the list where it was, and the focus on the chat just left.
      if (this.#list && !this.state.wide) this.#list.scrollTop = this.#scroll;
      (this.#el?.querySelector(`.ah-item[data-chat-id="${was}"]`) as HTMLElement | null)?.focus();
    }
    if (was !== now) this.setState({ confirm: false, replies: false, editing: undefined });
  }

  #measure(): void {
    const wide = (this.#el?.clientWidth ?? 0) >= TWO_PANES;
    if (wide !== this.state.wide) this.setState({ wide });
  }

  /** The plain list: open chats in which the buyer has written, newest activity first. */
  #plain(): number[] {
    const { state } = this.props;
    return state.order.filter((id) => {
      const chat = state.chats[id];
      return chat && !chat.closed && chat.messages.length > 0;
    });
  }

  #ids(): number[] {
    const { results } = this.state;
    return results ? results.filter((id) => this.props.state.chats[id]) : this.#plain();
  }

  /** Asks for the first page of the current list (more: false) or the next one. */
  #ask(more: boolean, limit = PAGE, filter = this.state.filter, query = this.state.query): void {
    const data: Record<string, unknown> = { filter, limit };
    if (query) data.query = query;
    if (more) data.cursor = this.state.cursor;
    if (this.props.actions.request('chats', data)) {
      this.#asked = { filter, query, more };
      this.setState({ loading: true });
    }
  }

  /** The answers to the inbox's own requests, and the pushes it shows (typed by command, lib/wire's ServerFrame2). */
  #onFrame = (frame: ServerMessage2): void => {
    // A refused request: only the list's ends its loading (the others leave things as they are).
    if (frame.error) return void (frame.command === 'chats' && this.setState({ loading: false, cursor: null }));
    if (frame.command === 'chats') {
      const asked = this.#asked;
      if (!asked) return this.setState({ loading: false, cursor: null });
      const d = frame.data;
      if (d?.filter !== this.state.filter || (d?.query ?? '') !== this.state.query) return;
      const chats = d.chats ?? [];
      this.props.actions.apply((state) => mergeChats(state, chats));
      const ids = chats.map((c) => c.id);
      const plain = this.state.filter === 'open' && !this.state.query;
      this.#asked = undefined;
      this.setState({
        loading: false,
        cursor: d.cursor ?? null,
        results: plain ? undefined : asked.more ? [...(this.state.results ?? []), ...ids] : ids,
      });
    } else if (frame.command === 'reopen') {
      const { chat } = frame.data;
      this.props.actions.apply((state) => mergeChats(state, [chat]));
      this.setState({ filter: 'open', query: '', results: undefined });
      this.props.actions.select(chat.id);
    } else if (frame.command === 'context' || frame.command === 'chatter') {
      // The buyer's page changed, or a guest gave a name: the chat shows it.
      const { chatId, ...change } = frame.data;
      this.props.actions.apply((state) => (state.chats[chatId] ? { ...state, chats: { ...state.chats, [chatId]: { ...state.chats[chatId]!, ...change } } } : state));
    } else if (frame.command === 'replies' || frame.command === 'saveReply' || frame.command === 'deleteReply') {
      this.setState({ saved: frame.data.replies ?? [], editing: undefined });
    }
  };

  #setFilter(filter: Filter): void {
    this.setState({ filter, results: filter === 'open' && !this.state.query ? undefined : [], cursor: undefined });
    this.#ask(false, PAGE, filter);
  }

  #onSearch = (event: Event) => {
    const query = (event.currentTarget as HTMLInputElement).value.trim().slice(0, 100);
    clearTimeout(this.#timer);
    // One request per pause in typing.
    this.#timer = setTimeout(() => {
      this.setState({ query, results: this.state.filter === 'open' && !query ? undefined : this.state.results, cursor: undefined });
      this.#ask(false, PAGE, this.state.filter, query);
    }, 250);
  };

  #onListScroll = (event: Event) => {
    const el = event.currentTarget as HTMLElement;
    if (el.scrollHeight - el.scrollTop - el.clientHeight < 120 && this.state.cursor && !this.state.loading) this.#ask(true);
  };

  #open = (id: number) => {
    if (!this.state.wide && this.#list) this.#scroll = this.#list.scrollTop;
    const chat = this.props.state.chats[id];
    this.props.actions.select(id);
    // The widget sends `read` once per message; a chat marked unread (here or on another device)
    // is read again by opening it.
    const last = chat?.unread ? lastIncomingId(chat) : 0;
    if (last) this.props.actions.request('read', { chatId: id, id: last });
  };

  /** Next (1) or previous (-1) chat of the list; `unread` skips to the next one with unread messages. */
  #step(by: 1 | -1, unread = false): void {
    const ids = this.#ids();
    if (ids.length === 0) return;
    const at = ids.indexOf(this.props.state.current ?? -1);
    for (let i = 1; i <= ids.length; i++) {
      const id = ids[(((at === -1 && by === -1 ? 0 : at) + by * i) % ids.length + ids.length) % ids.length] as number;
      if (!unread || (this.props.state.chats[id]?.unread ?? 0) > 0) return this.#open(id);
    }
  }

  #onKey = (event: KeyboardEvent) => {
    const { key, altKey, ctrlKey, metaKey } = event;
    if (ctrlKey || metaKey) return;
    // The help is modal: Tab stays on its one button.
    if (this.state.help && key === 'Tab') {
      event.preventDefault();
      return (this.#el?.querySelector('.ah-help button') as HTMLElement | null)?.focus();
    }
    const text = typingIn(event.target);
    const current = this.props.state.current;
    let done = true;
    if (key === 'Escape') {
      if (this.state.help) this.#help(false);
      else if (current !== undefined) this.props.actions.select(undefined);
      else done = false;
    } else if (altKey && key === 'ArrowDown') this.#step(1);
    else if (altKey && key === 'ArrowUp') this.#step(-1);
    else if (altKey && (key === 'n' || key === 'N')) this.#step(1, true);
    else if (text || altKey) done = false;
    else if (key === 'j') this.#step(1);
    else if (key === 'k') this.#step(-1);
    else if (key === 'n') this.#step(1, true);
    else if (key === '/') (this.#el?.querySelector('.ah-search input') as HTMLElement | null)?.focus();
    else if (key === '?') this.#help(true);
    else if (key === 'u' && current !== undefined) this.#markUnread(current);
    else if (key === 'x' && current !== undefined && !this.props.state.chats[current]?.closed) this.setState({ confirm: true });
    else done = false;
    if (done) {
      event.preventDefault();
      // The panel's own Escape (closing a floating widget) is not for keys used here.
      event.stopPropagation();
    }
  };

  #help(help: boolean): void {
    this.setState({ help });
    requestAnimationFrame(() => (this.#el?.querySelector(help ? '.ah-help button' : '.ah-search input') as HTMLElement | null)?.focus());
  }

  #markUnread(chatId: number): void {
    this.props.actions.request('markUnread', { chatId });
    this.props.actions.select(undefined);
  }

  /** Seller: "Close chat", then "Close this chat (Anna)?" [Close chat] [Cancel]; "Mark as unread". */
  #bar(chat: ChatState): VNode {
    const { t, actions } = this.props;
    const button = (label: string, onClick: () => void, kind = '') =>
      html`<button type="button" class="ah-link" data-kind=${kind} onClick=${onClick}>${t(label as never)}</button>`;
    const confirm = this.state.confirm;
    return html`${chat.context && html`<${ContextCard} context=${chat.context} t=${t} />`}<div class="ah-bar" role=${confirm ? 'alert' : null}>
      ${confirm
        ? [html`<span dir="auto">${t('closeConfirm', { name: chat.chatter })}</span>`, button('closeChat', () => actions.close(chat.id), 'danger'), button('cancel', () => this.setState({ confirm: false }))]
        : [button('markUnread', () => this.#markUnread(chat.id)), !chat.closed && button('closeChat', () => this.setState({ confirm: true }))]}
    </div>`;
  }

  /** The conversation's texts, with the seller's own copy for an empty chat. */
  #t: Translate = (key, params) => this.props.t(key === 'empty' ? 'emptySeller' : key, params);

  /** "Now looking at …" before the first buyer message written from another page than the one before. */
  #mark = (m: ChatMessage, i: number, list: ChatMessage[]): VNode | null => {
    if (m.my || !m.context) return null;
    for (let j = i - 1; j >= 0; j--) {
      const before = list[j]!;
      if (before.my || !before.context) continue;
      return samePage(before.context, m.context) ? null : html`<${ContextMark} key=${`x${m.key}`} context=${m.context} t=${this.props.t} />`;
    }
    return null;
  };

  #foot(chat: ChatState): VNode {
    const { t, actions } = this.props;
    return html`<div class="ah-compose"><button type="button" class="ah-primary ah-reopen" onClick=${() => actions.request('reopen', { chatId: chat.id })} data-ah-autofocus>${t('reopen')}</button></div>`;
  }

  /** Quick replies: a click puts one into the message box; the seller's own can be saved, edited and deleted. */
  #tools(): VNode {
    const { t, actions, replies = [] } = this.props;
    const { saved, editing } = this.state;
    const area = () => this.#el?.querySelector<HTMLTextAreaElement>('#ah-text');
    const use = (text: string) => {
      const el = area();
      if (!el) return;
      el.value = text;
      el.dispatchEvent(new Event('input'));
      el.focus();
      this.setState({ replies: false });
    };
    const save = (event: Event) => {
      event.preventDefault();
      const text = ((event.currentTarget as HTMLFormElement).elements.namedItem('reply') as HTMLInputElement).value.trim();
      if (text) actions.request('saveReply', editing ? { id: editing, text } : { text });
    };
    const all: Reply[] = [...replies.map((text) => ({ text })), ...saved];
    return html`<div class="ah-replies">
      <button type="button" class="ah-link" aria-expanded=${this.state.replies} onClick=${() => this.setState({ replies: !this.state.replies, editing: undefined })}>${t('quickReplies')}</button>
      ${this.state.replies &&
      html`<div class="ah-replies-box">
        <ul class="ah-reply-list" aria-label=${t('quickReplies')}>
          ${all.map(
            (r) => html`<li key=${r.id ?? `h${r.text}`} class="ah-reply">
              <button type="button" class="ah-reply-use" dir="auto" onClick=${() => use(r.text)}>${r.text}</button>
              ${r.id !== undefined &&
              html`<button type="button" class="ah-link" aria-label=${`${t('edit')}: ${r.text}`} onClick=${() => this.setState({ editing: r.id })}>${t('edit')}</button><button type="button" class="ah-link" data-kind="danger" aria-label=${`${t('delete')}: ${r.text}`} onClick=${() => actions.request('deleteReply', { id: r.id })}>${t('delete')}</button>`}
            </li>`,
          )}
        </ul>
        <form class="ah-reply-form" onSubmit=${save}>
          <label class="ah-sr" for="ah-reply">${t(editing ? 'editReply' : 'newReply')}</label>
          <input id="ah-reply" name="reply" class="ah-input" dir="auto" maxlength="1000" placeholder=${t(editing ? 'editReply' : 'newReply')}
            key=${editing ?? 0} value=${saved.find((r) => r.id === editing)?.text ?? ''} />
          <button type="submit" class="ah-link">${t('save')}</button>
        </form>
      </div>`}
    </div>`;
  }

  override render(): VNode {
    const props = this.props;
    const { state, t } = props;
    const { wide, filter, help, loading } = this.state;
    const chat = state.current === undefined ? undefined : state.chats[state.current];
    const ids = this.#ids();
    return html`<div class="ah-inbox" data-layout=${wide ? 'two' : 'one'} data-chat=${chat ? '' : null} ref=${(el: HTMLElement | null) => (this.#el = el)} onKeyDown=${this.#onKey}>
      <div class="ah-pane-list">
        <${NotifyAsk} ...${props} />
        <form class="ah-search" role="search" onSubmit=${(e: Event) => e.preventDefault()}>
          <label class="ah-sr" for="ah-search">${t('search')}</label>
          <input id="ah-search" type="search" class="ah-input" dir="auto" maxlength="100" placeholder=${t('search')} onInput=${this.#onSearch} />
        </form>
        <div class="ah-filters" role="group" aria-label=${t('filter')}>
          ${FILTERS.map((f) => html`<button type="button" class="ah-filter" aria-pressed=${f === filter} onClick=${() => this.#setFilter(f)}>${t(`filter.${f}` as never)}</button>`)}
        </div>
        ${ids.length === 0 && !loading
          ? html`<p class="ah-empty ah-pad">${t(this.state.results ? 'noResults' : 'emptyList')}</p>`
          : html`<${ChatList} ...${props} ids=${ids} busy=${loading} onOpen=${this.#open} onScroll=${this.#onListScroll} listRef=${(el: HTMLElement | null) => (this.#list = el)} />`}
        <button type="button" class="ah-link ah-keys" onClick=${() => this.#help(true)}>${t('keyHelp')} (?)</button>
      </div>
      <div class="ah-pane-chat">
        ${chat
          ? html`<${Conversation} key=${chat.id} ...${props} t=${this.#t} chat=${chat} bar=${this.#bar(chat)} mark=${this.#mark} foot=${this.#foot(chat)} tools=${this.#tools()} />`
          : wide && html`<p class="ah-empty ah-pad">${t('pick')}</p>`}
      </div>
      ${help &&
      html`<div class="ah-help" role="dialog" aria-modal="true" aria-labelledby="ah-help-title">
        <h2 id="ah-help-title">${t('keyHelp')}</h2>
        <dl>${SHORTCUTS.map(([keys, label]) => html`<div><dt><kbd>${keys}</kbd></dt><dd>${t(label as never)}</dd></div>`)}</dl>
        <button type="button" class="ah-primary" onClick=${() => this.#help(false)}>${t('closeHelp')}</button>
      </div>`}
    </div>`;
  }
}

// Hand the views to the widget that loaded this file (see widget/chunks.ts). (A seller whose
// ahchat-inbox.js could not be loaded gets the buyer's views, and waits as for a lost connection.)
handBack('inbox', {
  views: {
    body: (props: ViewProps) =>
      props.state.auth === 'ready'
        ? html`<${Inbox} ...${props} />`
        : props.state.auth === 'denied' && props.state.error === 'USER_IS_NOT_SELLER'
          ? html`<p class="ah-error ah-pad" role="alert">${props.t('denied')}</p>`
          : Body(props),
    back: Back,
    title: SellerTitle,
  },
  seller,
  text: sellerText,
});
