/**
 * One chat: notices (reconnecting, seller offline, closed, errors), the seller's "Close chat" with its
 * confirm step, the message log and the composer (for a closed chat, the buyer's "Start a new chat").
 * A class for scrolling: stay at the bottom when new messages come, keep the place when older ones
 * are prepended, and ask for older ones at the top (or while the log does not fill its box).
 * Rendered with key = chat id, so switching chats starts a fresh one.
 */
import { Component, type VNode } from 'preact';
import type { ChatMessage, ChatState } from '../state.js';
import { Composer } from './composer.js';
import { html } from './html.js';
import { MessageText } from './message-text.js';
import { NotifyAsk } from './notify-ask.js';
import type { ViewProps } from './props.js';
import { formatTime } from './time.js';

type Props = ViewProps & { chat: ChatState };
interface Snapshot {
  atBottom: boolean;
  height: number;
  top: number;
}

export class Conversation extends Component<Props, { confirm?: boolean }> {
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

  override componentDidUpdate(previous: Props, _state: unknown, snapshot: Snapshot | null): void {
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

  #meta(m: ChatMessage): VNode {
    const { t, lang, chat } = this.props;
    let status = '';
    if (m.status === 'pending') status = t('pending');
    else if (m.status === 'failed') status = `${t('failed')}: ${t(`error.${m.error}`)}`;
    else if (m.my && m.id !== undefined && m.id <= chat.readId) status = t('seen');
    return html`<div class="ah-meta"><time>${formatTime(m.date, lang)}</time>${status && html`<span class="ah-state">${status}</span>`}</div>`;
  }

  /** Seller: "Close chat", then "Close the chat with …?" [Close chat] [Cancel]. */
  #closeBar(): VNode {
    const { chat, t, actions } = this.props;
    const ask = (confirm: boolean) => () => this.setState({ confirm });
    const button = (label: string, onClick: () => void, kind = '') =>
      html`<button type="button" class="ah-link" data-kind=${kind} onClick=${onClick}>${t(label as never)}</button>`;
    return html`<div class="ah-bar" role=${this.state.confirm ? 'alert' : null}>
      ${this.state.confirm
        ? [html`<span>${t('closeConfirm', { name: chat.chatter })}</span>`, button('closeChat', () => actions.close(chat.id), 'danger'), button('cancel', ask(false))]
        : button('closeChat', ask(true))}
    </div>`;
  }

  override render(): VNode {
    const props = this.props;
    const { chat, state, t, actions } = props;
    const link = state.connection;
    const offline = link === 'reconnecting' || link === 'connecting' ? link : undefined;
    const typing = (chat.typingUntil ?? 0) > Date.now();
    const buyer = state.role === 'buyer';
    return html`<div class="ah-conversation">
      ${offline && html`<div class="ah-notice" data-kind="connection" role="status">${t(offline)}</div>`}
      ${!offline && !chat.online && buyer && !chat.closed && html`<div class="ah-notice" data-kind="offline">${t('offlineHint')}</div>`}
      ${chat.closed && html`<div class="ah-notice" data-kind="closed" role="status">${t('closed')}</div>`}
      ${state.error && html`<div class="ah-notice" data-kind="error" role="alert">${t(`error.${state.error}`)}</div>`}
      ${buyer ? !chat.closed && chat.messages.some((m) => m.my) && html`<${NotifyAsk} ...${props} />` : this.#closeBar()}
      <ol class="ah-log" role="log" aria-live="polite" aria-label=${t('messages')} tabindex="0" ref=${this.#setLog} onScroll=${this.#onScroll}>
        ${chat.more && html`<li class="ah-older" aria-hidden=${!chat.loadingOlder}>${chat.loadingOlder ? t('older') : ''}</li>`}
        ${chat.messages.length === 0 && html`<li class="ah-empty">${t('empty')}</li>`}
        ${chat.messages.map(
          (m) => html`<li key=${m.key} class=${`ah-msg ${m.my ? 'ah-mine' : 'ah-theirs'}`} data-status=${m.status} data-id=${m.id}>
            <span class="ah-sr">${m.my ? t('you') : chat.chatter}: </span>
            <div class="ah-bubble"><${MessageText} text=${m.text} /></div>
            ${this.#meta(m)}
          </li>`,
        )}
      </ol>
      ${typing && html`<div class="ah-typing" aria-live="polite">${t('typing', { name: chat.chatter })}</div>`}
      ${chat.closed
        ? html`<div class="ah-compose"><button type="button" class="ah-primary ah-restart" onClick=${actions.restart} data-ah-autofocus>${t('newChat')}</button></div>`
        : html`<${Composer} ...${props} chatId=${chat.id} />`}
    </div>`;
  }
}
