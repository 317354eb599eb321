/**
 * The seller's texts and the actions that only the inbox uses (open and close a chat, its own requests and their answers),
 * carried by ahchat-inbox.js so that the buyer's bundle never holds them. The widget lends what they
 * need (widget/chunks.ts) once the inbox file is loaded.
 */
import type { ChatPush, ServerMessage2 } from '../lib/wire/index.js';
import type { Actions } from './components/props.js';
import type { Translate } from './i18n/index.js';
import { addChat, select } from './seller-state.js';
import type { Action } from './state.js';

/** What the widget lends the seller's actions. */
export interface SellerHost {
  /** Sends a request; false when the socket is not open. */
  send(command: string, data: Record<string, unknown>): boolean;
  dispatch(action: Action): void;
  /** Focuses the element matching `selector` in the body slot, after the next paint. */
  focus(selector: string): void;
}

export type SellerActions = Pick<Actions, 'select' | 'close' | 'request' | 'listen' | 'apply'>;

export interface Seller {
  actions: SellerActions;
  /** Hears the answers (and errors) to the commands the widget itself does not handle. */
  frame(frame: ServerMessage2): void;
  /** A new chat (the `chat` push). */
  chat(push: ChatPush): void;
}

/** A template string, preferring the seller's variant (`launcherSeller`). */
export function sellerText(t: Translate, key: string | null): string {
  const seller = `${key}Seller`;
  const text = t(seller as never);
  return text !== seller ? text : t((key ?? '') as never);
}

export function seller(host: SellerHost): Seller {
  const listeners = new Set<(frame: ServerMessage2) => void>();
  return {
    actions: {
      select: (chatId) => {
        host.dispatch({ type: 'apply', fn: (state) => select(state, chatId) });
        // (Back: the inbox gives the focus back to the chat it came from.)
        host.focus('[data-ah-autofocus]');
      },
      close: (chatId) => {
        host.send('close', { chatId });
      },
      request: (command, data) => host.send(command, data),
      listen: (fn) => {
        listeners.add(fn);
        return () => listeners.delete(fn);
      },
      apply: (fn) => host.dispatch({ type: 'apply', fn }),
    },
    frame: (frame) => {
      for (const fn of [...listeners]) fn(frame);
    },
    chat: (push) => host.dispatch({ type: 'apply', fn: (state) => addChat(state, push) }),
  };
}
