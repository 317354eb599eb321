/**
 * The widget's options: the original README's (`url`, `sellerId`, `id`, `token`, `template`) plus
 * AH Chat's additions. Validated once, in the AHChat constructor, with messages naming the option.
 */
import type { WireSellerId } from '../lib/wire/index.js';
import type { PageContext } from '../lib/wire/index.js';
import type { Role } from './state.js';

export interface AHChatOptions {
  /** WebSocket URL of the chat server, e.g. `ws://localhost:8001`. A URL without a path means `/ahchat`. */
  url: string;
  /** Buyer: the seller to chat with. */
  sellerId?: WireSellerId;
  /** Seller: own id (requires `token`). */
  id?: WireSellerId;
  /** Seller: always required. Buyer: optional; by default the token from localStorage is used. */
  token?: string;
  /** URL of a chat template (see docs/WIDGET.md). Default: the plugin's `<path>/chat.tpl`. */
  template?: string;
  /**
   * The accent colour (header, launcher, own bubbles, buttons), any CSS colour: sets `--ah-accent`
   * on the widget's element, as a shop's own CSS can (docs/WIDGET.md). Default: the template's.
   */
  accent?: string;
  /** Element or CSS selector to render into (the panel is then always open). Default: a root appended to body. */
  container?: Element | string;
  /** 'en', 'ru', 'de', 'fr', 'es' or 'ar' (right-to-left). Default: `<html lang>`, then the browser's language, then English. */
  lang?: string;
  /** Panel open at start (floating mode). Default false. */
  open?: boolean;
  /** A short beep for a message that comes while the page is hidden; the user can mute it in the header. Default true. */
  sound?: boolean;
  /** The unread count in the page title while the page is hidden: "(3) Shop". Default true. */
  titleCount?: boolean;
  /** Offer desktop notifications ("Enable notifications"; the browser asks only after that click). Default true. */
  notifications?: boolean;
  /** Seller: quick replies the shop gives (shown with the seller's own saved ones). Default none. */
  quickReplies?: string[];
  /** The shop's own session says who this is (the server's identifyBuyer/identifySeller): no name, no token. Default false. */
  identified?: boolean;
  /** A signed identity from the shop's server (signIdentity), or a function that gets a fresh one. Default none. */
  identity?: string | (() => string | Promise<string>);
  /** Buyer: the page or product in question, `{ title, url, image?, price?, ref? }` (later: setContext()). Default none. */
  context?: PageContext;
  /** Buyer: the name form also asks for an e-mail address; 'required' to insist. Default false. */
  askEmail?: boolean | 'required';
  /** Buyer: false lets the buyer write first, as a guest, and give a name later (the server's nameRequired: false). Default true. */
  nameRequired?: boolean;
}

export interface ResolvedOptions extends AHChatOptions {
  role: Role;
  /** The URL actually dialled (normalised: ws/wss, default path). */
  socketUrl: string;
  /** HTTP base of the plugin's files (chat.tpl, i18n/): the socket URL with http(s) for ws(s). */
  assets: string;
  /** Who this widget is, for storage keys: `seller:<id>` or `buyer:<sellerId>`. */
  who: string;
}

const fail = (message: string): never => {
  throw new TypeError(`AHChat: ${message}`);
};

const isSellerId = (v: unknown): v is WireSellerId =>
  (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) || (typeof v === 'string' && v !== '' && v.length <= 64);

/** ws(s) URL with the default path `/ahchat` when none is given; http(s) is turned into ws(s). */
export function socketUrl(url: string, base?: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url, base);
  } catch {
    return fail(`options.url is not a ws(s) URL: ${url}`);
  }
  const protocol = { 'ws:': 'ws:', 'wss:': 'wss:', 'http:': 'ws:', 'https:': 'wss:' }[parsed.protocol];
  if (!protocol) fail(`options.url is not a ws(s) URL: ${url}`);
  parsed.protocol = protocol as string;
  if (parsed.pathname === '/' || parsed.pathname === '') parsed.pathname = '/ahchat';
  parsed.hash = '';
  return parsed.href.replace(/\/$/, '');
}

export function resolveOptions(options: AHChatOptions, base?: string): ResolvedOptions {
  // (No options at all: the url is the first thing missing.)
  if (typeof options?.url !== 'string' || options.url === '') fail('options.url is required');
  for (const name of ['token', 'template', 'accent'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'string') fail(`options.${name} is not a string`);
  }
  const seller = options.id !== undefined && options.id !== null;
  if (seller) {
    if (!isSellerId(options.id)) fail('options.id is not a valid id');
    if (!options.identified && !options.identity && !options.token) fail('options.token is required with options.id');
  } else if (!isSellerId(options.sellerId)) fail('options.sellerId or options.id is required');
  if (options.container !== undefined && typeof options.container !== 'string' && typeof options.container !== 'object') {
    fail('options.container is not an element or selector');
  }
  for (const name of ['open', 'sound', 'titleCount', 'notifications'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'boolean') fail(`options.${name} is not a boolean`);
  }
  if (options.quickReplies !== undefined && !Array.isArray(options.quickReplies)) fail('options.quickReplies is not an array');
  const url = socketUrl(options.url, base);
  return {
    ...options,
    role: seller ? 'seller' : 'buyer',
    socketUrl: url,
    assets: url.replace(/^ws/, 'http').replace(/\?.*$/, ''),
    who: seller ? `seller:${options.id}` : `buyer:${options.sellerId}`,
  };
}
