/** The seller's inbox: chats by last activity, with preview, unread count and online dot. */
import type { VNode } from 'preact';
import type { ChatState } from '../state.js';
import { html } from './html.js';
import { NotifyAsk } from './notify-ask.js';
import type { ViewProps } from './props.js';
import { formatTime } from './time.js';

function Item({ chat, t, lang, onOpen }: Pick<ViewProps, 't' | 'lang'> & { chat: ChatState; onOpen: () => void }): VNode {
  const last = chat.messages.at(-1);
  const preview = last ? `${last.my ? `${t('you')}: ` : ''}${last.text}` : '';
  return html`<li>
    <button type="button" class="ah-item" data-chat-id=${chat.id} data-unread=${chat.unread} onClick=${onOpen}>
      <span class="ah-avatar" aria-hidden="true">${(chat.chatter.trim()[0] ?? '?').toUpperCase()}<i class="ah-dot" data-online=${String(chat.online)}></i></span>
      <span class="ah-item-main">
        <span class="ah-item-top"><bdi class="ah-item-name">${chat.chatter}</bdi>${last && html`<time>${formatTime(last.date, lang)}</time>`}</span>
        <span class="ah-item-bottom"><bdi class="ah-preview">${preview}</bdi>${chat.unread > 0 && html`<span class="ah-count" aria-hidden="true">${chat.unread}</span>`}</span>
      </span>
      <span class="ah-sr">, ${t(chat.online ? 'online' : 'offline')}${chat.unread > 0 ? `, ${t('unread', { n: chat.unread })}` : ''}</span>
    </button>
  </li>`;
}

export function ChatList(props: ViewProps): VNode {
  const { state, t, actions, lang } = props;
  // Closed chats leave the list (they stay in the store's history).
  const open = state.order.filter((id) => !state.chats[id]?.closed);
  return html`<${NotifyAsk} ...${props} />
    ${open.length === 0
      ? html`<p class="ah-empty ah-pad">${t('emptyList')}</p>`
      : html`<ul class="ah-list" aria-label=${t('chats')}>
          ${open.map((id) => {
            const chat = state.chats[id] as ChatState;
            return html`<${Item} key=${id} chat=${chat} t=${t} lang=${lang} onOpen=${() => actions.select(id)} />`;
          })}
        </ul>`}`;
}
