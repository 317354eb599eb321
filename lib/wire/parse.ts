/**
 * Parsing and checking of incoming frames: bad input becomes an error code to answer with. No I/O.
 */
import type { ErrorCode } from './errors.js';
import { MAX_CLIENT_ID, MAX_IDENTITY, MAX_NAME, MAX_QUERY, MAX_REPLY, MAX_TOKEN } from './limits.js';
import type {
  AuthRequest,
  ChatIdRequest,
  ChatsRequest,
  ClientRequest,
  ContextRequest,
  HistoryRequest,
  MessageRequest,
  ProfileRequest,
  ReadRequest,
  SaveReplyRequest,
} from './requests.js';
import { hasVisible, isEmail, isId, isObject, isProtocol, isReadable, isSellerId, isString } from './validate.js';

export type ParseResult =
  | { ok: true; request: ClientRequest }
  /** clientId: the frame's own, when it had a usable one, so the error can name the message it refuses. */
  | { ok: false; command: string; error: ErrorCode; clientId?: string };

/** Raised inside the validators; turned into a ParseResult by parseFrame. */
class Invalid extends Error {
  constructor(readonly code: ErrorCode) {
    super(code);
  }
}

function optional<T>(value: unknown, check: (v: unknown) => v is T): T | undefined {
  if (value === undefined || value === null) return undefined;
  if (!check(value)) throw new Invalid('BAD_REQUEST');
  return value;
}

/** A chat id: a non-negative safe integer, or its canonical decimal string ("7"; not "07", "7.0", " 7"). */
function chatId(value: unknown): number {
  if (value === undefined || value === null) throw new Invalid('CHAT_ID_IS_REQUIRED');
  const id = typeof value === 'string' && /^(?:0|[1-9]\d{0,15})$/.test(value) ? Number(value) : value;
  // 0 is nobody's chat: it parses, and the ownership check answers CHAT_NOT_FOUND, as the original README does.
  if (!Number.isSafeInteger(id) || (id as number) < 0) throw new Invalid('BAD_REQUEST');
  return id as number;
}

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
  const request: AuthRequest = {
    token,
    name,
    sellerId: optional(d.sellerId, isSellerId),
    id: optional(d.id, isSellerId),
    since: parseSince(d.since),
    protocol: optional(d.protocol, isProtocol),
  };
  // The extension fields are set only when sent, so a request without them is exactly what it was.
  const identity = optional(d.identity, (v): v is string => isString(v) && v.length > 0 && v.length <= MAX_IDENTITY);
  if (identity !== undefined) request.identity = identity;
  const email = optional(d.email, isEmail);
  if (email !== undefined) request.email = email;
  if (d.context !== undefined && d.context !== null) request.context = d.context;
  return request;
}

function parseContext(d: Record<string, unknown>): ContextRequest {
  return { chatId: chatId(d.chatId), context: d.context ?? null };
}

function parseProfile(d: Record<string, unknown>): ProfileRequest {
  const request: ProfileRequest = {};
  if (d.name !== undefined && d.name !== null) {
    if (!isReadable(d.name) || d.name.length > MAX_NAME) throw new Invalid('BAD_REQUEST');
    if (!hasVisible(d.name)) throw new Invalid('NAME_IS_REQUIRED');
    request.name = d.name.trim();
  }
  const email = optional(d.email, isEmail);
  if (email !== undefined) request.email = email;
  if (request.name === undefined && request.email === undefined) throw new Invalid('BAD_REQUEST');
  return request;
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
  context: parseContext,
  profile: parseProfile,
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
