/**
 * The files the bundle loads on demand, so that a buyer's page never carries them at first: the
 * seller's inbox (`ahchat-inbox.js`, on a seller's page only), the buyer's sign-in steps
 * (`ahchat-signup.js`: the name form when the buyer has no token or writes as a guest, "Start a new
 * chat" once a chat is closed) and the beep and desktop
 * notification (`ahchat-alerts.js`, the first time a message comes to a hidden page that should beep
 * or notify). Each is fetched once per page from the folder `ahchat.js` itself was loaded from (else
 * from the plugin's files) with a plain <script>, which works with or without an AMD loader on the
 * page. They use this bundle's Preact and conversation view (one copy of each on the page), lent
 * through a registry on a global symbol, where each file also hands back what it holds once it has run.
 */
import { Component, h, type VNode } from 'preact';
import type { Alerts } from './alerts.js';
import { Conversation } from './components/conversation.js';
import type { ViewProps } from './components/props.js';
import type { seller, sellerText } from './seller.js';
import type { signUp } from './sign-up.js';
import type { NewChat, keepEarlier } from './components/new-chat.js';
import type { SlotName } from './template.js';

/** What ahchat-inbox.js hands back. */
export interface InboxModule {
  /**
   * The seller's views in the template's slots: the inbox in the body once signed in (the list, the
   * open conversation beside it when there is room, search, filters), Back, the seller's own name as the title.
   */
  views: Partial<Record<SlotName, (props: ViewProps) => VNode | null>>;
  /** Sets the seller up on the session: the actions only the inbox uses, every frame heard (widget/seller.ts). */
  seller: typeof seller;
  /** The template's texts, preferring the seller's variants (widget/seller.ts). */
  text: typeof sellerText;
}

/** What ahchat-signup.js hands back. */
export interface SignupModule {
  /** The buyer's name (and e-mail address) before the chat, or a guest's name in it. */
  NameForm: (props: ViewProps) => VNode;
  /** Its step: signs up, or a guest gives the name (widget/sign-up.ts). */
  signUp: typeof signUp;
  /** After a close: "Start a new chat", and the closed chat kept above the new one (widget/components/new-chat.ts). */
  NewChat: typeof NewChat;
  keepEarlier: typeof keepEarlier;
}

/** Each file on demand by name (`ahchat-<name>.js`), and what it hands back. */
export interface Chunks {
  inbox: InboxModule;
  signup: SignupModule;
  alerts: typeof Alerts;
}

/** The registry: what this bundle lends, the files asked for, and the functions the files call with what they hold. */
export interface ChunkRegistry {
  h: typeof h;
  Component: typeof Component;
  Conversation: typeof Conversation;
  p: { [N in keyof Chunks]?: Promise<Chunks[N]> };
  d: { [N in keyof Chunks]?: (module: Chunks[N]) => void };
}

/** Replaced at build time by the files' content hashes (versioned, cacheable URLs). */
declare const __AH_CHUNKS__: Record<keyof Chunks, string>;

/** The folder this script was loaded from, read while it runs (a module script has none). */
const base = typeof document === 'undefined' ? undefined : (document.currentScript as HTMLScriptElement | null)?.src.replace(/\/[^/]*$/, '');

/** Loads `ahchat-<name>.js` once per page; `assets` (the plugin's files) when this script's own folder is unknown. */
export function loadChunk<N extends keyof Chunks>(name: N, assets: string): Promise<Chunks[N]> {
  const registry = ((globalThis as unknown as Record<symbol, ChunkRegistry>)[Symbol.for('ahchat.inbox')] ??= { h, Component, Conversation, p: {}, d: {} });
  return ((registry.p as Record<string, Promise<Chunks[N]>>)[name] ??= new Promise<Chunks[N]>((resolve, reject) => {
    (registry.d as Record<string, (module: Chunks[N]) => void>)[name] = resolve;
    const script = document.head.appendChild(document.createElement('script'));
    // Not loaded (offline, blocked): forget it, so that the next ask tries again.
    script.onerror = (error) => {
      delete registry.p[name];
      script.remove();
      reject(error);
    };
    script.src = `${base ?? assets}/ahchat-${name}.js?v=${__AH_CHUNKS__[name]}`;
  }));
}
