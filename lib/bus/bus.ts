/**
 * The Bus contract: how hub instances share pushes and presence.
 * The hub delivers its own events to its own sockets itself; a bus carries them to the *other*
 * instances (never back to the publisher) and aggregates presence across instances. The default,
 * localBus(), has no other instances: it only counts presence in this process.
 * A bus must never make a caller wait without bound: when its backing system is away it answers
 * from what this instance knows (its own sockets) and says so in one log line.
 */
import type { Message, PageContext, SellerKey, Side } from '../store/store.js';

/** Presence keys: `seller:<sellerId>` or `buyer:<chatId>`. */
export type PresenceKey = string;

export const sellerKey = (sellerId: SellerKey): PresenceKey => `seller:${sellerId}`;
export const buyerKey = (chatId: number): PresenceKey => `buyer:${chatId}`;

/** Events published through the bus; each instance delivers them to its own sockets. */
export type HubEvent =
  /** A stored message; `origin` is the sending socket's id, which already got its confirmation. */
  | { type: 'message'; sellerId: SellerKey; message: Message; origin?: string }
  /** A buyer's first socket opened / last socket closed, across all instances. */
  | { type: 'buyer-presence'; sellerId: SellerKey; chatId: number; online: boolean }
  /** A seller's first socket opened / last socket closed, across all instances. */
  | { type: 'seller-presence'; sellerId: SellerKey; online: boolean }
  /**
   * A new chat started, or the seller reopened one: then `sellerName` is set, and the buyer's
   * sockets of that chat hear of it too (with that name as their chatter).
   */
  | { type: 'chat'; sellerId: SellerKey; chatId: number; chatter: string; sellerName?: string }
  /** Someone is typing; delivered to the other side only. */
  | { type: 'typing'; sellerId: SellerKey; chatId: number; from: Side }
  /** `side` read everything up to `id`; `unread` is that side's new unread count. */
  | { type: 'read'; sellerId: SellerKey; chatId: number; side: Side; id: number; unread: number }
  /** The seller closed the chat. */
  | { type: 'closed'; sellerId: SellerKey; chatId: number }
  /** The buyer's page context changed (to the seller). */
  | { type: 'context'; sellerId: SellerKey; chatId: number; context: PageContext }
  /** The buyer's name changed (a guest named themselves): the chat's new chatter (to the seller). */
  | { type: 'chatter'; sellerId: SellerKey; chatId: number; chatter: string }
  /**
   * Events may have been lost (a bus that could not keep all of them through an outage): sockets
   * here must fetch what they missed. The hub closes them with 1012, and clients resume with `since`.
   */
  | { type: 'resync' };

/** A presence change: what join/leave callers publish, and what a bus announces for a dead instance. */
export type PresenceEvent = Extract<HubEvent, { type: 'buyer-presence' | 'seller-presence' }>;

export interface Bus {
  /** Begins delivering events published by other instances (and the bus's own announcements) to onEvent. */
  start(onEvent: (event: HubEvent) => void): Promise<void>;
  /** Carries an event to the other instances; resolves without waiting on a backing system that is away. */
  publish(event: HubEvent): Promise<void>;
  /**
   * This instance opened its first socket for key. Resolves true when the key was offline everywhere.
   * `offline` (online: false) is what a multi-instance bus publishes by itself if every instance
   * holding the key dies without leave(), so the key does not stay online forever.
   */
  join(key: PresenceKey, offline?: PresenceEvent): Promise<boolean>;
  /** This instance closed its last socket for key. Resolves true when the key is now offline everywhere. */
  leave(key: PresenceKey): Promise<boolean>;
  /** Whether each key has a socket on any live instance. */
  isOnline(keys: readonly PresenceKey[]): Promise<boolean[]>;
  /** Stops delivery and releases connections. Presence this instance held is dropped. */
  close(): Promise<void>;
  /**
   * Optional: resolves when the bus can carry events now (a round trip to its server), rejects with
   * the reason when not. Used by the readiness probe; a bus without it counts as ready once started.
   */
  ping?(): Promise<void>;
}
