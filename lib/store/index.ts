export { memoryStore } from './memory-store.js';
export type { Buyer, Chat, ListMessagesOptions, Message, NewMessage, SellerKey, Side, Store } from './store.js';
