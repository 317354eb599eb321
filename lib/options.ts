/**
 * (Over 300 lines: every option's type, default and check in one place, as the README lists them.)
 * Plugin options: their types, the host's hook types, defaults, and the one place they are validated.
 * A bad option throws a TypeError/RangeError naming it, at start-up, never later.
 */
import { consoleLogger, type Logger } from './logger.js';
import type { IncomingMessage, Server } from 'node:http';
import type { Bus } from './bus/bus.js';
import type { MetricsOptions } from './metrics.js';
import type { Message, PageContext, Side, Store } from './store/store.js';
import { DEFAULT_DIR } from './store/lowdb-store.js';
import { checkSecret, SettingChecks, type WireSellerId } from './wire/index.js';

export interface Seller {
  id: WireSellerId;
  name: string;
}

/** Verifies a seller's credentials. Resolve null for a wrong id or token; reject only on real failures. */
export type AuthSeller = (credentials: { id: WireSellerId; token: string }) => Promise<Seller | null>;

/** Looks a seller up by id, so buyers naming an unknown seller get SELLER_NOT_FOUND. */
export type FindSeller = (id: WireSellerId) => Promise<Seller | null>;

/**
 * Which pages may open a socket (clients that send no Origin always may): 'same-origin' (the page's
 * host and port are the Host header's), a list of origins (only those), '*' for any, or a predicate.
 */
export type OriginsOption = readonly string[] | '*' | 'same-origin' | ((origin: string) => boolean);

/** What a beforeMessage hook is told about a message before it is stored. */
export interface BeforeMessageContext {
  text: string;
  chatId: number;
  sellerId: WireSellerId;
  from: 'buyer' | 'seller';
  /** The sender's name. */
  name: string;
}

/**
 * Lets the host change or refuse a message before it is stored: return the text to store (changed
 * or not), null to refuse (reason 'REJECTED'), or throw MessageRejected(reason) to refuse with a reason.
 */
export type BeforeMessage = (context: BeforeMessageContext) => string | null | Promise<string | null>;

/** A person as the host knows them. `id` is the host's own; it never names one of our anonymous buyers. */
export interface HostIdentity {
  id: string | number;
  name: string;
  /** Buyers only: where the host's onUnread notices may write. */
  email?: string;
}

/** Reads the host's session from the WebSocket upgrade request (its cookies). Resolve null for nobody. */
export type IdentifyBuyer = (request: IncomingMessage) => Promise<HostIdentity | null>;
export type IdentifySeller = (request: IncomingMessage) => Promise<Omit<HostIdentity, 'email'> | null>;

/** The host's hook: the context to keep (its own truth, e.g. the price from its database), or null to refuse it. */
export type ResolveContext = (
  context: PageContext,
  about: { buyer: { id: number; name: string; externalId?: string }; sellerId: string | number },
) => PageContext | null | Promise<PageContext | null>;

export interface UnreadNotice {
  /** Who has not read: the seller (all their chats) or one chat's buyer. */
  side: Side;
  sellerId: WireSellerId;
  /** Set when side is 'buyer'. */
  chatId?: number;
  /** The unread messages, oldest first, at most 50 per chat. A buyer's carry the page context they were written under. */
  messages: Message[];
  /** side 'buyer': the buyer's e-mail address, when they gave one (or the host's identity did). Never logged. */
  email?: string;
  /** side 'buyer': the buyer's name, for the greeting. */
  name?: string;
  /** side 'buyer': the chat's latest page context, for a link back to the page (its url). */
  context?: PageContext;
}

export type OnUnread = (notice: UnreadNotice) => void | Promise<void>;

