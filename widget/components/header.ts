/** The small views rendered into the template's header slots: title, status, back (the seller's), unread and tools. */
import type { VNode } from 'preact';
import { currentChat, totalUnread } from '../state.js';
import { html } from './html.js';
import type { ViewProps } from './props.js';

/** Who the open chat is with; `own`: the seller's own name without one. */
const title = ({ state, t }: ViewProps, own?: string): VNode =>
  html`<bdi class="ah-title-text" dir="auto">${currentChat(state)?.chatter || own || t('title')}</bdi>`;

export const Title = (props: ViewProps): VNode => title(props);

/** The seller's title: the buyer of the open chat, else the seller's own name. */
export const SellerTitle = (props: ViewProps): VNode => title(props, props.state.name);

export function Status({ state, t }: ViewProps): VNode | null {
  if (state.connection === 'reconnecting' || state.connection === 'connecting') {
    // Short here; the conversation's notice says what happened.
    return html`<span class="ah-status" data-state="connecting">${t('connecting')}</span>`;
  }
  if (state.auth !== 'ready') return null;
  const chat = currentChat(state);
  const online = chat ? chat.online : state.connection === 'open';
  return html`<span class="ah-status" data-state=${online ? 'online' : 'offline'}
    ><i class="ah-dot" aria-hidden="true"></i>${t(online ? 'online' : 'offline')}</span
  >`;
}

/** The seller's Back (one pane, a chat open). */
export function Back({ state, t, actions }: ViewProps): VNode | null {
  if (state.current === undefined) return null;
  return html`<button type="button" class="ah-back" aria-label=${t('back')} title=${t('back')} onClick=${() => actions.select(undefined)}>
    <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true"><path d="M15 5l-7 7 7 7" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round"/></svg>
  </button>`;
}

/** The sound toggle (absent when the host turned sound off with `sound: false`). */
export function Tools({ state, t, actions }: ViewProps): VNode | null {
  const on = state.sound;
  if (on === undefined) return null;
  return html`<button type="button" class="ah-tool" aria-pressed=${on} aria-label=${t('sound')} title=${t('sound')} onClick=${() => actions.sound(!on)}>
    <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true"><path d="M3 9v6h4l5 4V5L7 9z" fill="currentColor"/><path d=${on ? 'M16 9a4 4 0 0 1 0 6m2.5-8.5a7.5 7.5 0 0 1 0 11' : 'M16 9l5 6m0-6-5 6'} fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/></svg>
  </button>`;
}

export function Unread({ state, t }: ViewProps): VNode | null {
  const n = totalUnread(state);
  if (n === 0) return null;
  return html`<span class="ah-badge" aria-label=${t('unread', { n })}>${n > 99 ? '99+' : n}</span>`;
}
