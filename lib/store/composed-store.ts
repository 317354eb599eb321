/**
 * A Store composed of the in-memory state (store-state.ts: the contract's rules) and a persistence
 * (persistence.ts: where it is kept), written once for every such store: memoryStore is the state
 * with a persistence that keeps nothing, lowdbStore the state with a journal and segment files.
 *
 * Each writing method changes the state synchronously (so concurrent calls see each other's changes
 * in call order: ids, the one open chat of a buyer and seller), commits the change records in the same
 * turn, and resolves once they are durable; reads answer at once with what is durable (durable-view.ts).
 */
import type { Changed } from './change.js';
import { DurableView } from './durable-view.js';
import type { Persistence } from './persistence.js';
import { StoreState } from './store-state.js';
import type { Chat, Store } from './store.js';

/**
 * Loads the state through the persistence (which throws on damaged data) and returns the Store.
 * `name` starts the message of a call after close().
 */
export function composedStore(name: string, persistence: Persistence): Store {
  const state = new StoreState();
  persistence.load(state);
  const view = new DurableView(persistence);
  let closing: Promise<void> | null = null;
  const use = (): void => {
    if (closing) throw new Error(`${name}: the store is closed`);
  };
  /** Waits for the answer's change, or for the chat's pending one when it changed nothing; gives the chat as durable. */
  const durableChat = async (result: Changed<{ chat: Chat }> | null): Promise<Chat | null> => {
    if (!result) return null;
    const wait = result.changes.length > 0 ? view.commit(result.changes) : view.whenChatWritten(result.chat.id);
    if (wait) await wait;
    return view.durable(result.chat);
  };

  return {
    async createBuyer(input) {
      use();
      const { buyer, changes } = state.createBuyer(input, Date.now());
      await view.commit(changes);
      return buyer;
    },

    // Buyers are read from memory without waiting for a write: a buyer whose record is not durable
    // yet has no token out there (its sign-up has not answered), and a buyer's record is committed
    // before anything that refers to it (its chats), so nothing durable can name a buyer that is not.
    async findBuyerByTokenHash(tokenHash) {
      use();
      return state.findBuyerByTokenHash(tokenHash);
    },

    async getBuyer(buyerId) {
      use();
      return state.getBuyer(buyerId);
    },

    async findBuyerByExternalId(externalId) {
      use();
      return state.findBuyerByExternalId(externalId);
    },

    async upsertBuyer(input) {
      use();
      // Synchronous up to the commit, so concurrent calls for one externalId find the first's buyer.
      const { buyer, created, changes } = state.upsertBuyer(input, Date.now());
      await view.commit(changes);
      return { buyer, created };
    },

    async updateBuyer(buyerId, change) {
      use();
      const result = state.updateBuyer(buyerId, change);
      if (!result) return null;
      await view.commit(result.changes);
      return result.buyer;
    },

    async setChatContext(chatId, context) {
      use();
      return durableChat(state.setChatContext(chatId, context));
    },

    async openChat(input) {
      use();
      // Synchronous up to the commit, so concurrent calls see the chat the first one created.
      const { chat, created, changes } = state.openChat(input, Date.now());
      if (created) {
        try {
          await view.commit(changes);
        } catch (error) {
          view.unreported(chat.id);
          throw error;
        }
      } else if (!view.chatWritten(chat.id)) {
        // Handed out only once it is durable (a retry after a failed commit commits it again).
        await view.whenChatCreated(chat.id);
      }
      view.chatWritten(chat.id);
      view.durable(chat);
      // Nobody was told of it yet (so the seller hears of the new chat now).
      if (!created && view.reportNow(chat.id)) return { chat, created: true };
      return { chat, created };
    },

    async getChat(chatId) {
      use();
      if (!view.chatWritten(chatId)) return null;
      const chat = state.getChat(chatId);
      return chat && view.durable(chat);
    },

    async listChats(sellerId, options) {
      use();
      return state.listChats(sellerId, options, (chat) => view.chatWritten(chat.id)).map((chat) => view.durable(chat));
    },

    async appendMessage(input) {
      use();
      const activityBefore = state.storedChat(input.chatId)?.lastActivity ?? 0;
      // Synchronous up to the commit: ids are given, and committed, in call order. The chat's own
      // record was committed earlier, so it is durable before its message is.
      const { message, duplicate, changes } = state.appendMessage(input, Date.now());
      // A duplicate is confirmed only once the original is durable: its own commit may have failed or be in flight.
      const wait = duplicate ? view.whenMessageWritten(input.chatId, message.id) : view.commit(changes, activityBefore);
      if (wait) await wait;
      return { message, duplicate };
    },

    async listMessages(chatId, options) {
      use();
      // Only what is durable, without waiting: after a crash an unwritten id could return with other
      // text, and a write that fails (a full disk) must not hold up a sign-in.
      const first = view.firstUnwritten(chatId);
      if (first === Infinity) return state.listMessages(chatId, options);
      return state.listMessages(chatId, { ...options, before: Math.min(options.before ?? Infinity, first) });
    },

    async listRecentMessages(chatIds, options) {
      use();
      // All in memory: the same read as listMessages, per chat, without a turn of the loop between.
      return chatIds.map((chatId) => {
        const first = view.firstUnwritten(chatId);
        const after = options.after?.get(chatId);
        return state.listMessages(chatId, first === Infinity ? { limit: options.limit, after } : { limit: options.limit, after, before: first });
      });
    },

    async markRead(chatId, side, messageId) {
      use();
      return durableChat(state.markRead(chatId, side, messageId));
    },

    async closeChat(chatId) {
      use();
      return durableChat(state.closeChat(chatId, Date.now()));
    },

    async findChats(sellerId, options) {
      use();
      return state.findChats(sellerId, options);
    },

    async reopenChat(chatId) {
      use();
      return durableChat(state.reopenChat(chatId));
    },

    async markUnread(chatId, side) {
      use();
      return durableChat(state.markUnread(chatId, side));
    },

    async listReplies(sellerId) {
      use();
      return state.listReplies(sellerId);
    },

    async saveReply(sellerId, reply) {
      use();
      const result = state.saveReply(sellerId, reply);
      if (!result) return null;
      await view.commit(result.changes);
      return result.reply;
    },

    async deleteReply(sellerId, id) {
      use();
      const { deleted, changes } = state.deleteReply(sellerId, id);
      await view.commit(changes);
      return deleted;
    },

    close() {
      closing ??= persistence.close();
      return closing;
    },
  };
}
