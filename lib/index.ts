/** AH Chat's public API. */
export { ahChat, type AhChat, type AhChatOn } from './ah-chat.js';
export type { AhChatChatEvent, AhChatEventName, AhChatEvents, AhChatListener, AhChatMessageEvent, AhChatStatusEvent } from './events.js';
export type { MetricsOptions } from './metrics.js';
export { DIRECT_TIMEOUTS, limitConnectionsPerIp } from './transport/connection-limit.js';
export type {
  AhChatOptions, AuthSeller, BeforeMessage, BeforeMessageContext, FindSeller, HostIdentity, IdentifyBuyer, IdentifySeller,
  OnUnread, OriginsOption, ResolveContext, Seller, UnreadNotice,
} from './options.js';
export { ERROR_CODES, CLOSE_CODES, ChatError, MessageRejected, type ErrorCode } from './wire/index.js';
export type * from './wire/index.js';
export * from './store/index.js';
export type { Bus, HubEvent, PresenceKey } from './bus/bus.js';
export { localBus } from './bus/local-bus.js';
export type { PresenceLookup } from './chat/unread-notifier.js';
export { signIdentity, type SignIdentityOptions } from './chat/identity.js';
export type { ContextFault } from './chat/page-context.js';
export type { Logger } from './logger.js';
