/**
 * The seller's own changes of the state, carried by ahchat-inbox.js (the buyer's bundle never holds
 * them): the seller's rules over the reducer's (the store runs them on a seller's page), and through
 * the reducer's `apply` a new chat, opening one, and list pages merged in.
 */
import type { ChatPush, WireChat } from '../lib/wire/index.js';
import { emptyChat, fromWire, withChat, type Action, type State } from './state.js';

type Reducer = (state: State, action: Action) => State;

/**
 * The reducer on a seller's page, over the buyer's `reduce` (the bundle's: the chunk holds no copy):
 * a sign-in keeps the chats its answer left out (after those it carried) and the chat that was open;
 * a closed chat's count leaves the total, and a seller looking at it goes back to the list.
 */
export const sellerReducer = (reduce: Reducer): Reducer => (state, action) => {
  if (action.type === 'auth') {
    // (Without the open chat, the buyer's rules land in none, nor show a closed one above another.)
    const next = reduce({ ...state, current: undefined }, action);
    return { ...next, order: [...next.order, ...state.order.filter((id) => !next.order.includes(id))], current: state.current };
  }
  const next = reduce(state, action);
  if (action.type !== 'closed' || next === state) return next;
  return { ...next, chats: { ...next.chats, [action.chatId]: { ...next.chats[action.chatId]!, unread: 0 } }, current: state.current === action.chatId ? undefined : state.current };
};

/** Seller: chats from a list page or a search, merged without moving the ones already known (new ones go last). */
export function mergeChats(state: State, chats: readonly WireChat[]): State {
  let next = state;
  for (const c of chats) {
    const known = next.chats[c.id];
    const chat = fromWire(known, c, false);
    // A page carries a preview only: what is known of the history stays as it was.
    if (known) chat.more = known.more;
    next = { ...next, chats: { ...next.chats, [c.id]: chat }, order: next.order.includes(c.id) ? next.order : [...next.order, c.id] };
  }
  return next;
}

/** Seller: a new chat (or one reopened) goes to the top of the list. */
export function addChat(state: State, push: ChatPush, online = true): State {
  const prev = state.chats[push.id];
  return withChat(state, prev ? { ...prev, chatter: push.chatter, closed: false } : { ...emptyChat(push.id), chatter: push.chatter, sellerId: push.sellerId, online }, true);
}

/** Seller: opens a chat, or goes back to the list with undefined. */
export function select(state: State, chatId?: number): State {
  return { ...state, current: chatId, error: undefined };
}
