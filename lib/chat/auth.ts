/**
 * The auth command: seller sign-in, buyer sign-up and buyer sign-in; and, when the host gives them,
 * people the host identified (its session, or a signed identity) and the buyer's page context.
 */
import { randomInt } from 'node:crypto';
import { buyerKey, sellerKey } from '../bus/bus.js';
import { updateContext } from './context-update.js';
import { checkIdentity, IdentityRefused, verifyIdentity, type IdentitySide, type VerifiedIdentity } from './identity.js';
import type { ChatContext } from './context.js';
import { ChatError, isSellerId, protocolFor, type AuthRequest, type ErrorCode, type ErrorDetails } from '../wire/index.js';
import type { Buyer, Chat, Message, SellerKey, Side } from '../store/store.js';
import { hashToken, newToken } from './tokens.js';
import type { ChatConnection, Session } from './session.js';
import { answer, chatView, recentMessages, toView, trimToBudget, type AnswerFields } from './auth-answer.js';

export async function handleAuth(ctx: ChatContext, connection: ChatConnection, request: AuthRequest): Promise<void> {
  // A request naming its own `id` is a seller's (the original README's shape); anything else is a buyer's,
  // unless it names no seller either and the host vouches for a seller (signed identity, or its session).
  if (request.id !== undefined) return sellerAuth(ctx, connection, request);
  if (request.sellerId === undefined) {
    const seller = await hostPerson(ctx, connection, request, 'seller');
    if (seller) return signInSeller(ctx, connection, request, seller.id, seller.name);
  }
  return buyerAuth(ctx, connection, request);
}

/**
 * Who the host says this socket is, for `side`: the request's signed identity (refused with
 * IDENTITY_INVALID, never ignored, when it does not check out), else the host's identify hook with
 * the upgrade request; null when neither applies or the hook answers null.
 */
async function hostPerson(ctx: ChatContext, connection: ChatConnection, request: AuthRequest, side: IdentitySide): Promise<VerifiedIdentity | null> {
  const { options } = ctx;
  if (request.identity !== undefined) {
    if (!options.identitySecret) throw new ChatError('IDENTITY_INVALID', { reason: 'invalid' });
    try {
      return await verifyIdentity(request.identity, options.identitySecret, side);
    } catch (error) {
      if (error instanceof IdentityRefused) throw new ChatError('IDENTITY_INVALID', { reason: error.reason });
      throw error;
    }
  }
  const hook = side === 'buyer' ? options.identifyBuyer : options.identifySeller;
  if (!hook || !connection.upgrade) return null;
  const name = side === 'buyer' ? 'identifyBuyer' : 'identifySeller';
  let answer;
  try {
    answer = await hook(connection.upgrade);
  } catch (error) {
    // A session store's error may quote the session (a customer's address): only its kind is logged.
    ctx.options.logger.error(`${name} failed: ${error instanceof Error ? error.name : 'error'}`);
    throw new ChatError('INTERNAL_ERROR');
  }
  if (answer === null || answer === undefined) return null;
  try {
    return checkIdentity(answer, side === 'buyer', name);
  } catch (error) {
    ctx.options.logger.error((error as Error).message);
    throw new ChatError('INTERNAL_ERROR');
  }
}

async function sellerAuth(ctx: ChatContext, connection: ChatConnection, request: AuthRequest): Promise<void> {
  const { id, token } = request;
  if (id === undefined || !token) throw new ChatError('USER_IS_NOT_SELLER');
  const sellerId = String(id);
  // Guessing tokens: while this address or seller id waits after its failures, nothing is checked.
  const wait = ctx.sellerSignIns.retryAfter(connection.ip, sellerId);
  if (wait > 0) throw new ChatError('RATE_LIMITED', { retryAfterMs: Math.ceil(wait) });
  const seller = await ctx.options.authSeller({ id, token });
  // The seller the host vouched for must be the one asked for: a host that finds sellers by token
  // alone would otherwise let any seller open another's chats by naming its id.
  if (!seller || !isSellerId(seller.id) || String(seller.id) !== sellerId) {
    ctx.sellerSignIns.failed(connection.ip, sellerId);
    throw new ChatError('USER_IS_NOT_SELLER');
  }
  ctx.sellerSignIns.succeeded(connection.ip, sellerId);
  return signInSeller(ctx, connection, request, sellerId, seller.name);
}

async function signInSeller(ctx: ChatContext, connection: ChatConnection, request: AuthRequest, sellerId: SellerKey, name: string): Promise<void> {
  ctx.sellerNames.set(sellerId, name);
  // Join the hub before reading, so nothing that happens meanwhile is missed; pushes wait for the answer.
  const protocol = protocolFor(request.protocol);
  await signIn(ctx, connection, { side: 'seller', sellerId, name, protocol }, async () => {
    const chats = await ctx.store.listChats(sellerId, { limit: ctx.options.chatListLimit });
    // Presence and every chat's recent messages at once: a constant number of round trips.
    const [online, recent] = await Promise.all([
      ctx.hub.isOnline(chats.map((chat) => buyerKey(chat.id))),
      recentMessages(ctx, chats, request.since),
    ]);
    const views = chats.map((chat, i) => toView(ctx, chat, 'seller', chat.chatter, online[i] ?? false, recent[i]!));
    trimToBudget(views);
    connection.send('auth', answer(ctx, request, { name }, views));
  });
}

