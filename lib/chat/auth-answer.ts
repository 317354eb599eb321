/** The auth answer: the chats a person sees on signing in, shaped for the protocol version asked for. */
import type { Chat, Message, Side } from '../store/store.js';
import { protocolFor, type AuthRequest, type AuthResponse, type LegacyAuthResponse, type WireChat } from '../wire/index.js';
import type { ChatContext } from './context.js';
import { legacyChats, toWireChat } from './to-wire.js';

export interface AnswerFields {
  token?: string;
  chatId?: number;
  name: string;
  /** Protocol 2 only. */
  guest?: boolean;
  /** Protocol 2 only. */
  identified?: boolean;
}

/**
 * The auth answer in the version the request asked for: `chats` shaped for it, and `protocol`
 * saying which version the server speaks and `limits` when 2 or more was asked (protocol 1 stays
 * as it was).
 */
export function answer(ctx: ChatContext, request: AuthRequest, fields: AnswerFields, chats: WireChat[]): AuthResponse | LegacyAuthResponse {
  const protocol = protocolFor(request.protocol);
  const { guest, identified, ...original } = fields;
  if (protocol === 1) return { ...original, chats: legacyChats(chats) };
  const limits = { textLength: ctx.options.maxTextLength };
  return { ...original, chats, protocol, limits, ...(guest ? { guest } : {}), ...(identified ? { identified } : {}) };
}

/**
 * The recent messages of each chat (the newest historyLimit + 1, or those after `since[chat.id]`),
 * in one store call when the store reads in batches.
 */
export async function recentMessages(ctx: ChatContext, chats: readonly Chat[], since: Record<string, number> | undefined): Promise<Message[][]> {
  const limit = ctx.options.historyLimit + 1;
  if (chats.length === 0) return [];
  if (ctx.store.listRecentMessages) {
    const after = new Map<number, number>();
    for (const chat of chats) {
      const from = since?.[String(chat.id)];
      if (from !== undefined) after.set(chat.id, from);
    }
    return ctx.store.listRecentMessages(chats.map((chat) => chat.id), { limit, after });
  }
  return Promise.all(chats.map((chat) => ctx.store.listMessages(chat.id, { limit, after: since?.[String(chat.id)] })));
}

/** One chat as the receiver sees it, from its recent messages (historyLimit + 1 of them tell `more`). */
export function toView(ctx: ChatContext, chat: Chat, receiver: Side, chatter: string, online: boolean, messages: Message[]): WireChat {
  const more = messages.length > ctx.options.historyLimit;
  if (more) messages = messages.slice(1);
  return toWireChat({ chat, receiver, chatter, online, messages, more });
}

/** One chat as the receiver sees it: the newest messages, or those after `since[chat.id]`. */
export async function chatView(
  ctx: ChatContext,
  chat: Chat,
  receiver: Side,
  chatter: string,
  online: boolean,
  since: Record<string, number> | undefined,
): Promise<WireChat> {
  const limit = ctx.options.historyLimit;
  const after = since?.[String(chat.id)];
  const messages = await ctx.store.listMessages(chat.id, { limit: limit + 1, after });
  const more = messages.length > limit;
  if (more) messages.shift();
  return toWireChat({ chat, receiver, chatter, online, messages, more });
}

/** Most characters of message text one seller auth answer carries; older messages are paged with history. */
const AUTH_TEXT_BUDGET = 256 * 1024;

/**
 * Keeps a seller's auth answer bounded whatever buyers wrote: chats are newest activity first, and
 * once the budget is spent each further chat keeps only its newest message (the list's preview),
 * marked `more` so the client pages the rest with history.
 */
export function trimToBudget(views: WireChat[]): void {
  let budget = AUTH_TEXT_BUDGET;
  for (const view of views) {
    let keep = 0;
    for (let i = view.messages.length - 1; i >= 0; i--) {
      const cost = view.messages[i]!.text.length;
      if (keep > 0 && cost > budget) break;
      budget -= cost;
      keep++;
    }
    if (keep < view.messages.length) {
      view.messages = view.messages.slice(-keep);
      view.more = true;
    }
  }
}
