/**
 * Commits a composed store's changes and remembers which are not durable yet, so that reads answer
 * at once with what is durable and never wait for a write. A change is in the state (and gives ids)
 * before its persistence made it durable; until then, or when that commit failed (its changes stay
 * queued and go with a later commit), nobody is shown a new message or a new chat, and a chat's
 * lastMessageId, lastActivity and unread counts are those of its durable messages. Read markers,
 * closing and renames count from the moment they are made. With a persistence that is durable at
 * once (memoryStore's), nothing is ever held back.
 */
import type { Change } from './change.js';
import type { Persistence } from './persistence.js';
import type { Chat, Side } from './store.js';

/** A message that is not durable yet. */
interface UnwrittenMessage {
  id: number;
  from: Side;
  /** Its commit's number. */
  seq: number;
  /** The chat's lastActivity before it. */
  activityBefore: number;
}

export class DurableView {
  #persistence: Persistence;
  #seq = 0;
  /** Every commit up to this number is durable (commits become durable in order). */
  #written = 0;
  /** Commits whose promise has not settled yet; one that rejected is neither here nor written. */
  #inFlight = new Map<number, Promise<void>>();
  /** Each chat's newest commit with a change of it (a later unchanged answer waits for that one). */
  #chatSeq = new Map<number, number>();
  /** Chats whose creation is not durable yet → its commit. */
  #unwrittenChats = new Map<number, number>();
  /** Chats whose creating openChat failed: the first openChat that finds one durable reports it created. */
  #unreportedChats = new Set<number>();
  /** Per chat, its messages not durable yet, ascending ids. */
  #unwrittenMessages = new Map<number, UnwrittenMessage[]>();

  constructor(persistence: Persistence) {
    this.#persistence = persistence;
  }

  /**
   * Commits changes (synchronously, so commits keep the order of the changes) and returns what to
   * await before answering: null when there is nothing to wait for. `activityBefore`: the chat's
   * lastActivity before a message change.
   */
  commit(changes: readonly Change[], activityBefore = 0): Promise<void> | null {
    return changes.length === 0 ? null : this.#send(changes, activityBefore);
  }

  /** Resolves once commit `seq` is durable (asking again for a commit that failed); null when it is. */
  whenWritten(seq: number | undefined): Promise<void> | null {
    if (seq === undefined || seq <= this.#written) return null;
    return this.#inFlight.get(seq) ?? this.#send([], 0);
  }

  #send(changes: readonly Change[], activityBefore: number): Promise<void> | null {
    const seq = ++this.#seq;
    const done = this.#persistence.commit(changes);
    if (!done) {
      this.#written = seq;
      return null;
    }
    this.#inFlight.set(seq, done);
    done.then(
      () => {
        this.#inFlight.delete(seq);
        if (seq > this.#written) this.#written = seq;
      },
      () => this.#inFlight.delete(seq),
    );
    for (const change of changes) {
      if (change.kind === 'chat') {
        this.#chatSeq.set(change.chat.id, seq);
        if (change.created) this.#unwrittenChats.set(change.chat.id, seq);
      } else if (change.kind === 'message') {
        const { id, from, chatId } = change.message;
        let list = this.#unwrittenMessages.get(chatId);
        if (!list) this.#unwrittenMessages.set(chatId, (list = []));
        list.push({ id, from, seq, activityBefore });
      }
    }
    return done;
  }

  /** For an answer that changed nothing: waits for the chat's own pending change, if any. */
  whenChatWritten(chatId: number): Promise<void> | null {
    return this.whenWritten(this.#chatSeq.get(chatId));
  }

  /** For a duplicate message: waits for the original, if it is not durable yet. */
  whenMessageWritten(chatId: number, messageId: number): Promise<void> | null {
    const list = this.#unwritten(chatId);
    const original = list?.[messageId - list[0]!.id];
    return original ? this.whenWritten(original.seq) : null;
  }

  /** Whether the chat's creation is durable (forgetting it once it is). */
  chatWritten(chatId: number): boolean {
    const seq = this.#unwrittenChats.get(chatId);
    if (seq === undefined) return true;
    if (seq > this.#written) return false;
    this.#unwrittenChats.delete(chatId);
    return true;
  }

  /** Waits for the chat's creation to be durable. */
  whenChatCreated(chatId: number): Promise<void> | null {
    return this.whenWritten(this.#unwrittenChats.get(chatId));
  }

  /** The chat's creation failed to commit: nobody was told of it yet. */
  unreported(chatId: number): void {
    this.#unreportedChats.add(chatId);
  }

  /** Whether nobody was told of the chat yet (then the caller reports it created, once). */
  reportNow(chatId: number): boolean {
    return this.#unreportedChats.delete(chatId);
  }

  /** The id below the chat's first message that is not durable (Infinity: all are). */
  firstUnwritten(chatId: number): number {
    return this.#unwritten(chatId)?.[0]!.id ?? Infinity;
  }

  /** The chat (a copy, changed in place) as its durable messages make it: last id, activity, unread. */
  durable(chat: Chat): Chat {
    const list = this.#unwritten(chat.id);
    if (!list) return chat;
    const last = list[0]!.id - 1;
    chat.lastMessageId = last;
    chat.lastActivity = list[0]!.activityBefore;
    for (const side of ['buyer', 'seller'] as const) {
      if (chat.readIds[side] >= last) {
        chat.readIds[side] = last;
        chat.unread[side] = 0;
      } else {
        chat.unread[side] -= list.filter((m) => m.from !== side).length;
      }
    }
    return chat;
  }

  /** The chat's messages that are not durable, after forgetting those that are now. */
  #unwritten(chatId: number): UnwrittenMessage[] | undefined {
    const list = this.#unwrittenMessages.get(chatId);
    if (!list) return undefined;
    let done = 0;
    while (done < list.length && list[done]!.seq <= this.#written) done++;
    if (done === list.length) {
      this.#unwrittenMessages.delete(chatId);
      return undefined;
    }
    if (done > 0) list.splice(0, done);
    return list;
  }
}
