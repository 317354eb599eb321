/**
 * Wire types and the parsing/validation of incoming frames. No I/O here.
 * Every frame is `{command, data?, error?}` (see docs/PROTOCOL.md).
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
  | InboxRequest;

/** The seller's inbox (ext; lib/inbox-commands.ts). */
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

// ---- responses and pushes (server → client) ----

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
}

/** The auth answer in protocol 1: `chats` keyed by chat id, as in the original README. */
export interface LegacyAuthResponse extends Omit<AuthResponse, 'chats' | 'protocol'> {
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

// ---- parsing ----

export type ParseResult =
  | { ok: true; request: ClientRequest }
  /** clientId: the frame's own, when it had a usable one, so the error can name the message it refuses. */
  | { ok: false; command: string; error: ErrorCode; clientId?: string };

const MAX_CLIENT_ID = 64;
const MAX_NAME = 100;
const MAX_TOKEN = 256;

/** Raised inside the validators; turned into a ParseResult by parseFrame. */
class Invalid extends Error {
  constructor(readonly code: ErrorCode) {
    super(code);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isId(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0;
}

function optional<T>(value: unknown, check: (v: unknown) => v is T): T | undefined {
  if (value === undefined || value === null) return undefined;
  if (!check(value)) throw new Invalid('BAD_REQUEST');
  return value;
}

/** Most combining marks in a row a name or text may carry (more is "Zalgo" text that draws over its neighbours). */
export const MAX_COMBINING_RUN = 8;

// NUL is refused in every string: no person types it, and PostgreSQL cannot store it in text. A lone
// UTF-16 surrogate is no character at all: PostgreSQL would store it as U+FFFD, so two clientIds that
// differ only there would collide.
const LONE_SURROGATE = /\p{Cs}/u;
const isString = (v: unknown): v is string => typeof v === 'string' && !v.includes('\0') && !LONE_SURROGATE.test(v);

/**
 * Characters that show nothing on their own: white space, controls, format characters (zero-width
 * ones, bidi controls), default-ignorable ones (fillers, variation selectors), combining marks and the
 * blank braille pattern. A name or text made only of these would show as a blank entry or bubble.
 */
const INVISIBLE = /^[\s\p{Cc}\p{Cf}\p{M}\p{Default_Ignorable_Code_Point}\u2800]*$/u;
const COMBINING_RUN = new RegExp(`\\p{M}{${MAX_COMBINING_RUN + 1}}`, 'u');

/** Whether a person would see anything of `text`. */
export const hasVisible = (text: string): boolean => !INVISIBLE.test(text);

/** A name or text that people read: well-formed (isString) and without a run of combining marks over the cap. */
const isReadable = (v: unknown): v is string => isString(v) && !COMBINING_RUN.test(v);
const isSellerId = (v: unknown): v is WireSellerId =>
  (isString(v) && v.length > 0 && v.length <= 64) || isId(v);

/** A chat id: a non-negative safe integer, or its canonical decimal string ("7"; not "07", "7.0", " 7"). */
function chatId(value: unknown): number {
  if (value === undefined || value === null) throw new Invalid('CHAT_ID_IS_REQUIRED');
  const id = typeof value === 'string' && /^(?:0|[1-9]\d{0,15})$/.test(value) ? Number(value) : value;
  // 0 is nobody's chat: it parses, and the ownership check answers CHAT_NOT_FOUND, as the original README does.
  if (!Number.isSafeInteger(id) || (id as number) < 0) throw new Invalid('BAD_REQUEST');
  return id as number;
}

const isProtocol = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1;

function required<T>(value: unknown, check: (v: unknown) => v is T, missing: ErrorCode): T {
  if (value === undefined || value === null || value === '') throw new Invalid(missing);
  if (!check(value)) throw new Invalid('BAD_REQUEST');
  return value;
}

function parseSince(value: unknown): Record<string, number> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new Invalid('BAD_REQUEST');
  const since: Record<string, number> = {};
  for (const [chatId, lastId] of Object.entries(value)) {
    if (!/^[1-9]\d{0,15}$/.test(chatId) || !(Number.isSafeInteger(lastId) && (lastId as number) >= 0)) {
      throw new Invalid('BAD_REQUEST');
    }
    since[chatId] = lastId as number;
  }
  return since;
}

function parseAuth(d: Record<string, unknown>): AuthRequest {
  const token = optional(d.token, isString);
  const given = optional(d.name, isReadable);
  if ((token && token.length > MAX_TOKEN) || (given && given.length > MAX_NAME)) throw new Invalid('BAD_REQUEST');
  // A name nobody could see is no name: a buyer signing up without one gets NAME_IS_REQUIRED.
  const name = given !== undefined && hasVisible(given) ? given : undefined;
  return {
    token,
    name,
    sellerId: optional(d.sellerId, isSellerId),
    id: optional(d.id, isSellerId),
    since: parseSince(d.since),
    protocol: optional(d.protocol, isProtocol),
  };
}

function parseMessage(d: Record<string, unknown>): MessageRequest {
  const id = chatId(d.chatId);
  const text = required(d.text, isReadable, 'TEXT_IS_REQUIRED');
  if (!hasVisible(text)) throw new Invalid('TEXT_IS_REQUIRED');
  const clientDate = required(d.clientDate, (v): v is number => typeof v === 'number' && Number.isFinite(v), 'DATE_IS_REQUIRED');
  const clientId = optional(d.clientId, (v): v is string => isString(v) && v.length > 0 && v.length <= MAX_CLIENT_ID);
  return { chatId: id, text, clientDate, clientId };
}

function parseHistory(d: Record<string, unknown>): HistoryRequest {
  return {
    chatId: chatId(d.chatId),
    before: optional(d.before, isId),
    limit: optional(d.limit, isId),
  };
}

function parseChatId(d: Record<string, unknown>): ChatIdRequest {
  return { chatId: chatId(d.chatId) };
}

function parseRead(d: Record<string, unknown>): ReadRequest {
  return { chatId: chatId(d.chatId), id: required(d.id, isId, 'BAD_REQUEST') };
}

// ---- the seller's inbox (ext) ----

const FILTERS = ['open', 'unread', 'waiting', 'closed'] as const;
/** Longest search, and longest quick reply. */
export const MAX_QUERY = 100;
export const MAX_REPLY = 1000;

function parseChats(d: Record<string, unknown>): ChatsRequest {
  const filter = optional(d.filter, (v): v is ChatsRequest['filter'] => FILTERS.includes(v as never)) ?? 'open';
  const query = optional(d.query, (v): v is string => isString(v) && v.length <= MAX_QUERY)?.trim() || undefined;
  // The cursor is "<lastActivity>.<id>", as the answer before gave it.
  const raw = optional(d.cursor, (v): v is string => typeof v === 'string' && /^\d{1,16}\.[1-9]\d{0,15}$/.test(v));
  const [lastActivity, id] = raw ? raw.split('.').map(Number) : [];
  const cursor = raw && Number.isSafeInteger(lastActivity) && Number.isSafeInteger(id) ? { lastActivity: lastActivity!, id: id! } : undefined;
  if (raw && !cursor) throw new Invalid('BAD_REQUEST');
  return { filter, query, cursor, limit: optional(d.limit, isId) };
}

function parseSaveReply(d: Record<string, unknown>): SaveReplyRequest {
  const text = required(d.text, isString, 'TEXT_IS_REQUIRED').trim();
  if (text === '') throw new Invalid('TEXT_IS_REQUIRED');
  if ([...text].length > MAX_REPLY) throw new Invalid('TEXT_TOO_LONG');
  return { id: optional(d.id, isId), text };
}

const PARSERS: Record<ClientRequest['command'], (d: Record<string, unknown>) => unknown> = {
  auth: parseAuth,
  message: parseMessage,
  history: parseHistory,
  typing: parseChatId,
  read: parseRead,
  close: parseChatId,
  chats: parseChats,
  reopen: parseChatId,
  markUnread: parseChatId,
  replies: () => ({}),
  saveReply: parseSaveReply,
  deleteReply: (d) => ({ id: required(d.id, isId, 'BAD_REQUEST') }),
};

/** Parses one text frame. Never throws: bad input becomes an error code to answer with. */
export function parseFrame(raw: string): ParseResult {
  let frame: unknown;
  try {
    frame = JSON.parse(raw);
  } catch {
    return { ok: false, command: 'error', error: 'BAD_REQUEST' };
  }
  if (!isObject(frame) || typeof frame.command !== 'string' || frame.command.length > 32) {
    return { ok: false, command: 'error', error: 'BAD_REQUEST' };
  }
  const command = frame.command;
  if (!Object.hasOwn(PARSERS, command)) return { ok: false, command, error: 'UNKNOWN_COMMAND' };
  const data = frame.data ?? {};
  if (!isObject(data)) return { ok: false, command, error: 'BAD_REQUEST' };
  try {
    const parsed = PARSERS[command as ClientRequest['command']](data);
    return { ok: true, request: { command, data: parsed } as ClientRequest };
  } catch (error) {
    if (!(error instanceof Invalid)) throw error;
    const { clientId } = data;
    const usable = isString(clientId) && clientId.length > 0 && clientId.length <= MAX_CLIENT_ID;
    return usable ? { ok: false, command, error: error.code, clientId } : { ok: false, command, error: error.code };
  }
}

/** The clientId of a parsed message request, if any: error answers echo it. */
export function clientIdOf(request: ClientRequest): string | undefined {
  return request.command === 'message' ? request.data.clientId : undefined;
}

/** Seller ids are compared as strings; this gives back the wire form (a number when it is one). */
export function toWireSellerId(key: string): WireSellerId {
  return /^[1-9]\d{0,14}$/.test(key) ? Number(key) : key;
}
