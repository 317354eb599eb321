import type { VNode } from 'preact';
import type { ServerMessage2 } from '../../lib/wire/index.js';
import type { Translate } from '../i18n/index.js';
import type { State } from '../state.js';

/** What views may ask for; the AHChat instance implements it (views never touch the socket). */
export interface Actions {
  /** The name form: signs up, or (a guest) gives the name now. */
  signUp(name: string, email?: string): void;
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
  /** A message the server refused: out of the log (the conversation puts it back into the composer, to be edited). */
  drop(chatId: number, clientId: string): void;
  /** Seller's inbox: sends any request; false when the socket is not open. */
  request(command: string, data: Record<string, unknown>): boolean;
  /** Seller's inbox: hears answers (and errors) to the commands the widget itself does not handle. */
  listen(fn: (frame: ServerMessage2) => void): () => void;
  /** Seller's inbox: a change of the state it computes itself (e.g. mergeChats). */
  apply(fn: (state: State) => State): void;
}

export interface ViewProps {
  state: State;
  t: Translate;
  actions: Actions;
  lang: string;
  /** Buyer: the name form and "Start a new chat", once ahchat-signup.js is loaded (a buyer without a token, a guest, a closed chat). */
  signup?: { NameForm: (props: ViewProps) => VNode; NewChat: (props: ViewProps) => VNode };
  /** Host-given quick replies (option quickReplies). */
  replies?: readonly string[];
  /** Buyer: the name form asks for an e-mail address (option askEmail). */
  askEmail?: boolean | 'required';
}
