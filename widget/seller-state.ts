/**
 * The seller's own changes of the state, carried by ahchat-inbox.js (the buyer's bundle never holds
 * them) and applied through the reducer's `apply`: a new chat, opening one, and list pages merged in.
 */
import type { ChatPush, WireChat } from '../lib/wire/index.js';
import { emptyChat, fromWire, withChat, type State } from './state.js';

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
  return withChat(state, prev ? { ...prev, chatter: push.chatter, closed: false } : emptyChat(push.id, push.chatter, push.sellerId, online), true);
}

/** Seller: opens a chat, or goes back to the list with undefined. */
export function select(state: State, chatId?: number): State {
  return { ...state, current: chatId, error: undefined };
}