export interface AhChatOptions {
  /** Required. Verifies seller id + token. There is no permissive default. */
  authSeller: AuthSeller;
  /** Optional seller lookup for buyers' sellerId (SELLER_NOT_FOUND) and the seller's name shown to buyers. */
  findSeller?: FindSeller;
  /** Persistence. Default: lowdbStore({ dir: DEFAULTS.dataDir }), i.e. './ahchat-data'. */
  store?: Store;
  /** Cross-instance pushes and presence. Default: in-process (one instance). */
  bus?: Bus;
  /** WebSocket endpoint and asset prefix, relative to where the plugin is mounted. Default '/ahchat'. */
  path?: string;
  /** Extra absolute paths that also accept our WebSocket (the standalone server adds '/'). Default []. */
  extraSocketPaths?: readonly string[];
  /** Attach to this server now instead of waiting for app.listen(). */
  server?: Server;
  /** Allowed Origin headers (see OriginsOption); clients that send none always pass. Default 'same-origin'. */
  origins?: OriginsOption;
  /** Refuse messages to an offline peer with USER_IS_NOT_ONLINE (the original behaviour). Default false. */
  requireOnline?: boolean;
  /** Longest text in characters. Default 4000. */
  maxTextLength?: number;
  /** Largest incoming frame in bytes; larger closes the socket with 1009. Default 65536. */
  maxPayload?: number;
  /** Per-socket frame budget: at most `frames` within `intervalMs`. Default 20 per 10000 ms. */
  rateLimit?: { frames: number; intervalMs: number };
  /** Per client IP: at most `count` new buyers or new chats within `intervalMs` (they cost storage); new chats also per buyer. Default 100 per 60000 ms. */
  signUpRateLimit?: { count: number; intervalMs: number };
  /**
   * Failed seller sign-ins per client IP and per seller id before each further attempt must wait
   * (1 s, doubling up to `maxDelayMs`; RATE_LIMITED meanwhile). Default 10 failures, 60000 ms.
   */
  sellerSignInLimit?: { failures: number; maxDelayMs: number };
  /** Consecutive RATE_LIMITED answers after which the socket is closed with 1008. Default 20. */
  floodCloseAfter?: number;
  /** Milliseconds a socket may stay unauthenticated before close 1008. Default 10000. */
  authTimeout?: number;
  /** Milliseconds between pings; a socket that missed one pong is terminated. Default 30000. */
  heartbeatInterval?: number;
  /** A socket whose unsent bytes pass this is terminated (no close frame could reach it anyway). Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Open sockets per client IP; more get HTTP 429 before the handshake. Default 100. */
  maxConnectionsPerIp?: number;
  /** Take the client IP from X-Forwarded-For (only behind a proxy you trust). Default false. */
  trustProxy?: boolean;
  /** Messages per chat in an auth answer and the default history page. Default 50. */
  historyLimit?: number;
  /** Most chats in a seller's auth answer. Default 200. */
  chatListLimit?: number;
  /** Host hook run before each new message is stored (see BeforeMessage). */
  beforeMessage?: BeforeMessage;
  /** Called once per quiet period for someone offline with unread messages (the host sends the e-mail). */
  onUnread?: OnUnread;
  /** Milliseconds after the first unread message before onUnread is called, batching what came meanwhile. Default 120000. */
  unreadQuietPeriod?: number;
  /** Where AH Chat logs. Never receives tokens or message text. Default: console. */
  logger?: Logger;
  /**
   * Serve metrics in the Prometheus text format at `<path>/metrics`: `true`, or `{ registry }` to add
   * them to the host's prom-client Registry. Default false (no metrics, no cost).
   */
  metrics?: boolean | MetricsOptions;
  /**
   * Signs buyers in as the host's own signed-in customers: called with the WebSocket upgrade request
   * (its cookies) at each buyer auth; `{id, name, email?}` signs the socket in as that customer (one
   * chat per seller on every device), null falls back to the other flows. Default: none.
   */
  identifyBuyer?: IdentifyBuyer;
  /** The same for sellers: `{id, name}` lets `auth {}` sign the seller in without a token. Default: none. */
  identifySeller?: IdentifySeller;
  /** Secret (≥ 32 characters) that signed identities (signIdentity) are checked with. Default: none (refused). */
  identitySecret?: string;
  /** Lets the host replace a buyer's page context with its own truth, or refuse it (null). Default: none. */
  resolveContext?: ResolveContext;
  /** Origins page-context images may come from, e.g. ['https://cdn.shop.example']. Default [] (no images). */
  contextImageOrigins?: readonly string[];
  /** false: buyers may sign up without a name, as "Guest ####", and give one later. Default true. */
  nameRequired?: boolean;
}

type OptionalKeys =
  | 'findSeller' | 'store' | 'bus' | 'server' | 'beforeMessage' | 'onUnread' | 'metrics'
  | 'identifyBuyer' | 'identifySeller' | 'identitySecret' | 'resolveContext';
