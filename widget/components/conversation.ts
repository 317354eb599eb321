/**
 * One chat: notices (reconnecting, seller offline, closed, errors), the message log and the composer
 * (for a closed chat, the buyer's "Start a new chat"; the seller's inbox passes its own bar and foot).
 * Messages are grouped: a day separator where the day changes, and the time shown once per run of
 * messages from one side within a few minutes. A buyer who started a new chat after a close still
 * reads the closed one above it.
 * A class for scrolling: stay at the bottom when new messages come, keep the place when older ones
 * are prepended, and ask for older ones at the top (or while the log does not fill its box).
 * Rendered with key = chat id, so switching chats starts a fresh one.
 */
import { Component, type VNode } from 'preact';
import type { ChatMessage } from '../messages.js';
import type { ChatState } from '../state.js';
import { Composer } from './composer.js';
import { html } from './html.js';
import { MessageText } from './message-text.js';
import { NotifyAsk } from './notify-ask.js';
import type { ViewProps } from './props.js';
import { formatTime } from './time.js';

export type ConversationProps = ViewProps & {
  chat: ChatState;
  /** Above the log (the seller's "Close chat"). */
  bar?: VNode | null;
  /** Instead of the composer when the chat is closed (the seller's "Reopen"); the buyer gets "Start a new chat". */
  foot?: VNode | null;
  /** Right above the composer (the seller's quick replies). */
  tools?: VNode | null;
  /** Before a message (the seller's "now looking at" where the buyer's page changed). */
  mark?: (m: ChatMessage, i: number, list: ChatMessage[]) => VNode | null | undefined;
};
interface Snapshot {
  atBottom: boolean;
  height: number;
  top: number;
}

/** Messages of one side within this many seconds share one time, shown under the last of them. */
const GROUP_SECONDS = 5 * 60;

