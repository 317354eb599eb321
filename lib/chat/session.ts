import type { Connection } from '../transport/connection.js';
import type { ProtocolVersion } from '../wire/index.js';
import type { PageContext, SellerKey, Side } from '../store/store.js';

/** Who a socket is signed in as, and the protocol version its frames are shaped for. */
export type Session =
  | { side: 'seller'; sellerId: SellerKey; name: string; protocol: ProtocolVersion }
  | {
      side: 'buyer';
      sellerId: SellerKey;
      chatId: number;
      buyerId: number;
      name: string;
      protocol: ProtocolVersion;
      /** The host's id, when the host identified the buyer (its session or a signed identity). */
      externalId?: string;
      /** The page context this socket last set: what its messages are written under. */
      context?: PageContext;
    };

export type BuyerSession = Extract<Session, { side: 'buyer' }>;
export type SellerSession = Extract<Session, { side: 'seller' }>;

/** A socket as the chat layer sees it: signed in as a Session, or not yet. */
export type ChatConnection = Connection<Session>;
