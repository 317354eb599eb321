/**
 * The files the bundle loads on demand, so that a buyer's page never carries them: the seller's
 * inbox (`ahchat-inbox.js`, on a seller's page only) and the beep and desktop notification
 * (`ahchat-alerts.js`, the first time a message comes to a hidden page that should beep or notify).
 * Each is fetched from the folder `ahchat.js` itself was loaded from (else from the plugin's files)
 * with a plain <script>, which works with or without an AMD loader on the page. The inbox uses this
 * bundle's Preact and conversation view (one copy of each on the page), lent through a registry on a
 * global symbol, where each file also hands back what it holds once it has run.
 */
import { Component, h, type VNode } from 'preact';
import type { Alerts } from './alerts.js';
import { Conversation } from './components/conversation.js';
import type { ViewProps } from './components/props.js';
import type { seller, sellerText } from './seller.js';

/** What ahchat-inbox.js hands back. */
export interface InboxModule {
  /** The seller's body: the list, the open conversation (beside it when there is room), search, filters. */
  Inbox: (props: ViewProps) => VNode | null;
  /** The header's back button (one pane, a chat open). */
  Back: (props: ViewProps) => VNode | null;
  /** The seller's actions only the inbox uses (widget/seller.ts). */
  seller: typeof seller;
  /** A template string, preferring the seller's variant (widget/seller.ts). */
  text: typeof sellerText;
}

/** The registry: what this bundle lends, and the functions the files call with what they hold. */
export interface ChunkRegistry {
  h: typeof h;
  Component: typeof Component;
  Conversation: typeof Conversation;
  r?: (module: InboxModule) => void;
  p?: Promise<InboxModule>;
  a?: (module: typeof Alerts) => void;
  q?: Promise<typeof Alerts>;
}

/** Replaced at build time by the files' content hashes (versioned, cacheable URLs). */
declare const __AH_INBOX_VERSION__: string;
declare const __AH_ALERTS_VERSION__: string;

/** The folder this script was loaded from, read while it runs (a module script has none). */
const base = typeof document === 'undefined' ? undefined : (document.currentScript as HTMLScriptElement | null)?.src.replace(/\/[^/]*$/, '');

/** Loads ahchat-inbox.js once per page; `assets` (the plugin's files) when this script's own folder is unknown. */
export function loadInbox(assets: string): Promise<InboxModule> {
  const registry = lend();
  return (registry.p ??= new Promise<InboxModule>((resolve, reject) => {
    registry.r = resolve;
    load(`${base ?? assets}/ahchat-inbox.js?v=${__AH_INBOX_VERSION__}`, reject);
  }));
}

/** Loads ahchat-alerts.js once per page. */
export function loadAlerts(assets: string): Promise<typeof Alerts> {
  const registry = lend();
  return (registry.q ??= new Promise<typeof Alerts>((resolve, reject) => {
    registry.a = resolve;
    load(`${base ?? assets}/ahchat-alerts.js?v=${__AH_ALERTS_VERSION__}`, reject);
  }));
}

const lend = (): ChunkRegistry => ((globalThis as unknown as Record<symbol, ChunkRegistry>)[Symbol.for('ahchat.inbox')] ??= { h, Component, Conversation });

function load(src: string, failed: () => void): void {
  const script = document.head.appendChild(document.createElement('script'));
  script.onerror = failed;
  script.src = src;
}
