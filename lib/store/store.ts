/**
 * The Store contract: everything AH Chat persists goes through these methods.
 *
 * Guarantees every implementation must give (the shared suite in test/store/contract.ts checks them):
 * - Durability: a promise from a writing method resolves only once the write is as durable as the
 *   store promises (see each store's docs); AH Chat confirms a message to its sender only after
 *   appendMessage resolved.
 * - Ordering: message ids are positive integers that increase by one within a chat, in commit order,
 *   even with concurrent appends to the same chat.
 * - Idempotence: appendMessage with a clientId already stored in that chat by the same side returns
 *   the stored message with duplicate: true and stores nothing.
 * - Isolation: nothing here checks who asks; the caller (the hub) checks that a chat belongs to the
 *   signed-in user before reading or writing it.
 * Methods reject (throw) only on real failures (I/O, connection); "not found" is null, never a throw.
 */

/** Seller ids are kept as strings; the wire may carry them as numbers. */
export type SellerKey = string;

/** Which side of a chat a message or a read marker belongs to. */
export type Side = 'buyer' | 'seller';

/** The other side of a chat. */
export const otherSide = (side: Side): Side => (side === 'buyer' ? 'seller' : 'buyer');

export interface Buyer {
  id: number;
  name: string;
  /** SHA-256 (hex) of the buyer's token. The token itself is never stored. */
  tokenHash: string;
  /** Unix ms. */
  createdAt: number;
  /**
   * The host's own id for this person (its signed-in customer), when the host identified them. A
   * field of its own, never compared with `id`: a host id can never name one of our anonymous buyers.
   */
  externalId?: string;
  /** The buyer's e-mail address, for the host's onUnread notices. Never sent to anyone over the wire. */
  email?: string;
  /** Present (true) while the buyer writes under a generated "Guest ####" name. */
  guest?: boolean;
}

// The page context is a wire type (the widget sends it); the store keeps it as given.
import type { PageContext } from '../wire/frames.js';
export type { PageContext };

/** What createBuyer and upsertBuyer take besides the token hash. */
export interface BuyerProfile {
  name: string;
  email?: string;
  guest?: boolean;
}

export interface Chat {
  id: number;
  sellerId: SellerKey;
  buyerId: number;
  /** The buyer's name, as shown to the seller. */
  chatter: string;
  /** Unix ms. */
  createdAt: number;
  /** Unix ms of the last message, or createdAt. Sorts the seller's list. */
  lastActivity: number;
  /** Id of the newest message, 0 when there is none. */
  lastMessageId: number;
  /** Highest message id each side has read. */
  readIds: Record<Side, number>;
  /** Messages written by the other side after that side's read marker. */
  unread: Record<Side, number>;
  /** Unix ms when the seller closed the chat; absent while open. */
  closedAt?: number;
  /** The latest page context the buyer sent, if any. */
  context?: PageContext;
}

export interface Message {
  /** Increases by one within a chat. */
  id: number;
  chatId: number;
  from: Side;
  text: string;
  /** Unix ms when the server stored it. */
  createdAt: number;
  /** The sender's own timestamp, echoed back as given. */
  clientDate: number;
  /** The sender's idempotency key, unique per chat and side. */
  clientId?: string;
  /** The page context in force for the sender when it was written (buyers' messages). */
  context?: PageContext;
}

export interface NewMessage {
  chatId: number;
  from: Side;
  text: string;
  clientDate: number;
  clientId?: string;
  context?: PageContext;
}

export interface ListMessagesOptions {
  /** At most this many messages (the newest of the matching ones). */
  limit: number;
  /** Only messages with id < before. */
  before?: number;
  /** Only messages with id > after. */
  after?: number;
}

export interface ListRecentMessagesOptions {
  /** At most this many messages per chat (the newest of the matching ones). */
  limit: number;
  /** Per chat id: only messages with id > after (a client catching up); all when absent. */
  after?: ReadonlyMap<number, number>;
}

