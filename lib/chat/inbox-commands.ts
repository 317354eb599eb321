/**
 * The seller's inbox commands (ext): chats (a page of the list, a filter, a search), reopen,
 * markUnread, and the quick replies. Seller only (a buyer gets FORBIDDEN); a store without the
 * optional inbox methods makes them UNKNOWN_COMMAND. Answers go to the asking socket; a reopened
 * chat is announced with the `chat` push to the seller's sockets and the buyer's (protocol 2), a
 * chat marked unread with `unread`.
 */
import { buyerKey } from '../bus/bus.js';
import type { ChatContext } from './context.js';
import { ChatError } from '../wire/index.js';
import type { ChatIdRequest, ChatsAnswer, ChatsRequest, InboxRequest, SaveReplyRequest, WireChat } from '../wire/index.js';
import type { ChatConnection, Session } from './session.js';
import { sellerOnly, type CommandTable } from './command-table.js';
import { ChatOpenError, ReplyLimitError, type Chat, type SellerKey, type Store } from '../store/store.js';
import { toWireChat } from './to-wire.js';

/** A page of chats: 50 unless asked, at most 200. */
const PAGE = 50;
const MAX_PAGE = 200;

/** The inbox's commands, all the seller's. */
export const INBOX_COMMANDS: CommandTable<InboxRequest['command']> = {
  chats: sellerOnly(chats),
  reopen: sellerOnly(reopen),
  markUnread: sellerOnly((ctx, _connection, session, data) => markUnread(ctx, session.sellerId, data)),
  replies: sellerOnly((ctx, connection, session) => replies(ctx, connection, session.sellerId)),
  saveReply: sellerOnly((ctx, connection, session, data) => saveReply(ctx, connection, session.sellerId, data)),
  deleteReply: sellerOnly((ctx, connection, session, data) => deleteReply(ctx, connection, session.sellerId, data.id)),
};

/** The store's optional method, or UNKNOWN_COMMAND: this server cannot do it. */
function method<K extends keyof Store>(ctx: ChatContext, name: K): NonNullable<Store[K]> {
  const fn = ctx.store[name];
  if (typeof fn !== 'function') throw new ChatError('UNKNOWN_COMMAND');
  return (fn as (...args: never[]) => unknown).bind(ctx.store) as NonNullable<Store[K]>;
}

/** The seller's chat, or CHAT_NOT_FOUND (someone else's answers exactly like a missing one). */
async function ownChat(ctx: ChatContext, sellerId: SellerKey, chatId: number): Promise<Chat> {
  const chat = await ctx.store.getChat(chatId);
  if (!chat || chat.sellerId !== sellerId) throw new ChatError('CHAT_NOT_FOUND');
  return chat;
}

/**
 * Chats as the list shows them: each with its newest message only (`more` when it has others). In
 * protocol 1 own messages carry no clientDate/clientId, as in that version's auth answer.
 */
async function listed(ctx: ChatContext, session: Session, list: Chat[]): Promise<WireChat[]> {
  const online = await ctx.hub.isOnline(list.map((chat) => buyerKey(chat.id)));
  return Promise.all(list.map((chat, i) => listedChat(ctx, session, chat, online[i] ?? false)));
}

async function listedChat(ctx: ChatContext, session: Session, chat: Chat, online: boolean): Promise<WireChat> {
  const messages = await ctx.store.listMessages(chat.id, { limit: 1 });
  const wire = toWireChat({ chat, receiver: 'seller', chatter: chat.chatter, online, messages, more: chat.lastMessageId > 1 });
  if (session.protocol < 2) {
    wire.messages = wire.messages.map(({ clientDate: _date, clientId: _id, context: _context, ...m }) => m);
    // The page context is protocol 2's.
    delete wire.context;
  }
  return wire;
}

async function chats(ctx: ChatContext, connection: ChatConnection, session: Session, request: ChatsRequest): Promise<void> {
  const { sellerId } = session;
  const find = method(ctx, 'findChats');
  const limit = Math.min(request.limit ?? PAGE, MAX_PAGE);
  const page = await find(sellerId, { filter: request.filter, query: request.query, limit, after: request.cursor });
  const data: ChatsAnswer = {
    filter: request.filter,
    chats: await listed(ctx, session, page.chats),
    cursor: page.next && `${page.next.lastActivity}.${page.next.id}`,
  };
  if (request.query !== undefined) data.query = request.query;
  connection.send('chats', data);
}

async function reopen(ctx: ChatContext, connection: ChatConnection, session: Session, request: ChatIdRequest): Promise<void> {
  const { sellerId } = session;
  const reopenChat = method(ctx, 'reopenChat');
  await ownChat(ctx, sellerId, request.chatId);
  let chat: Chat | null;
  try {
    chat = await reopenChat(request.chatId);
  } catch (error) {
    if (error instanceof ChatOpenError) throw new ChatError('CHAT_ALREADY_OPEN');
    throw error;
  }
  if (!chat) throw new ChatError('CHAT_NOT_FOUND');
  const [online = false] = await ctx.hub.isOnline([buyerKey(chat.id)]);
  connection.send('reopen', { chat: await listedChat(ctx, session, chat, online) });
  // The seller's other tabs put it back in their lists, the buyer's open tabs take messages again
  // (the `chat` push: a chat starts again).
  await ctx.hub.publish({ type: 'chat', sellerId, chatId: chat.id, chatter: chat.chatter, sellerName: session.name });
}

async function markUnread(ctx: ChatContext, sellerId: SellerKey, request: ChatIdRequest): Promise<void> {
  const mark = method(ctx, 'markUnread');
  await ownChat(ctx, sellerId, request.chatId);
  const chat = await mark(request.chatId, 'seller');
  if (!chat) throw new ChatError('CHAT_NOT_FOUND');
  // Every tab of the seller gets the new count (`unread`); the buyer's "Seen" never moves back.
  await ctx.hub.publish({ type: 'read', sellerId, chatId: chat.id, side: 'seller', id: chat.readIds.seller, unread: chat.unread.seller });
}

async function sendReplies(ctx: ChatContext, connection: ChatConnection, sellerId: SellerKey, command: 'replies' | 'saveReply' | 'deleteReply'): Promise<void> {
  const list = await method(ctx, 'listReplies')(sellerId);
  connection.send(command, { replies: list });
}

function replies(ctx: ChatContext, connection: ChatConnection, sellerId: SellerKey): Promise<void> {
  return sendReplies(ctx, connection, sellerId, 'replies');
}

async function saveReply(ctx: ChatContext, connection: ChatConnection, sellerId: SellerKey, request: SaveReplyRequest): Promise<void> {
  const save = method(ctx, 'saveReply');
  let saved;
  try {
    saved = await save(sellerId, request.id === undefined ? { text: request.text } : { id: request.id, text: request.text });
  } catch (error) {
    if (error instanceof ReplyLimitError) throw new ChatError('LIMIT_REACHED');
    throw error;
  }
  if (!saved) throw new ChatError('REPLY_NOT_FOUND');
  await sendReplies(ctx, connection, sellerId, 'saveReply');
}

async function deleteReply(ctx: ChatContext, connection: ChatConnection, sellerId: SellerKey, id: number): Promise<void> {
  if (!(await method(ctx, 'deleteReply')(sellerId, id))) throw new ChatError('REPLY_NOT_FOUND');
  await sendReplies(ctx, connection, sellerId, 'deleteReply');
}
