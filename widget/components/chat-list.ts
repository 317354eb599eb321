/** The seller's list of chats: buyer's name, last message, time, unread count and online dot. Part of ahchat-inbox.js. */
import type { VNode } from 'preact';
import type { ChatState } from '../state.js';
import { html } from './html.js';
import type { ViewProps } from './props.js';
import { formatTime } from './time.js';

type ItemProps = Pick<ViewProps, 't' | 'lang'> & { chat: ChatState; selected: boolean; onOpen: () => void };

function Item({ chat, t, lang, selected, onOpen }: ItemProps): VNode {
  const last = chat.messages[chat.messages.length - 1];
  return html`<li>
    <button type="button" class="ah-item" data-chat-id=${chat.id} data-unread=${chat.unread} data-closed=${chat.closed || null}
      aria-current=${selected || null} onClick=${onOpen}>
      <span class="ah-avatar" aria-hidden="true">${(chat.chatter.trim()[0] ?? '?').toUpperCase()}<i class="ah-dot" data-online=${String(chat.online)}></i></span>
      <span class="ah-item-main">
        <span class="ah-item-top"><bdi class="ah-item-name" dir="auto">${chat.chatter}</bdi>${last && html`<time>${formatTime(last.date, lang)}</time>`}</span>
        <span class="ah-item-bottom"><span class="ah-preview">${last?.my && html`${t('you')}: `}<bdi dir="auto">${last?.text ?? ''}</bdi></span>${chat.unread > 0 && html`<span class="ah-count" aria-hidden="true">${chat.unread}</span>`}</span>
      </span>
      <span class="ah-sr">, ${t(chat.online ? 'online' : 'offline')}${chat.unread > 0 ? `, ${t('unread', { n: chat.unread })}` : ''}${chat.closed ? `, ${t('closedShort')}` : ''}</span>
    </button>
  </li>`;
}

export function ChatList(props: ViewProps & { ids: number[]; onOpen: (id: number) => void; onScroll: (event: Event) => void; listRef: (el: HTMLElement | null) => void; busy: boolean }): VNode {
  const { state, t, lang, ids, onOpen, onScroll, listRef, busy } = props;
  return html`<ul class="ah-list" aria-label=${t('chats')} aria-busy=${busy || null} ref=${listRef} onScroll=${onScroll}>
    ${ids.map((id) => html`<${Item} key=${id} chat=${state.chats[id] as ChatState} t=${t} lang=${lang} selected=${state.current === id} onOpen=${() => onOpen(id)} />`)}
    ${busy && html`<li class="ah-more" role="status">${t('loading')}</li>`}
  </ul>`;
}