export interface Store {
  /** Creates a buyer. tokenHash is unique; the caller makes the token. email and guest are kept when given. */
  createBuyer(input: BuyerProfile & { tokenHash: string }): Promise<Buyer>;
  findBuyerByTokenHash(tokenHash: string): Promise<Buyer | null>;
  /*
   * The methods below (marked optional) carry host identities, e-mail addresses and page context. The
   * built-in stores have them all; a store without them still serves every other flow, and the plugin
   * refuses at start-up the options that need them (identifyBuyer, identitySecret) or, for context,
   * leaves it unstored.
   */
  /** The buyer with this id, or null. */
  getBuyer?(buyerId: number): Promise<Buyer | null>;
  /** The buyer the host knows by externalId, or null. Never finds a buyer without one. */
  findBuyerByExternalId?(externalId: string): Promise<Buyer | null>;
  /**
   * The buyer with this externalId, created (with tokenHash, which nobody holds the token of) when
   * absent; when present, its name, and email when given, become the given ones (the host's account
   * is the truth), as does the chatter of its open chats. Atomic: concurrent calls for one externalId
   * give one buyer.
   */
  upsertBuyer?(input: BuyerProfile & { externalId: string; tokenHash: string }): Promise<{ buyer: Buyer; created: boolean }>;
  /**
   * Changes a buyer's name and/or email (a given name also ends `guest` and becomes the chatter of
   * the buyer's open chats). Returns the buyer, or null when there is none.
   */
  updateBuyer?(buyerId: number, change: { name?: string; email?: string }): Promise<Buyer | null>;
  /** Sets the chat's latest page context; returns the chat, or null when there is none. */
  setChatContext?(chatId: number, context: PageContext): Promise<Chat | null>;
  /**
   * The buyer's open chat with the seller, created when there is none (atomic: two concurrent calls
   * for the same buyer and seller return the same chat, one of them with created: true).
   */
  openChat(input: { buyerId: number; sellerId: SellerKey; chatter: string }): Promise<{ chat: Chat; created: boolean }>;
  getChat(chatId: number): Promise<Chat | null>;
  /** The seller's chats, newest activity first, closed ones left out unless includeClosed. */
  listChats(sellerId: SellerKey, options: { limit: number; includeClosed?: boolean }): Promise<Chat[]>;
  /**
   * Stores a message (or finds its duplicate by clientId) and updates the chat's activity and unread count.
   * A closed chat takes no new messages: rejects with ChatClosedError, checked atomically with the write
   * (a duplicate of a message stored before the chat closed still resolves, as a duplicate).
   */
  appendMessage(input: NewMessage): Promise<{ message: Message; duplicate: boolean }>;
  /** Messages of a chat in ascending id order: the newest `limit` that match before/after. */
  listMessages(chatId: number, options: ListMessagesOptions): Promise<Message[]>;
  /**
   * Optional batch form of listMessages for many chats at once (a seller's sign-in): for each of
   * chatIds, in the same order, what listMessages(chatId, { limit, after: after.get(chatId) })
   * would return; [] for a chat that does not exist. A database store answers it in one query
   * rather than one per chat; the plugin falls back to listMessages per chat for a store without it.
   */
  listRecentMessages?(chatIds: readonly number[], options: ListRecentMessagesOptions): Promise<Message[][]>;
  /** Moves side's read marker up to messageId (never down); returns the updated chat, or null if no such chat. */
  markRead(chatId: number, side: Side, messageId: number): Promise<Chat | null>;
  /** Marks the chat closed; returns it, or null if no such chat. */
  closeChat(chatId: number): Promise<Chat | null>;
  /** Writes out anything pending and releases files or connections. The store is unusable after. */
  close(): Promise<void>;
  /**
   * Optional: resolves when the store can serve requests now (a database round trip), rejects with
   * the reason when not. Used by the plugin's readiness probe (`GET <path>/ready`); a store without
   * it counts as always ready (memory, lowdb).
   */
  ping?(): Promise<void>;

