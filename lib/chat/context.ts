import type { EventEmitter } from 'node:events';
import type { BoundedMap } from '../transport/bounded-map.js';
import type { Hub } from './hub.js';
import type { KeyedRateLimiter } from '../transport/rate-limiter.js';
import type { SignInThrottle } from './sign-in-throttle.js';
import type { UnreadNotifier } from './unread-notifier.js';
import type { ResolvedOptions } from '../options.js';
import type { SellerKey, Store } from '../store/store.js';

/** What request handlers need: options, storage, fan-out. Built once by the plugin. */
export interface ChatContext {
  options: ResolvedOptions;
  store: Store;
  hub: Hub;
  /** Seller names learned from authSeller/findSeller, shown to buyers as `chatter`. */
  sellerNames: Map<SellerKey, string>;
  /** Host events ('message', 'chat', 'status'), emitted on the instance where they happen. */
  events: EventEmitter;
  /** New buyers and chats per client IP (key: the IP), new chats per buyer (key: `buyer:<id>`). */
  signUps: KeyedRateLimiter;
  /** `buyerId:sellerId` pairs known to have a chat: signing in to it again opens nothing new. */
  knownChats: BoundedMap<string, true>;
  /** Failed seller sign-ins per IP and per seller id. */
  sellerSignIns: SignInThrottle;
  /** Messages whose append failed: `chatId:side:clientId`, so a resend that finds them stored still publishes. */
  unannounced: BoundedMap<string, true>;
  /** chat id → its seller (never changes): spares a store read per seller message. */
  chatSellers: BoundedMap<number, SellerKey>;
  /** Present when the host gave onUnread. */
  unread?: UnreadNotifier;
}
