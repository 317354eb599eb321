/** Commands of a signed-in socket: message, history, typing, read, close; and the one table that dispatches them all. */
import { buyerKey, sellerKey } from '../bus/bus.js';
import type { ChatContext } from './context.js';
import { ChatError, MessageRejected } from '../wire/index.js';
import type { ChatIdRequest, ClientRequest, HistoryRequest, MessageRequest, ReadRequest } from '../wire/index.js';
import { ChatClosedError, type SellerKey } from '../store/store.js';
import type { ChatConnection, Session } from './session.js';
import { handleAuth } from './auth.js';
import { INBOX_COMMANDS } from './inbox-commands.js';
import { buyerOnly, sellerOnly, type CommandTable, type Handler, type RequestData, type SignedInCommand } from './command-table.js';
import { toWireMessage } from './to-wire.js';
import { toWireSellerId } from '../wire/index.js';
import { contextCommand } from './context-update.js';
import { profileCommand } from './profile.js';

/** Most messages one history page may carry, whatever the client asks. */
const MAX_HISTORY_PAGE = 200;

/** Every command of a signed-in socket, by name: the one dispatch table. */
const COMMANDS: CommandTable<SignedInCommand> = {
  message: sendMessage,
  history,
  typing: (ctx, _connection, session, data) => typing(ctx, session, data),
  read: (ctx, _connection, session, data) => read(ctx, session, data),
  close: sellerOnly((ctx, _connection, session, data) => closeChat(ctx, session, data)),
  context: buyerOnly(contextCommand),
  profile: buyerOnly(profileCommand),
  ...INBOX_COMMANDS,
};

export async function handleRequest(ctx: ChatContext, connection: ChatConnection, request: ClientRequest): Promise<void> {
  if (request.command === 'auth') return handleAuth(ctx, connection, request.data);
  return run(ctx, connection, request.command, request.data);
}

function run<K extends SignedInCommand>(ctx: ChatContext, connection: ChatConnection, command: K, data: RequestData<K>): Promise<void> {
  const handler: Handler<K> = COMMANDS[command];
  // Connection dispatches nothing but auth before a sign-in.
  return handler(ctx, connection, connection.session!, data);
}

/** The chat a frame names, with its seller. */
interface ChatRef {
  id: number;
  sellerId: SellerKey;
}

/**
 * The chat, if the session may use it. Someone else's chat answers exactly like a missing one, so
 * nobody can probe which chat ids exist. No store read where none is needed: a buyer's session was
 * bound to its own chat at auth, and a chat's seller never changes (so it is cached). Whether the
 * chat is closed is the store's to check, atomically with the write.
 */
async function ownChat(ctx: ChatContext, session: Session, chatId: number): Promise<ChatRef> {
  if (session.side === 'buyer') {
    if (chatId !== session.chatId) throw new ChatError('CHAT_NOT_FOUND');
    return { id: chatId, sellerId: session.sellerId };
  }
  let sellerId = ctx.chatSellers.get(chatId);
  if (sellerId === undefined) {
    sellerId = (await ctx.store.getChat(chatId))?.sellerId;
    if (sellerId !== undefined) ctx.chatSellers.set(chatId, sellerId);
  }
  if (sellerId !== session.sellerId) throw new ChatError('CHAT_NOT_FOUND');
  return { id: chatId, sellerId };
}

/** Characters as a person counts them (code points), not UTF-16 units. */
function textLength(text: string): number {
  return [...text].length;
}

