/** Rows as pg returns them, and the Store's types made from them. */
import type { Buyer, Chat, Message, PageContext, QuickReply, Side } from '../store.js';

export interface BuyerRow {
  id: string;
  name: string;
  token_hash: string;
  created_at: string;
  external_id: string | null;
  email: string | null;
  guest: boolean;
}

export interface ChatRow {
  id: string;
  seller_id: string;
  buyer_id: string;
  chatter: string;
  created_at: string;
  last_activity: string;
  last_message_id: number;
  read_buyer: number;
  read_seller: number;
  unread_buyer: number;
  unread_seller: number;
  closed_at: string | null;
  context: PageContext | null;
}

export interface AppendRow {
  o_ord: string;
  o_outcome: 'stored' | 'duplicate' | 'closed' | 'missing';
  o_chat_id: string;
  o_id: number | null;
  o_from: Side | null;
  o_text: string | null;
  o_created_at: string | null;
  o_client_date: number | null;
  o_client_id: string | null;
  o_context: PageContext | null;
}

export interface ReplyRow {
  id: string;
  text: string;
}

export const toReply = (row: ReplyRow): QuickReply => ({ id: Number(row.id), text: row.text });

export interface MessageRow {
  chat_id: string;
  id: number;
  from_side: Side;
  text: string;
  created_at: string;
  client_date: number;
  client_id: string | null;
  context: PageContext | null;
}

// pg returns bigint columns as strings; our ids and Unix-ms times stay far below 2^53.
export function toBuyer(row: BuyerRow): Buyer {
  const buyer: Buyer = { id: Number(row.id), name: row.name, tokenHash: row.token_hash, createdAt: Number(row.created_at) };
  if (row.external_id !== null) buyer.externalId = row.external_id;
  if (row.email !== null) buyer.email = row.email;
  if (row.guest) buyer.guest = true;
  return buyer;
}

export function toChat(row: ChatRow): Chat {
  const chat: Chat = {
    id: Number(row.id),
    sellerId: row.seller_id,
    buyerId: Number(row.buyer_id),
    chatter: row.chatter,
    createdAt: Number(row.created_at),
    lastActivity: Number(row.last_activity),
    lastMessageId: row.last_message_id,
    readIds: { buyer: row.read_buyer, seller: row.read_seller },
    unread: { buyer: row.unread_buyer, seller: row.unread_seller },
  };
  if (row.closed_at !== null) chat.closedAt = Number(row.closed_at);
  if (row.context) chat.context = row.context;
  return chat;
}

export function toMessage(row: MessageRow): Message {
  const message: Message = {
    id: row.id,
    chatId: Number(row.chat_id),
    from: row.from_side,
    text: row.text,
    createdAt: Number(row.created_at),
    clientDate: row.client_date,
  };
  if (row.client_id !== null) message.clientId = row.client_id;
  if (row.context) message.context = row.context;
  return message;
}

/** Keeps a bound within bigint (and NaN out): ids are far inside that range anyway. */
export const bound = (n: number): number => (n > 0 ? Math.min(n, Number.MAX_SAFE_INTEGER) : Math.max(n || 0, -Number.MAX_SAFE_INTEGER));

/** A stable 32-bit key per schema name (FNV-1a), so stores on different schemas do not wait on each other. */
export function hashKey(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash | 0;
}
