/**
 * The seller's side of the session, carried by ahchat-inbox.js so that the buyer's bundle never
 * holds it: the actions only the inbox uses (open and close a chat, its own requests and their
 * answers), a new chat from the `chat` push, and the seller's variants of the template's texts.
 */
import type { ServerMessage2 } from '../lib/wire/index.js';
import type { Actions } from './components/props.js';
import type { Translate } from './i18n/index.js';
import { addChat, select, sellerReducer } from './seller-state.js';
import type { Session } from './session.js';
import type { State } from './state.js';

export type SellerActions = Pick<Actions, 'select' | 'close' | 'request' | 'listen' | 'apply'>;

/** A template's text, preferring the seller's variant (`launcherSeller`). */
export const sellerText =
  (t: Translate) =>
  (key: string): string => {
    const text = t(`${key}Seller` as never);
    return text !== `${key}Seller` ? text : t(key as never);
  };

/**
 * Sets the seller up: adds the seller's actions to `actions` and hears every frame of the session
 * (the inbox's listeners get them all; `focus` focuses in the body slot after the next paint).
 */
export function seller(session: Session, actions: Partial<Actions>, focus: (selector: string) => void): void {
  const listeners = new Set<(frame: ServerMessage2) => void>();
  const apply = (fn: (state: State) => State) => session.dispatch({ type: 'apply', fn });
  session.store.reduce = sellerReducer(session.store.reduce);
  session.seller = (frame) => {
    if (!frame.error && frame.command === 'chat') {
      const push = frame.data;
      apply((state) => addChat(state, push));
    }
    for (const fn of [...listeners]) fn(frame);
  };
  const own: SellerActions = {
    select: (chatId) => {
      apply((state) => select(state, chatId));
      // (Back: the inbox gives the focus back to the chat it came from.)
      focus('[data-ah-autofocus]');
    },
    close: (chatId) => void session.client.send('close', { chatId }),
    request: (command, data) => session.client.send(command, data),
    listen: (fn) => {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    apply,
  };
  Object.assign(actions, own);
}