async function sendMessage(ctx: ChatContext, connection: ChatConnection, session: Session, request: MessageRequest): Promise<void> {
  const { store, hub, options } = ctx;
  if (request.text.length > options.maxTextLength && textLength(request.text) > options.maxTextLength) {
    throw new ChatError('TEXT_TOO_LONG');
  }
  const chat = await ownChat(ctx, session, request.chatId);
  if (options.requireOnline) {
    const peer = session.side === 'buyer' ? sellerKey(chat.sellerId) : buyerKey(chat.id);
    const [online] = await hub.isOnline([peer]);
    if (!online) throw new ChatError('USER_IS_NOT_ONLINE');
  }
  const text = await screenText(ctx, session, chat, request.text);
  // A failed append may still have stored the message (e.g. in memory, with the file write failing):
  // remember it, so that the resend, answered as a duplicate, publishes what nobody was told of.
  const retryKey = request.clientId === undefined ? undefined : `${chat.id}:${session.side}:${request.clientId}`;
  let result;
  try {
    result = await store.appendMessage({
      chatId: chat.id,
      from: session.side,
      text,
      clientDate: request.clientDate,
      clientId: request.clientId,
      // The page the buyer wrote from, for the seller's log (set only when there is one).
      ...(session.side === 'buyer' && session.context ? { context: session.context } : {}),
    });
  } catch (error) {
    // The seller closed the chat while this message was on its way (the check above came first).
    if (error instanceof ChatClosedError) throw new ChatError('CHAT_CLOSED');
    if (retryKey) ctx.unannounced.set(retryKey, true);
    throw error;
  }
  const { message, duplicate } = result;
  // Confirm only now: the store has written it. A duplicate gets the original confirmation and no
  // push, unless its first attempt failed before anyone heard of it.
  connection.send('message', toWireMessage(message, session.side));
  if (duplicate && !(retryKey && ctx.unannounced.delete(retryKey))) return;
  await hub.publish({ type: 'message', sellerId: chat.sellerId, message, origin: connection.id });
  ctx.unread?.noted(chat.sellerId, message);
  ctx.events.emit('message', { ...message, sellerId: toWireSellerId(chat.sellerId) });
}

/** Runs the host's beforeMessage hook: the text to store, or a MESSAGE_REJECTED error. */
async function screenText(ctx: ChatContext, session: Session, chat: ChatRef, text: string): Promise<string> {
  const hook = ctx.options.beforeMessage;
  if (!hook) return text;
  let result: string | null;
  try {
    result = await hook({ text, chatId: chat.id, sellerId: toWireSellerId(chat.sellerId), from: session.side, name: session.name });
  } catch (error) {
    if (error instanceof MessageRejected) throw new ChatError('MESSAGE_REJECTED', { reason: error.reason });
    throw error;
  }
  if (result === null) throw new ChatError('MESSAGE_REJECTED', { reason: 'REJECTED' });
  if (typeof result !== 'string' || result.trim() === '') throw new Error('beforeMessage must return a non-empty string or null');
  return result;
}

async function history(ctx: ChatContext, connection: ChatConnection, session: Session, request: HistoryRequest): Promise<void> {
  const chat = await ownChat(ctx, session, request.chatId);
  const limit = Math.min(request.limit ?? ctx.options.historyLimit, MAX_HISTORY_PAGE);
  const messages = await ctx.store.listMessages(chat.id, { limit: limit + 1, before: request.before });
  const more = messages.length > limit;
  if (more) messages.shift();
  connection.send('history', { chatId: chat.id, messages: messages.map((m) => toWireMessage(m, session.side, session.protocol >= 2)), more });
}

async function typing(ctx: ChatContext, session: Session, request: ChatIdRequest): Promise<void> {
  const chat = await ownChat(ctx, session, request.chatId);
  await ctx.hub.publish({ type: 'typing', sellerId: chat.sellerId, chatId: chat.id, from: session.side });
}

async function read(ctx: ChatContext, session: Session, request: ReadRequest): Promise<void> {
  await ownChat(ctx, session, request.chatId);
  const chat = await ctx.store.markRead(request.chatId, session.side, request.id);
  if (!chat) throw new ChatError('CHAT_NOT_FOUND');
  await ctx.hub.publish({
    type: 'read',
    sellerId: chat.sellerId,
    chatId: chat.id,
    side: session.side,
    id: chat.readIds[session.side],
    unread: chat.unread[session.side],
  });
}

async function closeChat(ctx: ChatContext, session: Session, request: ChatIdRequest): Promise<void> {
  await ownChat(ctx, session, request.chatId);
  const chat = await ctx.store.closeChat(request.chatId);
  if (!chat) throw new ChatError('CHAT_NOT_FOUND');
  await ctx.hub.publish({ type: 'closed', sellerId: chat.sellerId, chatId: chat.id });
}
