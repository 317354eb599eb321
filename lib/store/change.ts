/**
 * What a writing method of StoreState changed, for a persistence to make durable. Each record carries
 * a copy of the whole row as it is after the change (a row is small; a persistence never has to read
 * the state back to learn what changed).
 */
import type { Buyer, Chat, Message, QuickReply, SellerKey } from './store.js';

export type Change =
  /** A new buyer (created) or a changed one (name, e-mail, guest). */
  | { kind: 'buyer'; buyer: Buyer; created: boolean }
  /** A new chat (created) or a changed one (chatter, read markers, closed or reopened, context). */
  | { kind: 'chat'; chat: Chat; created: boolean }
  /** A new message (messages never change). */
  | { kind: 'message'; message: Message }
  /** A seller's quick replies, the whole list after a save or a delete. */
  | { kind: 'replies'; sellerId: SellerKey; replies: QuickReply[] };

/** A writing method's answer and what it changed ([] when nothing). */
export type Changed<T> = T & { changes: Change[] };
