/**
 * The in-memory data of a store and the rules of the Store contract applied to it, synchronously.
 * memoryStore is this plus promises; lowdbStore is this plus files. Keeping the rules in one place
 * means both stores give exactly the same answers.
 *
 * Every method of the Store's rules returns copies: a caller can never reach (and mutate) what is
 * stored here. Only the loading and writing-out methods at the end share objects, with a persistent store.
 */
import btree from 'sorted-btree';
import { ChatClosedError, ChatOpenError, MAX_REPLIES, ReplyLimitError, searchWords, type Buyer, type FindChatsOptions, type QuickReply, type Chat, type ListMessagesOptions, type Message, type NewMessage, type SellerKey, type Side } from './store.js';

interface ChatRecord {
  chat: Chat;
  /** Its place in its seller's ordered index (see SellerChats); null until it is in there. */
  key: ActivityKey | null;
  /** messages[i].id === i + 1: ids are consecutive, so paging is index arithmetic. */
  messages: Message[];
  /** `${side}\n${clientId}` → message, for appendMessage's idempotence. */
  byClientId: Map<string, Message>;
}

export function copyChat(chat: Chat): Chat {
  return { ...chat, readIds: { ...chat.readIds }, unread: { ...chat.unread } };
}

export function copyMessage(message: Message): Message {
  return { ...message };
}

function copyBuyer(buyer: Buyer): Buyer {
  return { ...buyer };
}

const otherSide = (side: Side): Side => (side === 'buyer' ? 'seller' : 'buyer');
const clientKey = (side: Side, clientId: string): string => `${side}\n${clientId}`;
const openKey = (buyerId: number, sellerId: SellerKey): string => `${buyerId}\n${sellerId}`;

// A CommonJS module: Node's ESM loader hands over module.exports, a bundler or test runner may hand over its default.
const BTree = (btree as { default?: typeof btree.default }).default ?? (btree as unknown as typeof btree.default);
type BTree<K, V> = InstanceType<typeof btree.default<K, V>>;

/** A chat's place in its seller's list: activity as of its last (re)insertion, and its id. */
interface ActivityKey {
  activity: number;
  id: number;
}

/** Newest activity first; equal activity (same millisecond) puts the newer chat first. */
function byActivity(a: ActivityKey, b: ActivityKey): number {
  return b.activity - a.activity || b.id - a.id;
}

/**
 * One seller's chats, ordered newest activity first, open and closed apart: a sign-in reads the
 * first `limit` in O(limit · log n) instead of sorting all of them (a B+ tree; a chat that gets a
 * message moves in O(log n)). Closed chats never move again (they take no messages).
 */
interface SellerChats {
  open: BTree<ActivityKey, ChatRecord>;
  closed: BTree<ActivityKey, ChatRecord> | null;
}

export class StoreState {
  #buyers: Buyer[] = [];
  #buyersByHash = new Map<string, Buyer>();
  #chats = new Map<number, ChatRecord>();
  #chatsBySeller = new Map<SellerKey, SellerChats>();
  /** buyer + seller → that pair's open chat. */
  #openChats = new Map<string, ChatRecord>();
  #nextChatId = 1;
  #replies = new Map<SellerKey, QuickReply[]>();
  #nextReplyId = 1;

