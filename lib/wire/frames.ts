/**
 * What the server sends: every frame's data type (the `ServerFrame` map, answers and pushes alike),
 * the error frame, and the one helper the server builds frames with.
 */
import type { ErrorCode, ErrorDetails } from './errors.js';
import type { ChatsRequest, ClientRequest, ProtocolVersion, WireSellerId } from './requests.js';

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
  /** Protocol 2: what this server accepts, so a client refuses too much before sending it. */
  limits?: AuthLimits;
}

/** The server's limits, in the protocol-2 auth answer. */
export interface AuthLimits {
  /** Most characters (code points) of a message's text: the server's maxTextLength. */
  textLength: number;
}

/** The auth answer in protocol 1: `chats` keyed by chat id, as in the original README. */
export interface LegacyAuthResponse extends Omit<AuthResponse, 'chats' | 'protocol' | 'guest' | 'identified' | 'limits'> {
  chats: Record<string, WireChat>;
}

export interface StatusPush {
  chatId: number;
  status: boolean;
}

/** `chat`: to the seller, a new chat (or one reopened); to the buyer (protocol 2), the seller reopened this one. */
export interface ChatPush {
  id: number;
  /** The other side's name, as in WireChat. */
  chatter: string;
  sellerId: WireSellerId;
}

/** `history`: a page of older messages, oldest first. */
export interface HistoryAnswer {
  chatId: number;
  messages: WireMessage[];
  /** True when still older messages exist. */
  more: boolean;
}

/** Pushes that name only the chat: `typing` (the other side types), `close` (the seller closed it). */
export interface ChatIdPush {
  chatId: number;
}

/** `read`: the other side has read the receiver's messages up to `id`. */
export interface ReadPush {
  chatId: number;
  id: number;
}

/** `unread`: the receiver's own unread count changed (read or marked unread on another tab). */
export interface UnreadPush {
  chatId: number;
  unread: number;
}

/** `context`: to the seller, the buyer's page changed; to the buyer, the answer (no context: refused or unchanged). */
export interface ContextPush {
  chatId: number;
  context?: PageContext;
}

/** `chatter`: to the seller, a buyer's name changed (a guest gave one). */
export interface ChatterPush {
  chatId: number;
  chatter: string;
}

/** The `profile` answer: the buyer's name now, and whether an e-mail address is on file. */
export interface ProfileAnswer {
  name: string;
  email: boolean;
}

/** The `chats` answer: one page of the seller's inbox. */
export interface ChatsAnswer {
  filter: ChatsRequest['filter'];
  chats: WireChat[];
  /** Where the next page starts ("<lastActivity>.<id>"); null on the last page. */
  cursor: string | null;
  query?: string;
}

export interface WireReply {
  id: number;
  text: string;
}

/** The answer to `replies`, `saveReply` and `deleteReply`: the seller's quick replies now. */
export interface RepliesAnswer {
  replies: WireReply[];
}

/** Every frame the server sends with data, by command: answers to requests and pushes. */
export interface ServerFrame {
  auth: AuthResponse | LegacyAuthResponse;
  /** The confirmation of one's own message, or another's message pushed. */
  message: WireMessage;
  history: HistoryAnswer;
  status: StatusPush;
  chat: ChatPush;
  typing: ChatIdPush;
  read: ReadPush;
  unread: UnreadPush;
  close: ChatIdPush;
  context: ContextPush;
  chatter: ChatterPush;
  profile: ProfileAnswer;
  chats: ChatsAnswer;
  reopen: { chat: WireChat };
  replies: RepliesAnswer;
  saveReply: RepliesAnswer;
  deleteReply: RepliesAnswer;
}

export type ServerCommand = keyof ServerFrame;

/** What a client that asked for protocol 2 gets (the widget always does): the auth answer in its protocol-2 form. */
export interface ServerFrame2 extends Omit<ServerFrame, 'auth'> {
  auth: AuthResponse;
}

/** An error answer: named after the request it refuses ('error' when the frame could not be read). */
export interface ErrorFrame {
  command: ClientRequest['command'] | 'error' | (string & {});
  error: ErrorCode;
  data?: ErrorDetails;
}

export type DataFrame<K extends ServerCommand = ServerCommand> = { [C in K]: { command: C; data: ServerFrame[C]; error?: undefined } }[K];

/**
 * Every frame the server sends. A client tells an error by its `error` field, then switches on
 * `command` and has the data typed: `if (!frame.error) switch (frame.command) { case 'auth': frame.data… }`.
 */
export type ServerMessage = DataFrame | ErrorFrame;

/** A protocol-2 data frame: the command decides the data's type, as in DataFrame. */
export type DataFrame2<K extends keyof ServerFrame2 = keyof ServerFrame2> = { [C in K]: { command: C; data: ServerFrame2[C]; error?: undefined } }[K];

/** Every frame the server sends to a client that asked for protocol 2. */
export type ServerMessage2 = DataFrame2 | ErrorFrame;

/** The one way the server builds a data frame: the command decides the data's type. */
export function serverFrame<K extends ServerCommand>(command: K, data: ServerFrame[K]): { command: K; data: ServerFrame[K] } {
  return { command, data };
}

/** The one way the server builds an error frame (no `data` key when there is nothing to say). */
export function errorFrame(command: string, error: ErrorCode, data?: ErrorDetails): ErrorFrame {
  return data ? { command, error, data } : { command, error };
}

/** Seller ids are compared as strings; this gives back the wire form (a number when it is one). */
export function toWireSellerId(key: string): WireSellerId {
  return /^[1-9]\d{0,14}$/.test(key) ? Number(key) : key;
}
