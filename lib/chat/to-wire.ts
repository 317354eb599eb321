/** Turns stored records into wire objects for one receiver (`my` and `chatter` are relative to them). */
import { otherSide, type Chat, type Message, type Side } from '../store/store.js';
import type { WireChat, WireMessage } from '../wire/index.js';
import { toWireSellerId } from '../wire/index.js';

/**
 * `echo`: whether the receiver's own message carries its `clientDate` and `clientId`, and a buyer's
 * message to the seller its page `context`. The confirmation to the sending socket always does;
 * anywhere else only protocol 2 does, because a protocol-1 client takes every `message` with a
 * `clientDate` for the confirmation of its own (and the original README has no context).
 */
export function toWireMessage(message: Message, receiver: Side, echo = true): WireMessage {
  const wire: WireMessage = {
    id: message.id,
    chatId: message.chatId,
    text: message.text,
    date: Math.floor(message.createdAt / 1000),
    my: message.from === receiver,
  };
  // The sender's own timestamp and key are theirs: the other side has no use for them.
  if (echo && message.from === receiver) {
    wire.clientDate = message.clientDate;
    if (message.clientId !== undefined) wire.clientId = message.clientId;
  }
  // The buyer's page is for the seller; the buyer knows its own.
  if (echo && receiver === 'seller' && message.context) wire.context = message.context;
  return wire;
}

export interface ChatView {
  chat: Chat;
  receiver: Side;
  /** The other side's name. */
  chatter: string;
  online: boolean;
  messages: Message[];
  more: boolean;
}

export function toWireChat({ chat, receiver, chatter, online, messages, more }: ChatView): WireChat {
  const wire: WireChat = {
    id: chat.id,
    chatter,
    sellerId: toWireSellerId(chat.sellerId),
    online,
    messages: messages.map((m) => toWireMessage(m, receiver)),
    more,
    unread: chat.unread[receiver],
    readId: chat.readIds[otherSide(receiver)],
  };
  if (chat.closedAt !== undefined) wire.closed = true;
  if (chat.context) wire.context = chat.context;
  return wire;
}

/**
 * The auth answer's `chats` in protocol 1: an object keyed by chat id as in the original README
 * (keys iterate in ascending id order), its messages without the own-message `clientDate`/`clientId`.
 * (Protocol 2 has the array as built, newest activity first.)
 */
export function legacyChats(chats: WireChat[]): Record<string, WireChat> {
  const keyed: Record<string, WireChat> = {};
  for (const chat of chats) {
    const { context: _context, ...legacy } = chat;
    keyed[chat.id] = { ...legacy, messages: chat.messages.map(({ clientDate: _date, clientId: _id, context: _c, ...m }) => m) };
  }
  return keyed;
}