  createBuyer(input: { name: string; tokenHash: string }, now: number): Buyer {
    if (this.#buyersByHash.has(input.tokenHash)) {
      // A collision of 128-bit random tokens means a caller bug, not bad luck.
      throw new Error('createBuyer: a buyer with this tokenHash already exists');
    }
    const buyer: Buyer = { id: this.#buyers.length + 1, name: input.name, tokenHash: input.tokenHash, createdAt: now };
    this.restoreBuyer(buyer);
    return copyBuyer(buyer);
  }

  findBuyerByTokenHash(tokenHash: string): Buyer | null {
    const buyer = this.#buyersByHash.get(tokenHash);
    return buyer ? copyBuyer(buyer) : null;
  }

  openChat(input: { buyerId: number; sellerId: SellerKey; chatter: string }, now: number): { chat: Chat; created: boolean } {
    const open = this.#openChats.get(openKey(input.buyerId, input.sellerId));
    if (open) return { chat: copyChat(open.chat), created: false };
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
    return { chat: copyChat(chat), created: true };
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
    const seller = this.#chatsBySeller.get(sellerId);
    if (!(limit > 0) || !seller) return [];
    const chats: Chat[] = [];
    const open = seller.open.values();
    const closed = options.includeClosed && seller.closed ? seller.closed.values() : null;
    let nextOpen = open.next();
    let nextClosed = closed?.next();
    // A merge of the two ordered lists, stopping at `limit`.
    while (chats.length < limit) {
      const openFirst = !nextOpen.done && (!nextClosed || nextClosed.done || byActivity(nextOpen.value.key!, nextClosed.value.key!) < 0);
      let record: ChatRecord;
      if (openFirst) {
        record = nextOpen.value!;
        nextOpen = open.next();
      } else if (nextClosed && !nextClosed.done) {
        record = nextClosed.value;
        nextClosed = closed!.next();
      } else {
        break;
      }
      if (!include || include(record.chat)) chats.push(copyChat(record.chat));
    }
    return chats;
  }

  /** Throws when the chat does not exist: the caller checked it before (it must, for isolation). */
  appendMessage(input: NewMessage, now: number): { message: Message; duplicate: boolean } {
    const record = this.#record(input.chatId);
    if (input.clientId !== undefined) {
      const stored = record.byClientId.get(clientKey(input.from, input.clientId));
      if (stored) return { message: copyMessage(stored), duplicate: true };
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
    this.#add(record, message);
    record.chat.unread[otherSide(input.from)] += 1;
    return { message: copyMessage(message), duplicate: false };
  }

  /** The stored message (the original) with this clientId from this side, if any. */
  findByClientId(chatId: number, from: Side, clientId: string): Message | null {
    const stored = this.#chats.get(chatId)?.byClientId.get(clientKey(from, clientId));
    return stored ? copyMessage(stored) : null;
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

  /** Returns the chat and whether the marker moved; null when there is no such chat. */
  markRead(chatId: number, side: Side, messageId: number): { chat: Chat; changed: boolean } | null {
    const record = this.#chats.get(chatId);
    if (!record) return null;
    const { chat } = record;
    const readId = Math.min(Math.floor(messageId), chat.lastMessageId);
    if (!(readId > chat.readIds[side])) return { chat: copyChat(chat), changed: false };
    chat.readIds[side] = readId;
    chat.unread[side] = countFrom(record.messages, otherSide(side), readId);
    return { chat: copyChat(chat), changed: true };
  }

  /** Returns the chat and whether it was open until now; null when there is no such chat. */
  closeChat(chatId: number, now: number): { chat: Chat; changed: boolean } | null {
    const record = this.#chats.get(chatId);
    if (!record) return null;
    if (record.chat.closedAt !== undefined) return { chat: copyChat(record.chat), changed: false };
    this.#unindex(record);
    record.chat.closedAt = now;
    this.#index(record);
    this.#openChats.delete(openKey(record.chat.buyerId, record.chat.sellerId));
    return { chat: copyChat(record.chat), changed: true };
  }

  // ---- the seller's inbox ----

  /**
   * findChats by a scan: chats in activity order, and for a query their messages, until the page is
   * full or SEARCH_SCAN messages were read (then the page ends early, with a cursor to go on from).
   */
  findChats(sellerId: SellerKey, options: FindChatsOptions): { chats: Chat[]; next: { lastActivity: number; id: number } | null } {
    const limit = Math.floor(options.limit);
    if (!(limit > 0)) return { chats: [], next: null };
    const { filter, after } = options;
    const query = options.query?.trim().toLowerCase() ?? '';
    const words = searchWords(query);
    // The seller's ordered index, from the cursor on: no sort, and earlier pages are not walked again.
    const seller = this.#chatsBySeller.get(sellerId);
    const tree = filter === 'closed' ? seller?.closed : seller?.open;
    const records = tree ? tree.values(after && { activity: after.lastActivity, id: after.id }) : [];
    const chats: Chat[] = [];
    const page = (next: Chat | null) => ({ chats: chats.map(copyChat), next: next && { lastActivity: next.lastActivity, id: next.id } });
    let scanned = 0;
    let examined: Chat | null = null;
    for (const { chat, messages } of records) {
      if (after && (chat.lastActivity > after.lastActivity || (chat.lastActivity === after.lastActivity && chat.id >= after.id))) continue;
      // The bound: go on from the last chat looked at, next time.
      if (scanned >= SEARCH_SCAN) return page(examined);
      examined = chat;
      if (chat.lastMessageId === 0) continue;
      const closed = chat.closedAt !== undefined;
      if (filter === 'closed' ? !closed : closed) continue;
      if (filter === 'unread' && chat.unread.seller === 0) continue;
      if (filter === 'waiting' && messages[messages.length - 1]?.from !== 'buyer') continue;
      if (query && !chat.chatter.toLowerCase().includes(query)) {
        if (words.length === 0) continue;
        let found = false;
        for (let i = messages.length - 1; i >= 0 && !found; i--) found = matches((messages[i] as Message).text, words);
        scanned += messages.length;
        if (!found) continue;
      }
      // One more match than fits: there is a next page.
      if (chats.length === limit) return page(chats[limit - 1] as Chat);
      chats.push(chat);
    }
    return page(null);
  }

  /** Returns the chat and whether it was closed until now; null when there is no such chat. Throws ChatOpenError. */
  reopenChat(chatId: number): { chat: Chat; changed: boolean } | null {
    const record = this.#chats.get(chatId);
    if (!record) return null;
    const { chat } = record;
    if (chat.closedAt === undefined) return { chat: copyChat(chat), changed: false };
    const key = openKey(chat.buyerId, chat.sellerId);
    if (this.#openChats.has(key)) throw new ChatOpenError(chatId);
    // Out of the closed index, back into the open one (#unindex finds it by closedAt).
    this.#unindex(record);
    delete chat.closedAt;
    this.#index(record);
    this.#openChats.set(key, record);
    return { chat: copyChat(chat), changed: true };
  }

  /** Returns the chat and whether the marker moved; null when there is no such chat. */
  markUnread(chatId: number, side: Side): { chat: Chat; changed: boolean } | null {
    const record = this.#chats.get(chatId);
    if (!record) return null;
    const { chat, messages } = record;
    let newest = messages.length;
    while (newest > 0 && messages[newest - 1]!.from === side) newest--;
    if (newest === 0 || chat.readIds[side] < newest) return { chat: copyChat(chat), changed: false };
    chat.readIds[side] = newest - 1;
    chat.unread[side] = countFrom(messages, otherSide(side), newest - 1);
    return { chat: copyChat(chat), changed: true };
  }

  listReplies(sellerId: SellerKey): QuickReply[] {
    return (this.#replies.get(sellerId) ?? []).map((r) => ({ ...r }));
  }

  saveReply(sellerId: SellerKey, reply: { id?: number; text: string }): QuickReply | null {
    const list = this.#replies.get(sellerId) ?? [];
    if (reply.id !== undefined) {
      const stored = list.find((r) => r.id === reply.id);
      if (!stored) return null;
      stored.text = reply.text;
      return { ...stored };
    }
    if (list.length >= MAX_REPLIES) throw new ReplyLimitError();
    const stored = { id: this.#nextReplyId++, text: reply.text };
    list.push(stored);
    this.#replies.set(sellerId, list);
    return { ...stored };
  }

  deleteReply(sellerId: SellerKey, id: number): boolean {
    const list = this.#replies.get(sellerId) ?? [];
    const at = list.findIndex((r) => r.id === id);
    if (at < 0) return false;
    list.splice(at, 1);
    return true;
  }

  /** Every seller's replies, as stored (for a persistent store to write out). */
  storedReplies(): Record<SellerKey, QuickReply[]> {
    return Object.fromEntries(this.#replies);
  }

  /** Puts back replies a persistent store had written (takes ownership of them). */
  restoreReplies(replies: Record<SellerKey, QuickReply[]>): void {
    for (const [sellerId, list] of Object.entries(replies)) {
      this.#replies.set(sellerId, list);
      for (const r of list) this.#nextReplyId = Math.max(this.#nextReplyId, r.id + 1);
    }
  }

  // ---- loading (used by persistent stores to rebuild the state from their files) ----

  // These take ownership of the objects they are given (no copy: a loaded message then lives once in
  // memory, shared with the file it came from). Callers must not change them afterwards.

  /** Adds a buyer as it was stored. Ids must come in order 1, 2, 3, … */
  restoreBuyer(buyer: Buyer): void {
    this.#buyers.push(buyer);
    this.#buyersByHash.set(buyer.tokenHash, buyer);
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
    this.#index(record);
    if (chat.closedAt === undefined) this.#openChats.set(openKey(chat.buyerId, chat.sellerId), record);
  }

  // ---- writing out (used by persistent stores to write their files from the state) ----

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

  #add(record: ChatRecord, message: Message): void {
    record.messages.push(message);
    if (message.clientId !== undefined) record.byClientId.set(clientKey(message.from, message.clientId), message);
    record.chat.lastMessageId = message.id;
    // A clock stepping back must not reorder the seller's list under a chat that just got a message.
    const activity = Math.max(record.chat.lastActivity, message.createdAt);
    if (activity === record.chat.lastActivity) return;
    const indexed = record.key !== null;
    if (indexed) this.#unindex(record);
    record.chat.lastActivity = activity;
    if (indexed) this.#index(record);
  }

  /** Puts the chat in its seller's index, where its activity and state say. */
  #index(record: ChatRecord): void {
    const { chat } = record;
    let seller = this.#chatsBySeller.get(chat.sellerId);
    if (!seller) this.#chatsBySeller.set(chat.sellerId, (seller = { open: new BTree(undefined, byActivity), closed: null }));
    record.key = { activity: chat.lastActivity, id: chat.id };
    if (chat.closedAt === undefined) seller.open.set(record.key, record);
    else (seller.closed ??= new BTree(undefined, byActivity)).set(record.key, record);
  }

  #unindex(record: ChatRecord): void {
    const seller = this.#chatsBySeller.get(record.chat.sellerId);
    if (!seller || !record.key) return;
    (record.chat.closedAt === undefined ? seller.open : seller.closed)?.delete(record.key);
    record.key = null;
  }

  #record(chatId: number): ChatRecord {
    const record = this.#chats.get(chatId);
    if (!record) throw new Error(`appendMessage: no chat with id ${chatId}`);
    return record;
  }
}

/** How many messages a search reads, at most, for one page (the bound of findChats' scan). */
export const SEARCH_SCAN = 20_000;

/** Whether every search word starts one of the words of the text. */
function matches(text: string, words: string[]): boolean {
  const own = searchWords(text);
  return words.every((w) => own.some((o) => o.startsWith(w)));
}

/** How many messages from `side` have an id above `afterId`. */
function countFrom(messages: Message[], side: Side, afterId: number): number {
  let count = 0;
  for (let i = afterId; i < messages.length; i++) if (messages[i]!.from === side) count++;
  return count;
}
