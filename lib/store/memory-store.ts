import { StoreState } from './store-state.js';
import type { Store } from './store.js';

/**
 * A Store that keeps everything in this process's memory: nothing survives a restart.
 * Meant for tests, demos and as the reference implementation of the contract.
 * Every promise resolves as soon as the change is made (there is nothing more durable to wait for).
 */
export function memoryStore(): Store {
  const state = new StoreState();
  let closed = false;
  const open = (): void => {
    if (closed) throw new Error('memoryStore: the store is closed');
  };
  return {
    async createBuyer(input) {
      open();
      return state.createBuyer(input, Date.now());
    },
    async findBuyerByTokenHash(tokenHash) {
      open();
      return state.findBuyerByTokenHash(tokenHash);
    },
    async getBuyer(buyerId) {
      open();
      return state.getBuyer(buyerId);
    },
    async findBuyerByExternalId(externalId) {
      open();
      return state.findBuyerByExternalId(externalId);
    },
    async upsertBuyer(input) {
      open();
      const { buyer, created } = state.upsertBuyer(input, Date.now());
      return { buyer, created };
    },
    async updateBuyer(buyerId, change) {
      open();
      return state.updateBuyer(buyerId, change)?.buyer ?? null;
    },
    async setChatContext(chatId, context) {
      open();
      return state.setChatContext(chatId, context)?.chat ?? null;
    },
    async openChat(input) {
      open();
      return state.openChat(input, Date.now());
    },
    async getChat(chatId) {
      open();
      return state.getChat(chatId);
    },
    async listChats(sellerId, options) {
      open();
      return state.listChats(sellerId, options);
    },
    async appendMessage(input) {
      open();
      return state.appendMessage(input, Date.now());
    },
    async listMessages(chatId, options) {
      open();
      return state.listMessages(chatId, options);
    },
    async listRecentMessages(chatIds, options) {
      open();
      return chatIds.map((chatId) => state.listMessages(chatId, { limit: options.limit, after: options.after?.get(chatId) }));
    },
    async markRead(chatId, side, messageId) {
      open();
      return state.markRead(chatId, side, messageId)?.chat ?? null;
    },
    async closeChat(chatId) {
      open();
      return state.closeChat(chatId, Date.now())?.chat ?? null;
    },
    async findChats(sellerId, options) {
      open();
      return state.findChats(sellerId, options);
    },
    async reopenChat(chatId) {
      open();
      return state.reopenChat(chatId)?.chat ?? null;
    },
    async markUnread(chatId, side) {
      open();
      return state.markUnread(chatId, side)?.chat ?? null;
    },
    async listReplies(sellerId) {
      open();
      return state.listReplies(sellerId);
    },
    async saveReply(sellerId, reply) {
      open();
      return state.saveReply(sellerId, reply);
    },
    async deleteReply(sellerId, id) {
      open();
      return state.deleteReply(sellerId, id);
    },
    async close() {
      closed = true;
    },
  };
}
