/** The main slot: name form (from ahchat-signup.js), waiting, or the conversation (a seller's page shows the inbox once signed in). */
import type { VNode } from 'preact';
import { currentChat } from '../state.js';
import { Conversation } from './conversation.js';
import { html } from './html.js';
import type { ViewProps } from './props.js';

export function Body(props: ViewProps): VNode | null {
  const { state, t, signup } = props;
  // (A buyer whose ahchat-signup.js could not be loaded waits here, like a lost connection.)
  if (state.auth === 'name' && signup) return html`<${signup.NameForm} ...${props} />`;
  // (A seller's page says USER_IS_NOT_SELLER its own way, widget/components/inbox.ts.)
  if (state.auth === 'denied') return html`<p class="ah-error ah-pad" role="alert">${t(`error.${state.error}`)}</p>`;
  const chat = currentChat(state);
  if (state.auth === 'ready' && chat) return html`<${Conversation} key=${chat.id} ...${props} chat=${chat} />`;
  return html`<p class="ah-wait" role="status"><i class="ah-spinner" aria-hidden="true"></i>${t(state.connection === 'reconnecting' ? 'reconnecting' : 'connecting')}</p>`;
}