/**
 * Marks the socket signed in and joins the hub, then runs `answer` with pushes held back until it
 * has sent the auth answer. If answering fails, the socket is signed out again (and left the hub).
 */
async function signIn(ctx: ChatContext, connection: ChatConnection, session: Session, answer: () => Promise<void>): Promise<void> {
  try {
    await connection.signIn(session, async () => {
      await ctx.hub.add(connection);
      await answer();
    });
  } catch (error) {
    await ctx.hub.remove(connection, session).catch(() => {});
    throw error;
  }
}

async function buyerAuth(ctx: ChatContext, connection: ChatConnection, request: AuthRequest): Promise<void> {
  const { store, options, hub } = ctx;
  if (request.sellerId === undefined) throw new ChatError('SELLER_ID_IS_REQUIRED');
  let sellerId = String(request.sellerId);
  if (options.findSeller) {
    const seller = await options.findSeller(request.sellerId);
    // An answer without a usable id (a host's lookup that found an object's own property, say) finds nobody.
    if (!seller || !isSellerId(seller.id)) throw new ChatError('SELLER_NOT_FOUND');
    // The host's id is the canonical one: "010" and 10 must not become two sellers' chats.
    sellerId = String(seller.id);
    ctx.sellerNames.set(sellerId, seller.name);
  }

  let token: string | undefined;
  let buyer: Buyer | null;
  // The host's customer, when the host says who this is: the same buyer on every device, no token.
  // A client of the original README (protocol 1) that sends a name or token keeps its flows exactly,
  // token in the answer included; the widget (protocol 2) is the host's customer whatever it holds.
  const original = (request.protocol ?? 1) < 2 && request.identity === undefined && (request.token !== undefined || request.name !== undefined);
  const host = original ? null : await hostPerson(ctx, connection, request, 'buyer');
  if (host) {
    // The token of an identified buyer is never handed out: the host's session is their key.
    ({ buyer } = await store.upsertBuyer!({
      externalId: host.id,
      name: host.name,
      tokenHash: hashToken(newToken()),
      ...(host.email !== undefined ? { email: host.email } : {}),
    }));
  } else if (request.token) {
    buyer = await store.findBuyerByTokenHash(hashToken(request.token));
    if (!buyer) throw new ChatError('USER_NOT_FOUND');
    if (request.email !== undefined && request.email !== buyer.email && store.updateBuyer) {
      buyer = (await store.updateBuyer(buyer.id, { email: request.email })) ?? buyer;
    }
  } else {
    const name = request.name?.trim();
    // A guest (nameRequired: false) writes first and may give a name later.
    if (!name && options.nameRequired) throw new ChatError('NAME_IS_REQUIRED');
    if (!ctx.signUps.take(connection.ip)) throw new ChatError('RATE_LIMITED');
    token = newToken();
    buyer = await store.createBuyer({
      name: name || guestName(),
      tokenHash: hashToken(token),
      ...(request.email !== undefined ? { email: request.email } : {}),
      ...(name ? {} : { guest: true }),
    });
  }

  // A sign-in with a token may open a chat with a seller this buyer never wrote to: that costs
  // storage and a place in the seller's list, so it counts like a sign-up, per address and per buyer.
  const pair = `${buyer.id}:${sellerId}`;
  // (A sign-up's first chat is counted as the sign-up.)
  const reserved = token !== undefined || ctx.knownChats.get(pair) ? [] : reserveNewChat(ctx, connection.ip, buyer.id);
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
  if (host) session.externalId = host.id;

  // The page context takes effect before the answer (which then shows it); a bad one is refused on
  // its own, after the answer: the sign-in goes on as if none had been sent.
  let refusal: { code: ErrorCode; details?: ErrorDetails } | undefined;
  if (request.context !== undefined) {
    try {
      const context = await updateContext(ctx, session, request.context, chat.context);
      if (context) chat.context = context;
    } catch (error) {
      if (!(error instanceof ChatError)) ctx.options.logger.error(`context failed: ${error instanceof Error ? error.message : 'error'}`);
      refusal = error instanceof ChatError ? { code: error.code, details: error.details } : { code: 'INTERNAL_ERROR' };
    }
  }

  const signedBuyer = buyer;
  await signIn(ctx, connection, session, async () => {
    const [online = false] = await hub.isOnline([sellerKey(sellerId)]);
    const view = await chatView(ctx, chat, 'buyer', ctx.sellerNames.get(sellerId) ?? sellerId, online, request.since);
    const fields: AnswerFields = token ? { token, chatId: chat.id, name: signedBuyer.name } : { chatId: chat.id, name: signedBuyer.name };
    if (signedBuyer.guest) fields.guest = true;
    if (host) fields.identified = true;
    connection.send('auth', answer(ctx, request, fields, [view]));
    connection.send('status', { chatId: chat.id, status: online });
  });
  if (refusal) connection.error('context', refusal.code, refusal.details);
}

/** A guest's name until they give one: "Guest 4821" (four digits, so the seller can tell guests apart). */
function guestName(): string {
  return `Guest ${randomInt(1000, 10000)}`;
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
