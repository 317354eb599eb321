/**
 * The shape every command of a signed-in socket has, and the side checks: commands.ts and
 * inbox-commands.ts each give a table of these, and commands.ts dispatches through the one table.
 */
import type { ClientRequest } from '../wire/index.js';
import { ChatError } from '../wire/index.js';
import type { ChatContext } from './context.js';
import type { BuyerSession, ChatConnection, SellerSession, Session } from './session.js';

/** Every command but auth, which is the only one a socket may send before it signed in. */
export type SignedInCommand = Exclude<ClientRequest['command'], 'auth'>;
export type RequestData<K extends ClientRequest['command']> = Extract<ClientRequest, { command: K }>['data'];

export type Handler<K extends SignedInCommand, S extends Session = Session> = (
  ctx: ChatContext,
  connection: ChatConnection,
  session: S,
  data: RequestData<K>,
) => Promise<void>;

export type CommandTable<K extends SignedInCommand> = { readonly [C in K]: Handler<C> };

/** A command only sellers may send: a buyer gets FORBIDDEN. */
export function sellerOnly<K extends SignedInCommand>(handler: Handler<K, SellerSession>): Handler<K> {
  return async (ctx, connection, session, data) => {
    if (session.side !== 'seller') throw new ChatError('FORBIDDEN');
    return handler(ctx, connection, session, data);
  };
}

/** A command only buyers may send: a seller gets FORBIDDEN. */
export function buyerOnly<K extends SignedInCommand>(handler: Handler<K, BuyerSession>): Handler<K> {
  return async (ctx, connection, session, data) => {
    if (session.side !== 'buyer') throw new ChatError('FORBIDDEN');
    return handler(ctx, connection, session, data);
  };
}