export class Conversation extends Component<ConversationProps> {
  #log: HTMLElement | null = null;
  /** Whether the log had a size at the last look: a closed floating panel has none, and opens at the end. */
  #sized = false;
  #setLog = (el: HTMLElement | null) => {
    this.#log = el;
  };

  override componentDidMount(): void {
    this.#toEnd();
    this.#onScroll();
  }

  override getSnapshotBeforeUpdate(): Snapshot | null {
    const el = this.#log;
    return el ? { atBottom: el.scrollHeight - el.scrollTop - el.clientHeight < 48, height: el.scrollHeight, top: el.scrollTop } : null;
  }

  override componentDidUpdate(previous: ConversationProps, _state: unknown, snapshot: Snapshot | null): void {
    const el = this.#log;
    if (el && snapshot) {
      const before = previous.chat.messages;
      const now = this.props.chat.messages;
      const lastBefore = before.at(-1);
      const last = now.at(-1);
      const prepended = before.length > 0 && now.length > before.length && now[0]?.key !== before[0]?.key && last?.key === lastBefore?.key;
      if (prepended) el.scrollTop = snapshot.top + el.scrollHeight - snapshot.height;
      else if (!this.#sized || snapshot.atBottom || (last?.my && last.key !== lastBefore?.key)) this.#toEnd();
    }
    this.#onScroll();
  }

  #toEnd(): void {
    if (this.#log) this.#log.scrollTop = this.#log.scrollHeight;
  }

  #onScroll = () => {
    const { chat, actions } = this.props;
    const el = this.#log;
    this.#sized = Boolean(el?.clientHeight);
    if (this.#sized && (el as HTMLElement).scrollTop < 40 && chat.more && !chat.loadingOlder) actions.loadOlder(chat.id);
  };

  /** A refused message out of the log and back into the composer, to be edited and sent again. */
  #edit(m: ChatMessage, chat: ChatState): void {
    const area = this.base && (this.base as Element).querySelector('textarea');
    if (!area) return;
    this.props.actions.drop(chat.id, m.clientId!);
    area.value = m.text;
    area.dispatchEvent(new Event('input'));
    area.focus();
  }

  /** The time (once per group), the state, and for a refused message "Edit" (back into the box). */
  #meta(m: ChatMessage, chat: ChatState, showTime: boolean): VNode | null {
    const { t, lang } = this.props;
    const failed = m.status === 'failed';
    const status = m.status === 'pending' ? t('pending') : failed ? `${t('failed')}: ${t(`error.${m.error}`)}` : m.my && m.id! <= chat.readId ? t('seen') : '';
    return showTime || status
      ? html`<div class="ah-meta">${showTime && html`<time>${formatTime(m.date, lang)}</time>`}${status && html`<span class="ah-state">${status}</span>`}${failed &&
          html`<button type="button" class="ah-link" onClick=${() => this.#edit(m, chat)}>${t('edit')}</button>`}</div>`
      : null;
  }

  /** The log's rows: a separator where the day changes, then the bubbles; `old`: of an earlier, closed chat. */
  #rows(chat: ChatState, old?: boolean): Array<VNode | false | null | undefined> {
    const { t, lang } = this.props;
    const list = chat.messages;
    // The day of each message, for the separators: "1 December 2026".
    const days = list.map((m) => new Date(m.date * 1e3).toLocaleDateString(lang, { day: 'numeric', month: 'long', year: 'numeric' }));
    return list.flatMap((m, i) => {
      const next = list[i + 1];
      // One time under each run of messages from one side within a few minutes of each other.
      const ends = !next || next.my !== m.my || next.date - m.date > GROUP_SECONDS || days[i + 1] !== days[i] || m.status === 'failed';
      const bubble = html`<div key=${(old ? 'o' : '') + m.key} class=${`ah-msg ${m.my ? 'ah-mine' : 'ah-theirs'}`} data-status=${m.status} data-id=${m.id}>
        <span class="ah-sr">${m.my ? t('you') : chat.chatter}: </span>
        <div class="ah-bubble" dir="auto"><${MessageText} text=${m.text} /></div>
        ${this.#meta(m, chat, ends)}
      </div>`;
      // (mark: the seller's "now looking at" where the buyer's page changed.)
      return [days[i - 1] !== days[i] && html`<div key=${days[i]! + old} class="ah-day" role="separator">${days[i]}</div>`, this.props.mark?.(m, i, list), bubble];
    });
  }

  override render(): VNode {
    const props = this.props;
    const { chat, state, t, actions, bar, foot, tools } = props;
    const link = state.connection;
    const offline = link === 'reconnecting' || link === 'connecting' ? link : undefined;
    const typing = (chat.typingUntil ?? 0) > Date.now();
    const buyer = state.role === 'buyer';
    const earlier = chat.previous === undefined ? undefined : state.chats[chat.previous];
    return html`<div class="ah-conversation">
      ${offline && html`<div class="ah-notice" data-kind="connection" role="status">${t(offline)}</div>`}
      ${!offline && !chat.online && buyer && !chat.closed && html`<div class="ah-notice" data-kind="offline">${t('offlineHint')}</div>`}
      ${chat.closed && html`<div class="ah-notice" data-kind="closed" role="status">${t('closed')}</div>`}
      ${state.error && html`<div class="ah-notice" data-kind="error" role="alert">${t(`error.${state.error}`)}</div>`}
      ${buyer ? (state.guest ? props.signup && html`<${props.signup.NameForm} ...${props} />` : !chat.closed && chat.messages.some((m) => m.my) && html`<${NotifyAsk} ...${props} />`) : bar}
      <div class="ah-log" role="log" aria-live="polite" aria-label=${t('messages')} tabindex="0" ref=${this.#setLog} onScroll=${this.#onScroll}>
        ${chat.more && html`<div class="ah-older" aria-hidden=${!chat.loadingOlder}>${chat.loadingOlder ? t('older') : ''}</div>`}
        ${earlier && [...this.#rows(earlier, true), html`<div key="closed" class="ah-day" role="separator">${t('closed')}</div>`]}
        ${chat.messages.length === 0 && html`<p class="ah-empty">${t('empty')}</p>`}
        ${this.#rows(chat)}
      </div>
      ${typing && html`<div class="ah-typing" aria-live="polite">${t('typing', { name: chat.chatter })}</div>`}
      ${chat.closed
        ? buyer
          ? props.signup && html`<${props.signup.NewChat} ...${props} />`
          : foot
        : [tools, html`<${Composer} ...${props} chatId=${chat.id} />`]}
    </div>`;
  }
}
