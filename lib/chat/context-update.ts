/**
 * A buyer's page context taking effect: checked, offered to the host's resolveContext, stored on the
 * chat and pushed to the seller. Used by `auth` (its `context` field) and the `context` command.
 */
import type { ChatContext } from './context.js';
import { ChatError } from '../wire/index.js';
import { checkContext } from './page-context.js';
import type { ContextRequest } from '../wire/index.js';
import { toWireSellerId } from '../wire/index.js';
import type { BuyerSession, ChatConnection } from './session.js';
import { sameContext } from '../store/store-state.js';
import type { PageContext } from '../store/store.js';


/**
 * Makes `raw` the session's and the chat's context (`previous`: the chat's, to skip a write and a
 * push when nothing changed). Throws ChatError BAD_REQUEST with `data.field` for a bad context,
 * `data.reason: 'REFUSED'` when the host's resolveContext refused it; the session and chat keep
 * what they had. Returns the context now in force.
 */
export async function updateContext(ctx: ChatContext, session: BuyerSession, raw: unknown, previous: PageContext | undefined): Promise<PageContext | undefined> {
  const { options, store } = ctx;
  // A store without setChatContext (a host's own, older one) keeps no context: nothing to refuse.
  if (!store.setChatContext) return undefined;
  const checked = checkContext(raw, options.contextImageOrigins);
  if (!checked.ok) throw new ChatError('BAD_REQUEST', { field: checked.field });
  let context = checked.context;
  if (options.resolveContext) {
    const buyer = { id: session.buyerId, name: session.name, ...(session.externalId !== undefined ? { externalId: session.externalId } : {}) };
    const resolved = await options.resolveContext(context, { buyer, sellerId: toWireSellerId(session.sellerId) });
    if (resolved === null) throw new ChatError('BAD_REQUEST', { reason: 'REFUSED' });
    // The host's answer passes the same checks: it is shown in the seller's page too.
    const again = checkContext(resolved, options.contextImageOrigins);
    if (!again.ok) throw new Error(`resolveContext gave a context with a bad ${again.field}`);
    context = again.context;
  }
  session.context = context;
  if (sameContext(previous, context)) return context;
  await store.setChatContext(session.chatId, context);
  await ctx.hub.publish({ type: 'context', sellerId: session.sellerId, chatId: session.chatId, context });
  return context;
}

/** The `context` command (buyers only, see commands.ts): answered with the context now in force. */
export async function contextCommand(ctx: ChatContext, connection: ChatConnection, session: BuyerSession, request: ContextRequest): Promise<void> {
  if (request.chatId !== session.chatId) throw new ChatError('CHAT_NOT_FOUND');
  const context = await updateContext(ctx, session, request.context, session.context);
  connection.send('context', context ? { chatId: session.chatId, context } : { chatId: session.chatId });
}
