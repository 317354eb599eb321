/**
 * Messages the user wrote that the server has not confirmed yet. Every item keeps its clientId for
 * its whole life, so a resend after a reconnect is recognised by the server as the same message
 * (stored once, confirmed with the original id). Pure data: no sockets, no timers.
 */
export interface OutboxItem {
  clientId: string;
  chatId: number;
  text: string;
  /** Unix ms when the user pressed send; sent as clientDate. */
  clientDate: number;
  /** How many times it was sent and answered with a retryable error. */
  retries: number;
}

export class Outbox {
  #items: OutboxItem[] = [];
  /** clientIds sent on the current socket and not answered yet, oldest first. */
  #inFlight: string[] = [];

  constructor(items: readonly OutboxItem[] = []) {
    for (const item of items) this.add(item);
  }

  /** Queues a message; a clientId already queued is ignored. */
  add(item: OutboxItem): void {
    if (!this.#items.some((i) => i.clientId === item.clientId)) this.#items.push({ ...item });
  }

  get size(): number {
    return this.#items.length;
  }

  list(): readonly OutboxItem[] {
    return this.#items;
  }

  /** Items not sent on the current socket yet, oldest first; they are marked in flight. */
  takeUnsent(): OutboxItem[] {
    const unsent = this.#items.filter((i) => !this.#inFlight.includes(i.clientId));
    for (const item of unsent) this.#inFlight.push(item.clientId);
    return unsent;
  }

  /** The oldest message sent on this socket and not answered: the one a bare error frame is about. */
  oldestInFlight(): OutboxItem | undefined {
    const id = this.#inFlight[0];
    return id === undefined ? undefined : this.#items.find((i) => i.clientId === id);
  }

  /** The server confirmed it: forget it. Returns the item, or undefined if it was not ours. */
  confirm(clientId: string): OutboxItem | undefined {
    return this.#remove(clientId);
  }

  /** The server refused it for good: forget it. */
  reject(clientId: string): OutboxItem | undefined {
    return this.#remove(clientId);
  }

  /** A retryable error: keep it, count the retry, and send it again with the next flush. */
  retry(clientId: string): OutboxItem | undefined {
    this.#inFlight = this.#inFlight.filter((id) => id !== clientId);
    const item = this.#items.find((i) => i.clientId === clientId);
    if (item) item.retries += 1;
    return item;
  }

  /** The socket is gone: nothing is in flight any more, everything will be sent again. */
  resetInFlight(): void {
    this.#inFlight = [];
  }

  /** Forgets everything (the chat these messages were for is gone). */
  clear(): void {
    this.#items = [];
    this.#inFlight = [];
  }

  /** Whether something was sent and is waiting for an answer. */
  hasInFlight(): boolean {
    return this.#inFlight.length > 0;
  }

  #remove(clientId: string): OutboxItem | undefined {
    const index = this.#items.findIndex((i) => i.clientId === clientId);
    this.#inFlight = this.#inFlight.filter((id) => id !== clientId);
    return index < 0 ? undefined : this.#items.splice(index, 1)[0];
  }
}

/** A clientId: 128 random bits. getRandomValues works on plain http pages too (randomUUID does not). */
export function newClientId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let id = '';
  for (const b of bytes) id += b.toString(16).padStart(2, '0');
  return id;
}
