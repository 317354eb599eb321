/**
 * Each seller's chats ordered newest activity first, open and closed apart: a sign-in reads the
 * first `limit` in O(limit · log n) instead of sorting all of them (a B+ tree; a chat that gets a
 * message moves in O(log n)). Closed chats never move again (they take no messages).
 */
import btree from 'sorted-btree';
import type { Chat, SellerKey } from './store.js';

// A CommonJS module: Node's ESM loader hands over module.exports, a bundler or test runner may hand over its default.
const BTree = (btree as { default?: typeof btree.default }).default ?? (btree as unknown as typeof btree.default);
type BTree<K, V> = InstanceType<typeof btree.default<K, V>>;

/** A chat's place in its seller's list: activity as of its last (re)insertion, and its id. */
export interface ActivityKey {
  activity: number;
  id: number;
}

/** What the index holds: a chat and its place in the index (null while it is not in there). */
export interface Indexed {
  chat: Chat;
  key: ActivityKey | null;
}

/** Newest activity first; equal activity (same millisecond) puts the newer chat first. */
function byActivity(a: ActivityKey, b: ActivityKey): number {
  return b.activity - a.activity || b.id - a.id;
}

interface SellerChats<R> {
  open: BTree<ActivityKey, R>;
  closed: BTree<ActivityKey, R> | null;
}

export class ActivityIndex<R extends Indexed> {
  #sellers = new Map<SellerKey, SellerChats<R>>();

  /** Puts the chat in its seller's index, where its activity and state say. */
  add(record: R): void {
    const { chat } = record;
    let seller = this.#sellers.get(chat.sellerId);
    if (!seller) this.#sellers.set(chat.sellerId, (seller = { open: new BTree(undefined, byActivity), closed: null }));
    record.key = { activity: chat.lastActivity, id: chat.id };
    if (chat.closedAt === undefined) seller.open.set(record.key, record);
    else (seller.closed ??= new BTree(undefined, byActivity)).set(record.key, record);
  }

  /** Takes the chat out (found by its closedAt: call before changing it). */
  remove(record: R): void {
    const seller = this.#sellers.get(record.chat.sellerId);
    if (!seller || !record.key) return;
    (record.chat.closedAt === undefined ? seller.open : seller.closed)?.delete(record.key);
    record.key = null;
  }

  /** The seller's open (or closed) chats in activity order, from the cursor `after` on when given. */
  from(sellerId: SellerKey, closed: boolean, after?: ActivityKey): Iterable<R> {
    const seller = this.#sellers.get(sellerId);
    const tree = closed ? seller?.closed : seller?.open;
    return tree ? tree.values(after) : [];
  }

  /**
   * The first `limit` of the seller's chats in activity order (closed ones too when includeClosed):
   * a merge of the two ordered lists. `include` leaves chats out; it is asked only until `limit` are found.
   */
  list(sellerId: SellerKey, limit: number, includeClosed: boolean, include?: (chat: Readonly<Chat>) => boolean): R[] {
    const seller = this.#sellers.get(sellerId);
    if (!seller) return [];
    const records: R[] = [];
    const open = seller.open.values();
    const closed = includeClosed && seller.closed ? seller.closed.values() : null;
    let nextOpen = open.next();
    let nextClosed = closed?.next();
    while (records.length < limit) {
      const openFirst = !nextOpen.done && (!nextClosed || nextClosed.done || byActivity(nextOpen.value.key!, nextClosed.value.key!) < 0);
      let record: R;
      if (openFirst) {
        record = nextOpen.value!;
        nextOpen = open.next();
      } else if (nextClosed && !nextClosed.done) {
        record = nextClosed.value;
        nextClosed = closed!.next();
      } else {
        break;
      }
      if (!include || include(record.chat)) records.push(record);
    }
    return records;
  }
}
