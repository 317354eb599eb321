/** The auth command: seller sign-in, buyer sign-up and buyer sign-in. */
import { buyerKey, sellerKey } from './bus/bus.js';
import type { Connection } from './connection.js';
import type { ChatContext } from './context.js';
import { ChatError } from './errors.js';
import type { AuthRequest, WireChat } from './protocol.js';
import { protocolFor } from './protocol.js';
import type { Chat, Message, Side } from './store/store.js';
import { hashToken, newToken } from './tokens.js';
import type { Session } from './session.js';
import { toWireChat, wireChats } from './wire.js';

export async function handleAuth(ctx: ChatContext, connection: Connection, request: AuthRequest): Promise<void> {
  // A request naming its own `id` is a seller's (the original README's shape); anything else is a buyer's.
  if (request.id !== undefined) return sellerAuth(ctx, connection, request);
  return buyerAuth(ctx, connection, request);
}

async function sellerAuth(ctx: ChatContext, connection: Connection, request: AuthRequest): Promise<void> {
  const { id, token } = request;
  if (id === undefined || !token) throw new ChatError('USER_IS_NOT_SELLER');
  const sellerId = String(id);
  // Guessing tokens: while this address or seller id waits after its failures, nothing is checked.
  const wait = ctx.sellerSignIns.retryAfter(connection.ip, sellerId);
  if (wait > 0) throw new ChatError('RATE_LIMITED', { retryAfterMs: Math.ceil(wait) });
  const seller = await ctx.options.authSeller({ id, token });
  // The seller the host vouched for must be the one asked for: a host that finds sellers by token
  // alone would otherwise let any seller open another's chats by naming its id.
  if (!seller || String(seller.id) !== sellerId) {
    ctx.sellerSignIns.failed(connection.ip, sellerId);
    throw new ChatError('USER_IS_NOT_SELLER');
  }
  ctx.sellerSignIns.succeeded(connection.ip, sellerId);
  ctx.sellerNames.set(sellerId, seller.name);

  // Join the hub before reading, so nothing that happens meanwhile is missed; pushes wait for the answer.
  const protocol = protocolFor(request.protocol);
  await signIn(ctx, connection, { side: 'seller', sellerId, name: seller.name, protocol }, async () => {
    const chats = await ctx.store.listChats(sellerId, { limit: ctx.options.chatListLimit });
    // Presence and every chat's recent messages at once: a constant number of round trips.
    const [online, recent] = await Promise.all([
      ctx.hub.isOnline(chats.map((chat) => buyerKey(chat.id))),
      recentMessages(ctx, chats, request.since),
    ]);
    const views = chats.map((chat, i) => toView(ctx, chat, 'seller', chat.chatter, online[i] ?? false, recent[i]!));
    trimToBudget(views);
    connection.send({ command: 'auth', data: answer(request, { name: seller.name }, views) });
  });
}

/**
 * Marks the socket signed in and joins the hub, then runs `answer` with pushes held back until it
 * has sent the auth answer. If answering fails, the socket is signed out again (and left the hub).
 */
async function signIn(ctx: ChatContext, connection: Connection, session: Session, answer: () => Promise<void>): Promise<void> {
  connection.signedIn(session);
  connection.holdPushes();
  try {
    await ctx.hub.add(connection);
    await answer();
    connection.releasePushes();
  } catch (error) {
    connection.signedOut();
    await ctx.hub.remove(connection, session).catch(() => {});
    throw error;
  }
}

