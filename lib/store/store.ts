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

export interface Buyer {
  id: number;
  name: string;
  /** SHA-256 (hex) of the buyer's token. The token itself is never stored. */
  tokenHash: string;
  /** Unix ms. */
  createdAt: number;
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
}

export interface NewMessage {
  chatId: number;
  from: Side;
  text: string;
  clientDate: number;
  clientId?: string;
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
  /** Creates a buyer. tokenHash is unique; the caller makes the token. */
  createBuyer(input: { name: string; tokenHash: string }): Promise<Buyer>;
  findBuyerByTokenHash(tokenHash: string): Promise<Buyer | null>;
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
