// Over ~300 lines: one class, the Store contract's rules over one set of indexes that no part can own alone.
/**
 * The in-memory data of a store and the rules of the Store contract applied to it, synchronously.
 * A composed store (composed-store.ts) is this plus a persistence: keeping the rules in one place
 * means every such store gives exactly the same answers.
 *
 * Every writing method returns, beside its answer, the change records of what it changed (change.ts),
 * for the persistence to commit. Every answer and record holds copies: a caller can never reach (and
 * mutate) what is stored here. Only the loading and writing-out methods at the end share objects,
 * with a persistence.
 */
import { ActivityIndex, type ActivityKey } from './activity-index.js';
import type { Change, Changed } from './change.js';
import { searchChats } from './inbox-search.js';
import { QuickReplies } from './quick-replies.js';
import { ChatClosedError, ChatOpenError, otherSide, type Buyer, type BuyerProfile, type Chat, type ChatCursor, type FindChatsOptions, type ListMessagesOptions, type Message, type NewMessage, type PageContext, type QuickReply, type SellerKey, type Side } from './store.js';

interface ChatRecord {
  chat: Chat;
  /** Its place in its seller's ordered index; null until it is in there. */
  key: ActivityKey | null;
  /** messages[i].id === i + 1: ids are consecutive, so paging is index arithmetic. */
  messages: Message[];
  /** `${side}\n${clientId}` → message, for appendMessage's idempotence. */
  byClientId: Map<string, Message>;
}

function copyChat(chat: Chat): Chat {
  const copy = { ...chat, readIds: { ...chat.readIds }, unread: { ...chat.unread } };
  if (chat.context) copy.context = { ...chat.context };
  return copy;
}

function copyMessage(message: Message): Message {
  const copy = { ...message };
  if (message.context) copy.context = { ...message.context };
  return copy;
}

const clientKey = (side: Side, clientId: string): string => `${side}\n${clientId}`;
const openKey = (buyerId: number, sellerId: SellerKey): string => `${buyerId}\n${sellerId}`;
const chatChanged = (chat: Chat, created = false): Change => ({ kind: 'chat', chat: copyChat(chat), created });
/** The answer for a chat that changed (or not): the chat, and its change record when it did. */
const chatAnswer = (chat: Chat, changed: boolean): Changed<{ chat: Chat }> => ({ chat: copyChat(chat), changes: changed ? [chatChanged(chat)] : [] });

export class StoreState {
  #buyers: Buyer[] = [];
  #buyersByHash = new Map<string, Buyer>();
  #buyersByExternalId = new Map<string, Buyer>();
  /** buyer id → its chats (for renaming the chatter of its open ones). */
  #chatsByBuyer = new Map<number, ChatRecord[]>();
  #chats = new Map<number, ChatRecord>();
  #index = new ActivityIndex<ChatRecord>();
  /** buyer + seller → that pair's open chat. */
  #openChats = new Map<string, ChatRecord>();
  #nextChatId = 1;
  #replies = new QuickReplies();

