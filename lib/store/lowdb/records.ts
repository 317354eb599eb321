/**
 * The records of a data directory as written (journal lines, segment files, replies.json), and
 * their checks at load: a file that parses but holds something else is damage too.
 */
import { readFileSync } from 'node:fs';
import type { Buyer, Chat, Message, PageContext, QuickReply, Side } from '../store.js';

/** A chat as written to disk: what cannot be derived from its messages. */
export interface StoredChat {
  id: number;
  sellerId: string;
  buyerId: number;
  chatter: string;
  createdAt: number;
  readIds: Record<Side, number>;
  closedAt?: number;
  context?: PageContext;
}

/** A journal line: `{"b": buyer}`, `{"c": chat}` or `{"m": message}`. */
export const buyerLine = (buyer: Buyer): string => `{"b":${JSON.stringify(buyer)}}`;
export const chatLine = (chat: Readonly<Chat>): string => `{"c":${JSON.stringify(toStored(chat))}}`;
export const messageLine = (message: Message): string => `{"m":${JSON.stringify(message)}}`;

export function toStored(chat: Readonly<Chat>): StoredChat {
  const stored: StoredChat = {
    id: chat.id,
    sellerId: chat.sellerId,
    buyerId: chat.buyerId,
    chatter: chat.chatter,
    createdAt: chat.createdAt,
    readIds: { ...chat.readIds },
  };
  if (chat.closedAt !== undefined) stored.closedAt = chat.closedAt;
  if (chat.context !== undefined) stored.context = chat.context;
  return stored;
}

/** A fresh Chat for the state; lastMessageId, lastActivity and unread are filled in from the messages. */
export function toChat(stored: StoredChat): Chat {
  return {
    ...stored,
    readIds: { ...stored.readIds },
    lastActivity: stored.createdAt,
    lastMessageId: 0,
    unread: { buyer: 0, seller: 0 },
  };
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isSide = (v: unknown): v is Side => v === 'buyer' || v === 'seller';

export function isBuyer(v: unknown): v is Buyer {
  return (
    isObject(v) &&
    isId(v.id) &&
    typeof v.name === 'string' &&
    typeof v.tokenHash === 'string' &&
    isTime(v.createdAt) &&
    (v.externalId === undefined || typeof v.externalId === 'string') &&
    (v.email === undefined || typeof v.email === 'string') &&
    (v.guest === undefined || v.guest === true)
  );
}

const isContext = (v: unknown): v is PageContext =>
  v === undefined || (isObject(v) && typeof v.title === 'string' && typeof v.url === 'string');

export function isStoredChat(v: unknown): v is StoredChat {
  return (
    isObject(v) &&
    isId(v.id) &&
    typeof v.sellerId === 'string' &&
    isId(v.buyerId) &&
    typeof v.chatter === 'string' &&
    isTime(v.createdAt) &&
    isObject(v.readIds) &&
    isCount(v.readIds.buyer) &&
    isCount(v.readIds.seller) &&
    (v.closedAt === undefined || isTime(v.closedAt)) &&
    isContext(v.context)
  );
}

export function isMessage(v: unknown): v is Message {
  return (
    isObject(v) &&
    isId(v.id) &&
    isId(v.chatId) &&
    isSide(v.from) &&
    typeof v.text === 'string' &&
    isTime(v.createdAt) &&
    typeof v.clientDate === 'number' &&
    (v.clientId === undefined || typeof v.clientId === 'string') &&
    isContext(v.context)
  );
}

/** replies.json as written by the persistence; absent means none. A damaged file is an error, as with the other files. */
export function readReplies(path: string): Record<string, QuickReply[]> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  const data = JSON.parse(text) as unknown;
  const ok =
    isObject(data) &&
    Object.values(data).every((list) => Array.isArray(list) && list.every((r) => isObject(r) && isId(r.id) && typeof r.text === 'string'));
  if (!ok) throw new Error(`lowdbStore: ${path} is not a replies file`);
  return data as Record<string, QuickReply[]>;
}
