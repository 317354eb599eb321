import type { Translate } from '../i18n/index.js';
import type { State } from '../state.js';

/** What views may ask for; the AHChat instance implements it (views never touch the socket). */
export interface Actions {
  signUp(name: string): void;
  /** Sends to the open chat; false when there is nothing to send to. */
  send(text: string): boolean;
  /** Seller: open a chat, or go back to the list with undefined. */
  select(chatId?: number): void;
  loadOlder(chatId: number): void;
  typing(chatId: number): void;
  /** Seller: close the chat (after the user confirmed). */
  close(chatId: number): void;
  /** Buyer: after the seller closed the chat, sign in again, which starts a new one. */
  restart(): void;
  /** Turn the beep for messages to a hidden page on or off (remembered in localStorage). */
  sound(on: boolean): void;
  /** true: ask the browser for permission (call from a click) and notify if granted; false: stop offering. */
  notify(on: boolean): void;
}

export interface ViewProps {
  state: State;
  t: Translate;
  actions: Actions;
  lang: string;
}