export type ResolvedOptions = Required<Omit<AhChatOptions, OptionalKeys>> & Pick<AhChatOptions, OptionalKeys>;

export const DEFAULTS = {
  path: '/ahchat',
  extraSocketPaths: [] as readonly string[],
  requireOnline: false,
  maxTextLength: 4000,
  maxPayload: 64 * 1024,
  rateLimit: { frames: 20, intervalMs: 10_000 },
  signUpRateLimit: { count: 100, intervalMs: 60_000 },
  sellerSignInLimit: { failures: 10, maxDelayMs: 60_000 },
  floodCloseAfter: 20,
  authTimeout: 10_000,
  heartbeatInterval: 30_000,
  maxBufferedBytes: 1024 * 1024,
  maxConnectionsPerIp: 100,
  trustProxy: false,
  historyLimit: 50,
  chatListLimit: 200,
  unreadQuietPeriod: 120_000,
  nameRequired: true,
  contextImageOrigins: [] as readonly string[],
  /** The default store's directory (the plugin's and the standalone server's). */
  dataDir: DEFAULT_DIR,
} as const;

const check: SettingChecks = new SettingChecks((name) => `ahChat: option "${name}"`);

function socketPath(name: string, value: unknown): string {
  if (typeof value !== 'string' || !/^\/[\w\-./~]*$/.test(value)) check.fail(name, "a path starting with '/'", value);
  return value.length > 1 ? value.replace(/\/+$/, '') : value;
}

export const STORE_METHODS = [
  'createBuyer', 'findBuyerByTokenHash', 'openChat', 'getChat', 'listChats',
  'appendMessage', 'listMessages', 'markRead', 'closeChat', 'close',
] as const;

/** The optional Store methods that host-identified buyers need. */
export const IDENTITY_STORE_METHODS = ['findBuyerByExternalId', 'upsertBuyer'] as const;

/** Lists are normalised to what browsers send; an origin no browser could send is refused, naming it. */
function resolveOrigins(value: unknown): OriginsOption {
  if (value === undefined) return 'same-origin';
  if (value === '*' || value === 'same-origin' || typeof value === 'function') return value as OriginsOption;
  const expected = "'same-origin', '*', a predicate, or an array of origins like 'https://shop.example'";
  if (!Array.isArray(value)) check.fail('origins', expected, value);
  return value.map((item: unknown, i) => {
    if (typeof item !== 'string') check.fail(`origins[${i}]`, "an origin like 'https://shop.example'", item);
    return check.origin('origins', item);
  });
}

