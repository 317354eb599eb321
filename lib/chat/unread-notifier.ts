/**
 * The onUnread hook: once a quiet period after the first new message for someone who is offline,
 * tells the host what they have not read, so it can send one e-mail for a batch, never one per message.
 */
import { buyerKey, sellerKey, type PresenceKey } from '../bus/bus.js';
import type { Logger } from '../logger.js';
import type { OnUnread, UnreadNotice } from '../options.js';
import { toWireSellerId, type WireSellerId } from '../wire/index.js';
import { otherSide, type Message, type PageContext, type Side, type Store } from '../store/store.js';


/**
 * What the notifier asks the hub. An interface, not the Hub class, so that these public
 * declarations do not pull in the hub's sockets (and with them `ws`'s types) for the host.
 */
export interface PresenceLookup {
  isOnline(keys: readonly PresenceKey[]): Promise<boolean[]>;
}

interface Pending {
  side: Side;
  sellerId: string;
  chatIds: Set<number>;
  timer: NodeJS.Timeout;
}

const MAX_PER_CHAT = 50;

export class UnreadNotifier {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly store: Store,
    private readonly hub: PresenceLookup,
    private readonly hook: OnUnread,
    private readonly quietMs: number,
    private readonly logger: Logger,
  ) {}

  /** A message was stored: start (or join) the recipient's quiet period. */
  noted(sellerId: string, message: Message): void {
    const side = otherSide(message.from);
    const key = side === 'seller' ? sellerKey(sellerId) : buyerKey(message.chatId);
    const entry = this.pending.get(key);
    if (entry) {
      entry.chatIds.add(message.chatId);
      return;
    }
    const timer = setTimeout(() => {
      // The hook's error may quote message text: log only its kind (the host's hook can log the rest).
      this.fire(key).catch((error: Error) => this.logger.error(`onUnread failed: ${error?.name ?? 'error'}`));
    }, this.quietMs);
    timer.unref();
    this.pending.set(key, { side, sellerId, chatIds: new Set([message.chatId]), timer });
  }

  private async fire(key: string): Promise<void> {
    const entry = this.pending.get(key);
    if (!entry) return;
    this.pending.delete(key);
    const [online] = await this.hub.isOnline([key]);
    if (online) return;
    const messages: Message[] = [];
    for (const chatId of entry.chatIds) {
      const chat = await this.store.getChat(chatId);
      if (!chat || chat.unread[entry.side] === 0) continue;
      const recent = await this.store.listMessages(chatId, { limit: MAX_PER_CHAT, after: chat.readIds[entry.side] });
      messages.push(...recent.filter((m) => m.from !== entry.side));
    }
    if (messages.length === 0) return;
    const notice: UnreadNotice = { side: entry.side, sellerId: toWireSellerId(entry.sellerId), messages };
    if (entry.side === 'buyer') {
      notice.chatId = messages[0]!.chatId;
      const chat = await this.store.getChat(notice.chatId);
      const buyer = chat && this.store.getBuyer ? await this.store.getBuyer(chat.buyerId) : null;
      if (buyer) {
        notice.name = buyer.name;
        if (buyer.email !== undefined) notice.email = buyer.email;
      }
      if (chat?.context) notice.context = chat.context;
    }
    await this.hook(notice);
  }

  close(): void {
    for (const entry of this.pending.values()) clearTimeout(entry.timer);
    this.pending.clear();
  }
}
