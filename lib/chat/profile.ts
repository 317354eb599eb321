/** The `profile` command: a buyer gives a name (a guest becomes someone) or an e-mail address later. */
import type { ChatContext } from './context.js';
import { ChatError } from '../wire/index.js';
import type { ProfileRequest } from '../wire/index.js';
import type { BuyerSession, ChatConnection } from './session.js';

/** Buyers only (see commands.ts). */
export async function profileCommand(ctx: ChatContext, connection: ChatConnection, session: BuyerSession, request: ProfileRequest): Promise<void> {
  // A host-identified buyer's name is the host's account's: it comes back at every sign-in.
  if (session.externalId !== undefined && request.name !== undefined) throw new ChatError('FORBIDDEN');
  const { store } = ctx;
  if (!store.updateBuyer) throw new Error('the store has no updateBuyer');
  const buyer = await store.updateBuyer(session.buyerId, request);
  if (!buyer) throw new ChatError('USER_NOT_FOUND');
  if (request.name !== undefined && session.name !== buyer.name) {
    session.name = buyer.name;
    await ctx.hub.publish({ type: 'chatter', sellerId: session.sellerId, chatId: session.chatId, chatter: buyer.name });
  }
  // The address is the buyer's own and never goes back over the wire: only whether one is kept.
  connection.send('profile', { name: buyer.name, email: buyer.email !== undefined });
}