async function buyerAuth(ctx: ChatContext, connection: Connection, request: AuthRequest): Promise<void> {
  const { store, options, hub } = ctx;
  if (request.sellerId === undefined) throw new ChatError('SELLER_ID_IS_REQUIRED');
  let sellerId = String(request.sellerId);
  if (options.findSeller) {
    const seller = await options.findSeller(request.sellerId);
    if (!seller) throw new ChatError('SELLER_NOT_FOUND');
    // The host's id is the canonical one: "010" and 10 must not become two sellers' chats.
    sellerId = String(seller.id);
    ctx.sellerNames.set(sellerId, seller.name);
  }

  let token: string | undefined;
  let buyer;
  if (request.token) {
    buyer = await store.findBuyerByTokenHash(hashToken(request.token));
    if (!buyer) throw new ChatError('USER_NOT_FOUND');
  } else {
    const name = request.name?.trim();
    if (!name) throw new ChatError('NAME_IS_REQUIRED');
    if (!ctx.signUps.take(connection.ip)) throw new ChatError('RATE_LIMITED');
    token = newToken();
    buyer = await store.createBuyer({ name, tokenHash: hashToken(token) });
  }

  // A sign-in with a token may open a chat with a seller this buyer never wrote to: that costs
  // storage and a place in the seller's list, so it counts like a sign-up, per address and per buyer.
  const pair = `${buyer.id}:${sellerId}`;
  // (A sign-up's first chat is counted as the sign-up.)
  const reserved = !request.token || ctx.knownChats.get(pair) ? [] : reserveNewChat(ctx, connection.ip, buyer.id);
  let opened;
  try {
    opened = await store.openChat({ buyerId: buyer.id, sellerId, chatter: buyer.name });
  } catch (error) {
    for (const key of reserved) ctx.signUps.refund(key);
    throw error;
  }
  const { chat, created } = opened;
  if (!created) for (const key of reserved) ctx.signUps.refund(key);
  ctx.knownChats.set(pair, true);
  if (created) {
    await hub.publish({ type: 'chat', sellerId, chatId: chat.id, chatter: chat.chatter });
    ctx.events.emit('chat', { id: chat.id, chatter: chat.chatter, sellerId: request.sellerId });
  }

  const protocol = protocolFor(request.protocol);
  const session: Session = { side: 'buyer', sellerId, chatId: chat.id, buyerId: buyer.id, name: buyer.name, protocol };
  await signIn(ctx, connection, session, async () => {
    const [online = false] = await hub.isOnline([sellerKey(sellerId)]);
    const view = await chatView(ctx, chat, 'buyer', ctx.sellerNames.get(sellerId) ?? sellerId, online, request.since);
    const fields = token ? { token, chatId: chat.id, name: buyer.name } : { chatId: chat.id, name: buyer.name };
    connection.send({ command: 'auth', data: answer(request, fields, [view]) });
    connection.send({ command: 'status', data: { chatId: chat.id, status: online } });
  });
}

/**
 * The auth answer in the version the request asked for: `chats` shaped for it, and `protocol`
 * saying which version the server speaks when 2 or more was asked (protocol 1 stays as it was).
 */
function answer(request: AuthRequest, fields: { token?: string; chatId?: number; name: string }, chats: WireChat[]) {
  const protocol = protocolFor(request.protocol);
  const data = { ...fields, chats: wireChats(chats, protocol) };
  return request.protocol === undefined || request.protocol < 2 ? data : { ...data, protocol };
}

/** Takes a new chat's share of signUpRateLimit from the address and the buyer, or refuses it. */
function reserveNewChat(ctx: ChatContext, ip: string, buyerId: number | string): string[] {
  const taken: string[] = [];
  for (const key of [ip, `buyer:${buyerId}`]) {
    if (!ctx.signUps.take(key)) {
      for (const back of taken) ctx.signUps.refund(back);
      throw new ChatError('RATE_LIMITED');
    }
    taken.push(key);
  }
  return taken;
}

/**
 * The recent messages of each chat (the newest historyLimit + 1, or those after `since[chat.id]`),
 * in one store call when the store reads in batches.
 */
async function recentMessages(ctx: ChatContext, chats: readonly Chat[], since: Record<string, number> | undefined): Promise<Message[][]> {
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
function toView(ctx: ChatContext, chat: Chat, receiver: Side, chatter: string, online: boolean, messages: Message[]): WireChat {
  const more = messages.length > ctx.options.historyLimit;
  if (more) messages = messages.slice(1);
  return toWireChat({ chat, receiver, chatter, online, messages, more });
}

/** One chat as the receiver sees it: the newest messages, or those after `since[chat.id]`. */
async function chatView(
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
function trimToBudget(views: WireChat[]): void {
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
