/**
 * The seller's inbox is a separate file, `ahchat-inbox.js`, loaded only on a seller's page, so the
 * buyer's widget never carries it. It is fetched from the folder `ahchat.js` itself was loaded from
 * (else from the plugin's files) with a plain <script>, which works with or without an AMD loader on
 * the page. It uses this bundle's Preact and conversation view (one copy of each on the page), lent
 * through a registry on a global symbol, where it also hands back its views once it has run.
 */
import { Component, Fragment, h, type VNode } from 'preact';
import { Conversation } from './components/conversation.js';
import type { ViewProps } from './components/props.js';

/** What ahchat-inbox.js hands back. */
export interface InboxModule {
  /** The seller's body: the list, the open conversation (beside it when there is room), search, filters. */
  Inbox: (props: ViewProps) => VNode | null;
  /** The header's back button (one pane, a chat open). */
  Back: (props: ViewProps) => VNode | null;
}

/** The registry: what this bundle lends, and `r`, which the inbox file calls with its views. */
export interface InboxRegistry {
  h: typeof h;
  Component: typeof Component;
  Fragment: typeof Fragment;
  Conversation: typeof Conversation;
  r?: (module: InboxModule) => void;
  p?: Promise<InboxModule>;
}

/** Replaced at build time by the inbox file's content hash (a versioned, cacheable URL). */
declare const __AH_INBOX_VERSION__: string;

/** The folder this script was loaded from, read while it runs (a module script has none). */
const base = typeof document === 'undefined' ? undefined : (document.currentScript as HTMLScriptElement | null)?.src.replace(/\/[^/]*$/, '');

/** Loads ahchat-inbox.js once per page; `assets` (the plugin's files) when this script's own folder is unknown. */
export function loadInbox(assets: string): Promise<InboxModule> {
  const g = globalThis as unknown as Record<symbol, InboxRegistry>;
  const registry = (g[Symbol.for('ahchat.inbox')] ??= { h, Component, Fragment, Conversation });
  return (registry.p ??= new Promise<InboxModule>((resolve, reject) => {
    registry.r = resolve;
    const script = document.head.appendChild(document.createElement('script'));
    script.onerror = reject;
    script.src = `${base ?? assets}/ahchat-inbox.js?v=${__AH_INBOX_VERSION__}`;
  }));
}
