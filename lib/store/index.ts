export { memoryStore } from './memory-store.js';
export { lowdbStore, type LowdbStore, type LowdbStoreOptions } from './lowdb-store.js';
export type { Buyer, Chat, ListMessagesOptions, Message, NewMessage, SellerKey, Side, Store } from './store.js';
export { ChatClosedError } from './store.js';
export { DirectoryLockedError } from './lowdb/directory-lock.js';
