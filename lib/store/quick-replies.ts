/** The sellers' quick replies, in memory (StoreState's part of them). */
import { MAX_REPLIES, ReplyLimitError, type QuickReply, type SellerKey } from './store.js';

export class QuickReplies {
  #bySeller = new Map<SellerKey, QuickReply[]>();
  #nextId = 1;

  list(sellerId: SellerKey): QuickReply[] {
    return (this.#bySeller.get(sellerId) ?? []).map((r) => ({ ...r }));
  }

  /** A new reply (no id) or a changed one; null when the seller has no reply with that id. Throws ReplyLimitError. */
  save(sellerId: SellerKey, reply: { id?: number; text: string }): QuickReply | null {
    const list = this.#bySeller.get(sellerId) ?? [];
    if (reply.id !== undefined) {
      const stored = list.find((r) => r.id === reply.id);
      if (!stored) return null;
      stored.text = reply.text;
      return { ...stored };
    }
    if (list.length >= MAX_REPLIES) throw new ReplyLimitError();
    const stored = { id: this.#nextId++, text: reply.text };
    list.push(stored);
    this.#bySeller.set(sellerId, list);
    return { ...stored };
  }

  delete(sellerId: SellerKey, id: number): boolean {
    const list = this.#bySeller.get(sellerId) ?? [];
    const at = list.findIndex((r) => r.id === id);
    if (at < 0) return false;
    list.splice(at, 1);
    return true;
  }

  /** Every seller's replies, as stored (not copies: for a persistence to write out). */
  stored(): Record<SellerKey, QuickReply[]> {
    return Object.fromEntries(this.#bySeller);
  }

  /** Puts back replies a persistence had written (takes ownership of them). */
  restore(replies: Record<SellerKey, QuickReply[]>): void {
    for (const [sellerId, list] of Object.entries(replies)) {
      this.#bySeller.set(sellerId, list);
      for (const r of list) this.#nextId = Math.max(this.#nextId, r.id + 1);
    }
  }
}
