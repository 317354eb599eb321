/**
 * What the widget remembers in localStorage, per chat server and per buyer-of-seller or seller: the
 * buyer's token (`token`), the messages not confirmed yet (`outbox`), and the sound and notification
 * choices (`sound`: '0' when muted; `notify`: '1' allowed, '0' declined). It never throws: private
 * modes and sandboxed frames refuse localStorage, and the chat must still work there (the buyer then
 * signs up again after a reload).
 */
import type { OutboxItem } from './outbox.js';

export type PreferenceKey = 'token' | 'outbox' | 'sound' | 'notify';

const isOutboxItem = (v: unknown): v is OutboxItem => {
  const i = v as OutboxItem;
  return typeof i?.clientId === 'string' && typeof i.chatId === 'number' && typeof i.text === 'string' && typeof i.clientDate === 'number';
};

export class Preferences {
  readonly #prefix: string;

  /** `who` is `buyer:<sellerId>` or `seller:<id>` (the resolved options' `who`). */
  constructor(socketUrl: string, who: string) {
    this.#prefix = `ahchat:${socketUrl}:${who}:`;
  }

  read(key: PreferenceKey): string | null {
    try {
      return localStorage.getItem(this.#prefix + key);
    } catch {
      return null;
    }
  }

  /** null removes the value. */
  write(key: PreferenceKey, value: string | null): void {
    try {
      if (value === null) localStorage.removeItem(this.#prefix + key);
      else localStorage.setItem(this.#prefix + key, value);
    } catch {
      // storage full or refused: the value lives as long as the page
    }
  }

  /** Messages the server had not confirmed when the last page went (their retries counted anew). */
  outbox(): OutboxItem[] {
    try {
      const items = JSON.parse(this.read('outbox') ?? '[]') as unknown;
      return Array.isArray(items) ? items.filter(isOutboxItem).map((i) => ({ ...i, retries: 0 })) : [];
    } catch {
      return [];
    }
  }
}
