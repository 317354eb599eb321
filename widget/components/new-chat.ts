/**
 * A new chat after the seller closed the buyer's: "Start a new chat" (the session signs in on a new
 * one) and the rule that keeps the closed conversation readable above the new one. Part of
 * ahchat-signup.js (the buyer's sign-in steps), which the widget fetches as soon as it sees a
 * closed chat, so a buyer's page carries neither at first.
 */
import type { VNode } from 'preact';
import type { Action, State } from '../state.js';
import { html } from './html.js';
import type { ViewProps } from './props.js';

export function NewChat({ t, actions }: ViewProps): VNode {
  return html`<div class="ah-compose"><button type="button" class="ah-primary ah-restart" onClick=${actions.restart} data-ah-autofocus>${t('newChat')}</button></div>`;
}

type Reducer = (state: State, action: Action) => State;

/** Over the store's reducer: a sign-in that puts the buyer in a new chat after a close marks the closed one as `previous`. */
export const keepEarlier =
  (reduce: Reducer): Reducer =>
  (state, action) => {
    const next = reduce(state, action);
    const before = state.chats[state.current!];
    const fresh = next.chats[next.current!];
    return action.type === 'auth' && fresh && before?.closed && before.id !== fresh.id
      ? { ...next, chats: { ...next.chats, [fresh.id]: { ...fresh, previous: before.id } } }
      : next;
  };