  createBuyer(input: BuyerProfile & { tokenHash: string; externalId?: string }, now: number): Changed<{ buyer: Buyer }> {
    if (this.#buyersByHash.has(input.tokenHash)) {
      // A collision of 128-bit random tokens means a caller bug, not bad luck.
      throw new Error('createBuyer: a buyer with this tokenHash already exists');
    }
    const buyer: Buyer = { id: this.#buyers.length + 1, name: input.name, tokenHash: input.tokenHash, createdAt: now };
    if (input.externalId !== undefined) buyer.externalId = input.externalId;
    if (input.email !== undefined) buyer.email = input.email;
    if (input.guest) buyer.guest = true;
    this.restoreBuyer(buyer);
    return { buyer: { ...buyer }, changes: [{ kind: 'buyer', buyer: { ...buyer }, created: true }] };
  }

  findBuyerByTokenHash(tokenHash: string): Buyer | null {
    const buyer = this.#buyersByHash.get(tokenHash);
    return buyer ? { ...buyer } : null;
  }

  getBuyer(buyerId: number): Buyer | null {
    const buyer = this.#buyers[buyerId - 1];
    return buyer ? { ...buyer } : null;
  }

  findBuyerByExternalId(externalId: string): Buyer | null {
    const buyer = this.#buyersByExternalId.get(externalId);
    return buyer ? { ...buyer } : null;
  }

  upsertBuyer(input: BuyerProfile & { externalId: string; tokenHash: string }, now: number): Changed<{ buyer: Buyer; created: boolean }> {
    const found = this.#buyersByExternalId.get(input.externalId);
    if (!found) return { ...this.createBuyer(input, now), created: true };
    return { ...this.updateBuyer(found.id, { name: input.name, email: input.email })!, created: false };
  }

  /** Null when there is no such buyer. A new name is also the chatter of the buyer's open chats (changed too). */
  updateBuyer(buyerId: number, change: { name?: string; email?: string }): Changed<{ buyer: Buyer }> | null {
    const buyer = this.#buyers[buyerId - 1];
    if (!buyer) return null;
    let changed = false;
    const chats: Change[] = [];
    if (change.email !== undefined && change.email !== buyer.email) {
      buyer.email = change.email;
      changed = true;
    }
    if (change.name !== undefined && (change.name !== buyer.name || buyer.guest)) {
      buyer.name = change.name;
      delete buyer.guest;
      changed = true;
      for (const { chat } of this.#chatsByBuyer.get(buyerId) ?? []) {
        if (chat.closedAt !== undefined || chat.chatter === change.name) continue;
        chat.chatter = change.name;
        chats.push(chatChanged(chat));
      }
    }
    const changes: Change[] = changed ? [{ kind: 'buyer', buyer: { ...buyer }, created: false }, ...chats] : [];
    return { buyer: { ...buyer }, changes };
  }

  /** Null when there is no such chat. */
  setChatContext(chatId: number, context: PageContext): Changed<{ chat: Chat }> | null {
    const record = this.#chats.get(chatId);
    if (!record) return null;
    if (sameContext(record.chat.context, context)) return chatAnswer(record.chat, false);
    record.chat.context = { ...context };
    return chatAnswer(record.chat, true);
  }

  openChat(input: { buyerId: number; sellerId: SellerKey; chatter: string }, now: number): Changed<{ chat: Chat; created: boolean }> {
    const open = this.#openChats.get(openKey(input.buyerId, input.sellerId));
    if (open) return { chat: copyChat(open.chat), created: false, changes: [] };
    const chat: Chat = {
      id: this.#nextChatId,
      sellerId: input.sellerId,
      buyerId: input.buyerId,
      chatter: input.chatter,
      createdAt: now,
      lastActivity: now,
      lastMessageId: 0,
      readIds: { buyer: 0, seller: 0 },
      unread: { buyer: 0, seller: 0 },
    };
    this.restoreChat(chat, []);
    return { chat: copyChat(chat), created: true, changes: [chatChanged(chat, true)] };
  }

  getChat(chatId: number): Chat | null {
    const record = this.#chats.get(chatId);
    return record ? copyChat(record.chat) : null;
  }

  /**
   * The seller's chats, newest activity first. `include` (for a persistent store: "is it on disk
   * yet?") leaves chats out without costing a sort; it is asked only until `limit` are found.
   */
  listChats(sellerId: SellerKey, options: { limit: number; includeClosed?: boolean }, include?: (chat: Readonly<Chat>) => boolean): Chat[] {
    const limit = Math.floor(options.limit);
    if (!(limit > 0)) return [];
    return this.#index.list(sellerId, limit, options.includeClosed === true, include).map((record) => copyChat(record.chat));
  }

  /** Throws when the chat does not exist: the caller checked it before (it must, for isolation). */
  appendMessage(input: NewMessage, now: number): Changed<{ message: Message; duplicate: boolean }> {
    const record = this.#chats.get(input.chatId);
    if (!record) throw new Error(`appendMessage: no chat with id ${input.chatId}`);
    if (input.clientId !== undefined) {
      const stored = record.byClientId.get(clientKey(input.from, input.clientId));
      if (stored) return { message: copyMessage(stored), duplicate: true, changes: [] };
    }
    if (record.chat.closedAt !== undefined) throw new ChatClosedError(input.chatId);
    const message: Message = {
      id: record.messages.length + 1,
      chatId: input.chatId,
      from: input.from,
      text: input.text,
      createdAt: now,
      clientDate: input.clientDate,
    };
    if (input.clientId !== undefined) message.clientId = input.clientId;
    if (input.context !== undefined) message.context = { ...input.context };
    this.#add(record, message);
    record.chat.unread[otherSide(input.from)] += 1;
    return { message: copyMessage(message), duplicate: false, changes: [{ kind: 'message', message: copyMessage(message) }] };
  }

  listMessages(chatId: number, options: ListMessagesOptions): Message[] {
    const record = this.#chats.get(chatId);
    const limit = Math.floor(options.limit);
    if (!record || !(limit > 0)) return [];
    // Message id n sits at index n - 1: ids > after start at index floor(after), ids < before end before ceil(before) - 1.
    const start = Math.max(0, Math.floor(options.after ?? 0));
    const end = Math.min(record.messages.length, options.before === undefined ? Infinity : Math.ceil(options.before) - 1);
    if (end <= start) return [];
    return record.messages.slice(Math.max(start, end - limit), end).map(copyMessage);
  }

  /** Moves side's marker up to messageId (never down); null when there is no such chat. */
  markRead(chatId: number, side: Side, messageId: number): Changed<{ chat: Chat }> | null {
    const record = this.#chats.get(chatId);
    if (!record) return null;
    const { chat } = record;
    const readId = Math.min(Math.floor(messageId), chat.lastMessageId);
    if (!(readId > chat.readIds[side])) return chatAnswer(chat, false);
    chat.readIds[side] = readId;
    chat.unread[side] = countFrom(record.messages, otherSide(side), readId);
    return chatAnswer(chat, true);
  }

  /** Null when there is no such chat; a closed chat is answered unchanged. */
  closeChat(chatId: number, now: number): Changed<{ chat: Chat }> | null {
    const record = this.#chats.get(chatId);
    if (!record) return null;
    if (record.chat.closedAt !== undefined) return chatAnswer(record.chat, false);
    this.#index.remove(record);
    record.chat.closedAt = now;
    this.#index.add(record);
    this.#openChats.delete(openKey(record.chat.buyerId, record.chat.sellerId));
    return chatAnswer(record.chat, true);
  }

  // ---- the seller's inbox ----

  /** See Store.findChats; the seller's ordered index from the cursor on (earlier pages are not walked again). */
  findChats(sellerId: SellerKey, options: FindChatsOptions): { chats: Chat[]; next: ChatCursor | null } {
    const after = options.after && { activity: options.after.lastActivity, id: options.after.id };
    const { chats, next } = searchChats(this.#index.from(sellerId, options.filter === 'closed', after), options);
    return { chats: chats.map(copyChat), next };
  }

  /** Null when there is no such chat; an open chat is answered unchanged. Throws ChatOpenError. */
  reopenChat(chatId: number): Changed<{ chat: Chat }> | null {
    const record = this.#chats.get(chatId);
    if (!record) return null;
    const { chat } = record;
    if (chat.closedAt === undefined) return chatAnswer(chat, false);
    const key = openKey(chat.buyerId, chat.sellerId);
    if (this.#openChats.has(key)) throw new ChatOpenError(chatId);
    // Out of the closed index, back into the open one (remove finds it by closedAt).
    this.#index.remove(record);
    delete chat.closedAt;
    this.#index.add(record);
    this.#openChats.set(key, record);
    return chatAnswer(chat, true);
  }

  /** Null when there is no such chat. */
  markUnread(chatId: number, side: Side): Changed<{ chat: Chat }> | null {
    const record = this.#chats.get(chatId);
    if (!record) return null;
    const { chat, messages } = record;
    let newest = messages.length;
    while (newest > 0 && messages[newest - 1]!.from === side) newest--;
    if (newest === 0 || chat.readIds[side] < newest) return chatAnswer(chat, false);
    chat.readIds[side] = newest - 1;
    chat.unread[side] = countFrom(messages, otherSide(side), newest - 1);
    return chatAnswer(chat, true);
  }

  listReplies(sellerId: SellerKey): QuickReply[] {
    return this.#replies.list(sellerId);
  }

  /** Null when the seller has no reply with that id. Throws ReplyLimitError. */
  saveReply(sellerId: SellerKey, reply: { id?: number; text: string }): Changed<{ reply: QuickReply }> | null {
    const saved = this.#replies.save(sellerId, reply);
    return saved && { reply: saved, changes: [this.#repliesChanged(sellerId)] };
  }

  deleteReply(sellerId: SellerKey, id: number): Changed<{ deleted: boolean }> {
    const deleted = this.#replies.delete(sellerId, id);
    return { deleted, changes: deleted ? [this.#repliesChanged(sellerId)] : [] };
  }

  // ---- loading (used by a persistence to rebuild the state from what it stored) ----

  // These take ownership of the objects they are given (no copy: a loaded message then lives once in
  // memory, shared with the file it came from). Callers must not change them afterwards.

  /** Adds a buyer as it was stored. Ids must come in order 1, 2, 3, … */
  restoreBuyer(buyer: Buyer): void {
    this.#buyers.push(buyer);
    this.#buyersByHash.set(buyer.tokenHash, buyer);
    if (buyer.externalId !== undefined) this.#buyersByExternalId.set(buyer.externalId, buyer);
  }

  /**
   * Adds a chat as it was stored, with its messages (ids 1, 2, 3, …). lastMessageId, lastActivity
   * and unread are derived from the messages; readIds are clamped to the last message.
   */
  restoreChat(chat: Chat, messages: Message[]): void {
    const record: ChatRecord = { chat, key: null, messages: [], byClientId: new Map() };
    chat.lastMessageId = 0;
    chat.lastActivity = chat.createdAt;
    for (const message of messages) this.#add(record, message);
    for (const side of ['buyer', 'seller'] as const) {
      record.chat.readIds[side] = Math.min(record.chat.readIds[side], record.chat.lastMessageId);
      record.chat.unread[side] = countFrom(record.messages, otherSide(side), record.chat.readIds[side]);
    }
    this.#chats.set(chat.id, record);
    this.#nextChatId = Math.max(this.#nextChatId, chat.id + 1);
    this.#index.add(record);
    const byBuyer = this.#chatsByBuyer.get(chat.buyerId);
    if (byBuyer) byBuyer.push(record);
    else this.#chatsByBuyer.set(chat.buyerId, [record]);
    if (chat.closedAt === undefined) this.#openChats.set(openKey(chat.buyerId, chat.sellerId), record);
  }

  /** Puts back replies a persistence had written (takes ownership of them). */
  restoreReplies(replies: Record<SellerKey, QuickReply[]>): void {
    this.#replies.restore(replies);
  }

  // ---- writing out (used by a persistence to write its files from the state) ----

  // These return the stored objects themselves, not copies (a message then lives once in memory, also
  // while its file is written). Callers must not change them.

  /** Buyers with ids start + 1 … end. */
  storedBuyers(start: number, end: number): Buyer[] {
    return this.#buyers.slice(start, end);
  }

  storedChat(chatId: number): Readonly<Chat> | undefined {
    return this.#chats.get(chatId)?.chat;
  }

  /** Messages of the chat with ids start + 1 … end. */
  storedMessages(chatId: number, start: number, end: number): Message[] {
    return this.#chats.get(chatId)?.messages.slice(start, end) ?? [];
  }

  /** Every seller's replies. */
  storedReplies(): Record<SellerKey, QuickReply[]> {
    return this.#replies.stored();
  }

  #repliesChanged(sellerId: SellerKey): Change {
    return { kind: 'replies', sellerId, replies: this.#replies.list(sellerId) };
  }

  #add(record: ChatRecord, message: Message): void {
    record.messages.push(message);
    if (message.clientId !== undefined) record.byClientId.set(clientKey(message.from, message.clientId), message);
    record.chat.lastMessageId = message.id;
    // A clock stepping back must not reorder the seller's list under a chat that just got a message.
    const activity = Math.max(record.chat.lastActivity, message.createdAt);
    if (activity === record.chat.lastActivity) return;
    const indexed = record.key !== null;
    if (indexed) this.#index.remove(record);
    record.chat.lastActivity = activity;
    if (indexed) this.#index.add(record);
  }
}

/** Whether two contexts are the same (fields compared; key order does not matter). */
export function sameContext(a: PageContext | undefined, b: PageContext | undefined): boolean {
  if (!a || !b) return a === b;
  return a.title === b.title && a.url === b.url && a.image === b.image && a.price === b.price && a.ref === b.ref;
}

/** How many messages from `side` have an id above `afterId`. */
function countFrom(messages: Message[], side: Side, afterId: number): number {
  let count = 0;
  for (let i = afterId; i < messages.length; i++) if (messages[i]!.from === side) count++;
  return count;
}
