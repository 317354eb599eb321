/**
 * What the plugin tells the host, as `chat.on(event, listener)`: each event is emitted on the
 * instance where it happened (see the README's known limits for several instances).
 */
import type { Application } from 'express';
import type { WireSellerId } from './wire/index.js';
import type { Message } from './store/store.js';

/** A message was stored and confirmed to its sender. */
export interface AhChatMessageEvent extends Message {
  /** The chat's seller, as the host's authSeller/findSeller gave it. */
  sellerId: WireSellerId;
}

/** A buyer started a new chat. */
export interface AhChatChatEvent {
  id: number;
  /** The buyer's name. */
  chatter: string;
  sellerId: WireSellerId;
}

/** Someone's first socket opened (`online: true`) or last socket closed, as seen from this instance. */
export type AhChatStatusEvent =
  | { side: 'seller'; sellerId: WireSellerId; online: boolean }
  | { side: 'buyer'; sellerId: WireSellerId; chatId: number; online: boolean };

/** Event name → the one argument its listeners get. */
export interface AhChatEvents {
  message: AhChatMessageEvent;
  chat: AhChatChatEvent;
  status: AhChatStatusEvent;
  /** Express's own: the plugin was mounted on `parent`. */
  mount: Application;
}

export type AhChatEventName = keyof AhChatEvents;
export type AhChatListener<K extends AhChatEventName> = (event: AhChatEvents[K]) => void;
