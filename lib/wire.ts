/** Turns stored records into wire objects for one receiver (`my` and `chatter` are relative to them). */
import type { Chat, Message, Side } from './store/store.js';
import type { WireChat, WireMessage } from './protocol.js';
import { toWireSellerId } from './protocol.js';

export function toWireMessage(message: Message, receiver: Side): WireMessage {
  const wire: WireMessage = {
    id: message.id,
    chatId: message.chatId,
    text: message.text,
    date: Math.floor(message.createdAt / 1000),
    my: message.from === receiver,
  };
  // The sender's own timestamp and key are theirs: the other side has no use for them.
  if (message.from === receiver) {
    wire.clientDate = message.clientDate;
    if (message.clientId !== undefined) wire.clientId = message.clientId;
  }
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
  const other: Side = receiver === 'buyer' ? 'seller' : 'buyer';
  const wire: WireChat = {
    id: chat.id,
    chatter,
    sellerId: toWireSellerId(chat.sellerId),
    online,
    messages: messages.map((m) => toWireMessage(m, receiver)),
    more,
    unread: chat.unread[receiver],
    readId: chat.readIds[other],
  };
  if (chat.closedAt !== undefined) wire.closed = true;
  return wire;
}
