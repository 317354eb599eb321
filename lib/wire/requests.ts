/**
 * What a client sends: the request types, and the frame shape both directions share.
 * Every frame is `{command, data?, error?}` (see docs/PROTOCOL.md). Types only, but for the version rule.
 */
import type { ErrorCode } from './errors.js';

/** Seller ids travel as numbers (as in the original README) or strings. */
export type WireSellerId = number | string;

/**
 * Protocol versions (docs/PROTOCOL.md#protocol-versions). 1, the default: the original README's
 * shapes (`chats` keyed by chat id; no extension pushes; `clientDate` only on the confirmation).
 * 2: today's shapes. A client asks with `auth.protocol`; a higher number gets the highest we speak.
 */
export type ProtocolVersion = 1 | 2;
export const LATEST_PROTOCOL: ProtocolVersion = 2;

/** The version a socket speaks, given what its auth asked for. */
export function protocolFor(asked: number | undefined): ProtocolVersion {
  return asked === undefined || asked < LATEST_PROTOCOL ? 1 : LATEST_PROTOCOL;
}

export interface Frame<D = unknown> {
  command: string;
  data?: D;
  error?: ErrorCode;
}

// ---- requests (client → server) ----

export interface AuthRequest {
  /** Buyer: token from an earlier sign-up. Seller: always required. */
  token?: string;
  /** Buyer sign-up: the name shown to the seller. */
  name?: string;
  /** Buyer: the seller to chat with. */
  sellerId?: WireSellerId;
  /** Seller: own id. */
  id?: WireSellerId;
  /** Resume: per chat id, the last message id the client already has. */
  since?: Record<string, number>;
  /** The protocol version the client speaks (an integer ≥ 1); absent means 1. */
  protocol?: number;
  /** A signed identity minted by the host's server (signIdentity): the buyer, or with no sellerId the seller. */
  identity?: string;
  /** Buyer: an e-mail address for the host's onUnread notices. */
  email?: string;
  /**
   * Buyer: the page or product in question, as the browser sent it (an object). Checked by
   * lib/chat/page-context.ts, not here: a bad context is refused on its own, the sign-in goes on.
   */
  context?: unknown;
}

/** `context` (ext): the buyer's page context changed (a single-page shop's setContext()). */
export interface ContextRequest {
  chatId: number;
  /** As the browser sent it; checked by lib/chat/page-context.ts. */
  context: unknown;
}

/** `profile` (ext): a buyer gives a name (a guest) or an e-mail address later. */
export interface ProfileRequest {
  name?: string;
  email?: string;
}

/**
 * Chat ids in requests may also be given as canonical decimal strings ("7"): a client that got them
 * as the keys of the original `chats` object sends them back so. They are numbers once parsed.
 */
export interface MessageRequest {
  text: string;
  clientDate: number;
  chatId: number;
  /** Ignored, like the original client's `id: 0` and `date: 0`: the server knows who sent it. */
  my?: boolean;
  /** Idempotency key, unique per sender and chat (≤ 64 characters). */
  clientId?: string;
}

export interface HistoryRequest {
  chatId: number;
  /** Only messages older than this id; omitted = the newest. */
  before?: number;
  limit?: number;
}

export interface ChatIdRequest {
  chatId: number;
}

export interface ReadRequest {
  chatId: number;
  id: number;
}

export type ClientRequest =
  | { command: 'auth'; data: AuthRequest }
  | { command: 'message'; data: MessageRequest }
  | { command: 'history'; data: HistoryRequest }
  | { command: 'typing'; data: ChatIdRequest }
  | { command: 'read'; data: ReadRequest }
  | { command: 'close'; data: ChatIdRequest }
  | { command: 'context'; data: ContextRequest }
  | { command: 'profile'; data: ProfileRequest }
  | InboxRequest;

/** The seller's inbox (ext; lib/chat/inbox-commands.ts). */
export type InboxRequest =
  | { command: 'chats'; data: ChatsRequest }
  | { command: 'reopen'; data: ChatIdRequest }
  | { command: 'markUnread'; data: ChatIdRequest }
  | { command: 'replies'; data: Record<string, never> }
  | { command: 'saveReply'; data: SaveReplyRequest }
  | { command: 'deleteReply'; data: { id: number } };

export interface ChatsRequest {
  filter: 'open' | 'unread' | 'waiting' | 'closed';
  /** Part of a buyer's name or words of a message, at most 100 characters. */
  query?: string;
  /** From the answer before: where the list goes on. */
  cursor?: { lastActivity: number; id: number };
  limit?: number;
}

export interface SaveReplyRequest {
  /** Absent: a new reply. */
  id?: number;
  text: string;
}