/** Validates every option once and fills in defaults. */
export function resolveOptions(input: AhChatOptions): ResolvedOptions {
  if (typeof input !== 'object' || input === null) check.fail('options', 'an object', input);
  if (typeof input.authSeller !== 'function') {
    check.fail('authSeller', 'a function ({id, token}) => Promise<{id, name} | null> (there is no permissive default)', input.authSeller);
  }
  for (const name of ['findSeller', 'beforeMessage', 'onUnread', 'identifyBuyer', 'identifySeller', 'resolveContext'] as const) {
    check.optionalFunction(name, input[name]);
  }
  if (input.store !== undefined) check.methods('store', input.store, STORE_METHODS);
  if (input.bus !== undefined) check.methods('bus', input.bus, ['start', 'publish', 'join', 'leave', 'isOnline', 'close']);
  if (input.server !== undefined) check.methods('server', input.server, ['on', 'listen']);

  const origins = resolveOrigins(input.origins);

  const rateLimit = check.positiveInts('rateLimit', input.rateLimit, DEFAULTS.rateLimit);
  const signUpRateLimit = check.positiveInts('signUpRateLimit', input.signUpRateLimit, DEFAULTS.signUpRateLimit);
  const sellerSignInLimit = check.positiveInts('sellerSignInLimit', input.sellerSignInLimit, DEFAULTS.sellerSignInLimit);

  const extra = input.extraSocketPaths ?? DEFAULTS.extraSocketPaths;
  if (!Array.isArray(extra)) check.fail('extraSocketPaths', 'an array of paths', extra);

  const logger = boundLogger(input.logger ?? consoleLogger);

  if (input.identitySecret !== undefined) checkSecret('ahChat: option "identitySecret"', input.identitySecret);
  // Identified buyers need the store's identity methods; a store without them must not half-work.
  if ((input.identifyBuyer || input.identitySecret) && input.store) {
    const missing = IDENTITY_STORE_METHODS.filter((m) => typeof (input.store as unknown as Record<string, unknown>)[m] !== 'function');
    if (missing.length) check.refuse('store', `a store with ${IDENTITY_STORE_METHODS.join(', ')} (identifyBuyer/identitySecret need them)`, `one without ${missing.join(', ')}`);
  }

  return {
    authSeller: input.authSeller,
    findSeller: input.findSeller,
    store: input.store,
    bus: input.bus,
    server: input.server,
    beforeMessage: input.beforeMessage,
    onUnread: input.onUnread,
    unreadQuietPeriod: check.positiveInt('unreadQuietPeriod', input.unreadQuietPeriod, DEFAULTS.unreadQuietPeriod),
    path: input.path === undefined ? DEFAULTS.path : socketPath('path', input.path),
    extraSocketPaths: extra.map((p, i) => socketPath(`extraSocketPaths[${i}]`, p)),
    origins,
    requireOnline: check.bool('requireOnline', input.requireOnline, DEFAULTS.requireOnline),
    maxTextLength: check.positiveInt('maxTextLength', input.maxTextLength, DEFAULTS.maxTextLength),
    maxPayload: check.positiveInt('maxPayload', input.maxPayload, DEFAULTS.maxPayload),
    rateLimit,
    signUpRateLimit,
    sellerSignInLimit,
    floodCloseAfter: check.positiveInt('floodCloseAfter', input.floodCloseAfter, DEFAULTS.floodCloseAfter),
    authTimeout: check.positiveInt('authTimeout', input.authTimeout, DEFAULTS.authTimeout),
    heartbeatInterval: check.positiveInt('heartbeatInterval', input.heartbeatInterval, DEFAULTS.heartbeatInterval),
    maxBufferedBytes: check.positiveInt('maxBufferedBytes', input.maxBufferedBytes, DEFAULTS.maxBufferedBytes),
    maxConnectionsPerIp: check.positiveInt('maxConnectionsPerIp', input.maxConnectionsPerIp, DEFAULTS.maxConnectionsPerIp),
    trustProxy: check.bool('trustProxy', input.trustProxy, DEFAULTS.trustProxy),
    historyLimit: check.positiveInt('historyLimit', input.historyLimit, DEFAULTS.historyLimit),
    chatListLimit: check.positiveInt('chatListLimit', input.chatListLimit, DEFAULTS.chatListLimit),
    logger,
    metrics: metricsOption(input.metrics),
    identifyBuyer: input.identifyBuyer,
    identifySeller: input.identifySeller,
    identitySecret: input.identitySecret,
    resolveContext: input.resolveContext,
    contextImageOrigins: imageOriginsOption(input.contextImageOrigins),
    nameRequired: check.bool('nameRequired', input.nameRequired, DEFAULTS.nameRequired),
  };
}

/** The host's logger behind methods that need no `this`: pino's read their logger's own state. */
function boundLogger(given: Logger): Logger {
  check.methods('logger', given, ['info', 'warn', 'error']);
  return {
    info: (message) => given.info(message),
    warn: (message) => given.warn(message),
    error: (message) => given.error(message),
  };
}

function metricsOption(value: unknown): MetricsOptions | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return {};
  if (typeof value !== 'object' || value === null) check.fail('metrics', 'a boolean or an object { registry?, prefix? }', value);
  const { registry, prefix } = value as MetricsOptions;
  if (registry !== undefined) check.methods('metrics.registry', registry, ['metrics', 'registerMetric']);
  if (prefix !== undefined && (typeof prefix !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix))) {
    check.fail('metrics.prefix', 'a metric name prefix like "ahchat_"', prefix);
  }
  return { ...(registry ? { registry } : {}), ...(prefix !== undefined ? { prefix } : {}) };
}

/** The contextImageOrigins option, normalised; a bad entry throws naming it. */
function imageOriginsOption(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) check.fail('contextImageOrigins', "an array of origins like 'https://cdn.shop.example'", value);
  return value.map((item: unknown, i) => check.origin(`contextImageOrigins[${i}]`, item));
}
