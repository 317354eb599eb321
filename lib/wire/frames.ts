/**
 * What the server sends: answers and pushes, and the seller id's wire form.
 */
import type { ProtocolVersion, WireSellerId } from './requests.js';

/**
 * The page or product a buyer is writing about, as validated (and possibly replaced by the host's
 * resolveContext): URLs are http(s), images from allowed origins only, every field bounded.
 */
export interface PageContext {
  title: string;
  url: string;
  image?: string;
  price?: string | number;
  /** The host's own reference (a product id), for its resolveContext. */
  ref?: string | number;
}

export interface WireMessage {
  id: number;
  chatId: number;
  text: string;
  /** Unix seconds, as in the original README. */
  date: number;
  /** True when the receiver wrote it. */
  my: boolean;
  clientDate?: number;
  clientId?: string;
  /** Protocol 2, to the seller: the page context the buyer wrote it under. */
  context?: PageContext;
}

export interface WireChat {
  id: number;
  /** The other side's name: the buyer's for a seller, the seller's for a buyer. */
  chatter: string;
  sellerId: WireSellerId;
  /** Whether the other side is online. */
  online: boolean;
  /** Oldest first. */
  messages: WireMessage[];
  /** True when older (or, with `since`, more newer) messages exist than this answer carries. */
  more: boolean;
  /** Messages from the other side the receiver has not read. */
  unread: number;
  /** Highest id of the receiver's own messages the other side has read. */
  readId: number;
  /** Present when the seller closed the chat. */
  closed?: boolean;
  /** Protocol 2: the buyer's latest page context, when there is one. */
  context?: PageContext;
}

/** The auth answer in protocol 2. */
export interface AuthResponse {
  /** Buyer sign-up only: keep it to sign in again. */
  token?: string;
  /** Buyer only: the buyer's chat. */
  chatId?: number;
  /** The signed-in person's own name. */
  name: string;
  /** Newest activity first. */
  chats: WireChat[];
  /** The version the server speaks on this socket: present when the client asked for 2 or more. */
  protocol?: ProtocolVersion;
  /** Protocol 2, buyer: present (true) while the buyer writes as a guest ("Guest ####"). */
  guest?: boolean;
  /** Protocol 2, buyer: present (true) when the host identified the buyer (no token is given then). */
  identified?: boolean;
}

/** The auth answer in protocol 1: `chats` keyed by chat id, as in the original README. */
export interface LegacyAuthResponse extends Omit<AuthResponse, 'chats' | 'protocol' | 'guest' | 'identified'> {
  chats: Record<string, WireChat>;
}

export interface StatusPush {
  chatId: number;
  status: boolean;
}

export interface ChatPush {
  id: number;
  chatter: string;
  sellerId: WireSellerId;
}

/** Seller ids are compared as strings; this gives back the wire form (a number when it is one). */
export function toWireSellerId(key: string): WireSellerId {
  return /^[1-9]\d{0,14}$/.test(key) ? Number(key) : key;
}
