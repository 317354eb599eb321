/** The events AHChat.on() hands to the host page, as the session raises them. */
import type { ErrorCode } from '../lib/wire/index.js';
import type { ChatPush, StatusPush, WireMessage } from '../lib/wire/index.js';

/** Payloads of the events `on()` accepts. */
export interface AHChatEvents {
  /** Every confirmed message: incoming ones (`my: false`) and own ones once the server stored them. */
  message: WireMessage;
  /** The other side of a chat went online or offline. */
  status: StatusPush;
  /** Seller: a new chat started, or one was reopened. Buyer: the seller reopened this chat. */
  chat: ChatPush;
  /** An error code from the server (`command` says which request), or `TEMPLATE` when the template failed to load. */
  error: { code: ErrorCode | 'TEMPLATE'; command?: string };
  /** The total of unread messages changed. */
  unread: number;
  /** The seller closed a chat (from this page or another). */
  close: { chatId: number };
}

export type Emit = <E extends keyof AHChatEvents>(event: E, payload: AHChatEvents[E]) => void;