  // ---- the seller's inbox (optional: a store without them answers the inbox commands UNKNOWN_COMMAND) ----

  /**
   * A page of the seller's chats in which a message was written, newest activity first (ties: the
   * newer chat first), after the cursor `after` when given. `filter`: open (all open chats), unread
   * (open, with messages the seller has not read), waiting (open, the last message is the buyer's),
   * closed (the archive). `query` (case-insensitive) matches the buyer's name as a substring, or a
   * message of the chat that has every word of it as the start of one of its words. `next` is the
   * cursor to go on from, null when nothing more matches. A store that searches by scanning may stop
   * early at its bound (a page shorter than `limit`, with a `next`), never skipping a chat.
   */
  findChats?(sellerId: SellerKey, options: FindChatsOptions): Promise<{ chats: Chat[]; next: ChatCursor | null }>;
  /**
   * Opens a closed chat again (it takes messages, and is the buyer's chat with that seller again);
   * an open chat is returned as it is; null when there is no such chat. Rejects with ChatOpenError
   * when the buyer already has another open chat with that seller (at most one is open).
   */
  reopenChat?(chatId: number): Promise<Chat | null>;
  /**
   * Marks the chat unread for `side` again: its read marker moves back to just before the newest
   * message from the other side (so that one counts as unread). Null when there is no such chat; a
   * chat with no message from the other side is returned unchanged.
   */
  markUnread?(chatId: number, side: Side): Promise<Chat | null>;
  /** The seller's quick replies, oldest first. */
  listReplies?(sellerId: SellerKey): Promise<QuickReply[]>;
  /**
   * Saves a new quick reply (no id) or changes the seller's reply with that id; null when the seller
   * has no reply with that id. Rejects with ReplyLimitError when a new one would be the 101st.
   */
  saveReply?(sellerId: SellerKey, reply: { id?: number; text: string }): Promise<QuickReply | null>;
  /** Deletes the seller's reply; false when there was none with that id. */
  deleteReply?(sellerId: SellerKey, id: number): Promise<boolean>;
}

/** Which of the seller's chats findChats lists. */
export type ChatFilter = 'open' | 'unread' | 'waiting' | 'closed';

/** Where a list of chats goes on: the last chat of the page before, in activity order. */
export interface ChatCursor {
  lastActivity: number;
  id: number;
}

export interface FindChatsOptions {
  filter: ChatFilter;
  /** Words or part of a name; at most 100 characters. */
  query?: string;
  limit: number;
  after?: ChatCursor;
}

export interface QuickReply {
  /** Unique per store. */
  id: number;
  text: string;
}

/** At most this many quick replies per seller. */
export const MAX_REPLIES = 100;

/** reopenChat while the buyer has another open chat with the seller. */
export class ChatOpenError extends Error {
  constructor(readonly chatId: number) {
    super(`chat ${chatId}: the buyer has another open chat with this seller`);
    this.name = 'ChatOpenError';
  }
}

/** saveReply of a new reply when the seller has MAX_REPLIES already. */
export class ReplyLimitError extends Error {
  constructor() {
    super(`at most ${MAX_REPLIES} quick replies per seller`);
    this.name = 'ReplyLimitError';
  }
}

/** The words of a search, as findChats matches them: lower case, split at anything not a letter or digit. */
export function searchWords(text: string): string[] {
  return text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

/** appendMessage on a chat that is closed (see Store.appendMessage). */
export class ChatClosedError extends Error {
  constructor(readonly chatId: number) {
    super(`chat ${chatId} is closed`);
    this.name = 'ChatClosedError';
  }
}

/**
 * The store's backing system is away (a lost connection, a timeout): the request fails with
 * INTERNAL_ERROR and may be retried. The store has logged the outage once, so callers do not log
 * each request that fails with it.
 */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}
