/**
 * Who is online here, and fan-out: turns events into frames for this process's sockets.
 * Presence is counted per key locally; the bus hears only of a key's first and last local socket,
 * so several tabs of one person are one presence. No storage code here.
 * Events of this instance go to its own sockets directly and to the bus for the others, so local
 * pushes never depend on (or wait for) the bus.
 */
import type { EventEmitter } from 'node:events';
import type { Bus, HubEvent, PresenceEvent, PresenceKey } from '../bus/bus.js';
import { buyerKey, sellerKey } from '../bus/bus.js';
import { CLOSE_CODES, serverFrame, toWireSellerId, type DataFrame } from '../wire/index.js';
import { otherSide, type SellerKey, type Side } from '../store/store.js';
import type { ChatConnection, Session } from './session.js';
import { toWireMessage } from './to-wire.js';

type Sockets = Set<ChatConnection>;

function keyOf(session: Session): PresenceKey {
  return session.side === 'seller' ? sellerKey(session.sellerId) : buyerKey(session.chatId);
}

export class Hub {
  private readonly sellers = new Map<SellerKey, Sockets>();
  private readonly buyers = new Map<number, Sockets>();
  /** Chats of each seller that have a buyer socket here (for the seller's presence pushes). */
  private readonly buyerChats = new Map<SellerKey, Set<number>>();
  /** Join/leave calls for one key run one after another, so the bus sees them in order. */
  private readonly presenceQueue = new Map<PresenceKey, Promise<unknown>>();

  constructor(
    private readonly bus: Bus,
    /** Receives the host's 'status' events for presence changes that start on this instance. */
    private readonly events: EventEmitter,
  ) {}

  start(): Promise<void> {
    return this.bus.start((event) => this.fromBus(event));
  }

  /** Delivers to this instance's sockets now, and hands the event to the bus for the others (not awaited). */
  publish(event: HubEvent): Promise<void> {
    this.deliver(event);
    // The bus logs its own outages and keeps what it must; a sender never waits on it.
    this.bus.publish(event).catch(() => {});
    return Promise.resolve();
  }

  /** Another instance's event. A socket here proves its person online, whatever a late announcement says. */
  private fromBus(event: HubEvent): void {
    if (event.type === 'buyer-presence' && !event.online && this.buyers.has(event.chatId)) return;
    if (event.type === 'seller-presence' && !event.online && this.sellers.has(event.sellerId)) return;
    this.deliver(event);
  }

  isOnline(keys: readonly PresenceKey[]): Promise<boolean[]> {
    return keys.length ? this.bus.isOnline(keys) : Promise.resolve([]);
  }

  /** Resolves once every presence update started so far has finished (before the bus is closed). */
  async settled(): Promise<void> {
    while (this.presenceQueue.size > 0) await Promise.allSettled([...this.presenceQueue.values()]);
  }

  /** Registers a signed-in socket; publishes a presence change if it is the person's first anywhere. */
  async add(connection: ChatConnection): Promise<void> {
    const session = connection.session!;
    // A socket that closed while its auth was being checked must not be counted as present.
    if (!connection.open) return;
    const sockets = this.socketsOf(session, true)!;
    sockets.add(connection);
    if (session.side === 'buyer') getOrCreate(this.buyerChats, session.sellerId, () => new Set<number>()).add(session.chatId);
    if (sockets.size === 1) await this.presence(session, true);
  }

  /** Forgets a socket; publishes a presence change if it was the person's last anywhere. */
  async remove(connection: ChatConnection, session: Session | null = connection.session): Promise<void> {
    if (!session) return;
    const sockets = this.socketsOf(session, false);
    if (!sockets?.delete(connection) || sockets.size > 0) return;
    if (session.side === 'seller') {
      this.sellers.delete(session.sellerId);
    } else {
      this.buyers.delete(session.chatId);
      const chats = this.buyerChats.get(session.sellerId);
      chats?.delete(session.chatId);
      if (chats?.size === 0) this.buyerChats.delete(session.sellerId);
    }
    await this.presence(session, false);
  }

  private presence(session: Session, online: boolean): Promise<void> {
    const key = keyOf(session);
    // Given to join so that a shared bus can announce it by itself if this instance dies.
    const offline: PresenceEvent =
      session.side === 'seller'
        ? { type: 'seller-presence', sellerId: session.sellerId, online: false }
        : { type: 'buyer-presence', sellerId: session.sellerId, chatId: session.chatId, online: false };
    const run = async () => {
      const changed = online ? await this.bus.join(key, offline) : await this.bus.leave(key);
      if (!changed) return;
      const event: PresenceEvent = { ...offline, online };
      await this.publish(event);
      const { type: _type, sellerId, ...rest } = event;
      this.events.emit('status', { side: session.side, sellerId: toWireSellerId(sellerId), ...rest });
    };
    const next = (this.presenceQueue.get(key) ?? Promise.resolve()).then(run, run);
    this.presenceQueue.set(key, next);
    const forget = () => {
      if (this.presenceQueue.get(key) === next) this.presenceQueue.delete(key);
    };
    // The caller gets the failure; this bookkeeping branch must not become an unhandled rejection.
    next.then(forget, forget);
    return next;
  }

  private socketsOf(session: Session, create: boolean): Sockets | undefined {
    if (session.side === 'seller') {
      return create ? getOrCreate(this.sellers, session.sellerId, () => new Set()) : this.sellers.get(session.sellerId);
    }
    return create ? getOrCreate(this.buyers, session.chatId, () => new Set()) : this.buyers.get(session.chatId);
  }

  private sideSockets(side: Side, sellerId: SellerKey, chatId: number): Sockets | undefined {
    return side === 'seller' ? this.sellers.get(sellerId) : this.buyers.get(chatId);
  }

  /** Sends a bus event to the local sockets it concerns. */
  deliver(event: HubEvent): void {
    switch (event.type) {
      case 'message': {
        const { message, sellerId, origin } = event;
        for (const side of ['buyer', 'seller'] as const) {
          const sockets = this.sideSockets(side, sellerId, message.chatId);
          if (!sockets) continue;
          const frame = serverFrame('message', toWireMessage(message, side));
          // The sender's other sockets: protocol 1 would take a clientDate for its own confirmation;
          // and a seller's protocol-1 socket gets no page context.
          const legacy = side === message.from || message.context ? serverFrame('message', toWireMessage(message, side, false)) : frame;
          broadcast(sockets, frame, origin, legacy);
        }
        return;
      }
      case 'buyer-presence': {
        const sockets = this.sellers.get(event.sellerId);
        if (sockets) broadcast(sockets, serverFrame('status', { chatId: event.chatId, status: event.online }));
        return;
      }
      case 'seller-presence': {
        for (const chatId of this.buyerChats.get(event.sellerId) ?? []) {
          const sockets = this.buyers.get(chatId);
          if (sockets) broadcast(sockets, serverFrame('status', { chatId, status: event.online }));
        }
        return;
      }
      case 'chat': {
        const { chatId, sellerName } = event;
        const sellerId = toWireSellerId(event.sellerId);
        const sockets = this.sellers.get(event.sellerId);
        if (sockets) broadcast(sockets, serverFrame('chat', { id: chatId, chatter: event.chatter, sellerId }));
        // Reopened: the buyer's open tabs may write again. Protocol 2 only (the original's `chat` is the seller's).
        const buyers = sellerName === undefined ? undefined : this.buyers.get(chatId);
        if (buyers) broadcast(buyers, serverFrame('chat', { id: chatId, chatter: sellerName!, sellerId }), undefined, null);
        return;
      }
      case 'typing': {
        const sockets = this.sideSockets(otherSide(event.from), event.sellerId, event.chatId);
        if (sockets) broadcast(sockets, serverFrame('typing', { chatId: event.chatId }), undefined, null);
        return;
      }
      case 'read': {
        const { chatId, sellerId, side, id, unread } = event;
        const readers = this.sideSockets(side, sellerId, chatId);
        const writers = this.sideSockets(otherSide(side), sellerId, chatId);
        if (writers) broadcast(writers, serverFrame('read', { chatId, id }), undefined, null);
        // The reader's other tabs and devices learn their new unread count.
        if (readers) broadcast(readers, serverFrame('unread', { chatId, unread }), undefined, null);
        return;
      }
      case 'context': {
        const sockets = this.sellers.get(event.sellerId);
        if (sockets) broadcast(sockets, serverFrame('context', { chatId: event.chatId, context: event.context }), undefined, null);
        return;
      }
      case 'chatter': {
        const sockets = this.sellers.get(event.sellerId);
        if (sockets) broadcast(sockets, serverFrame('chatter', { chatId: event.chatId, chatter: event.chatter }), undefined, null);
        return;
      }
      case 'closed': {
        for (const side of ['buyer', 'seller'] as const) {
          const sockets = this.sideSockets(side, event.sellerId, event.chatId);
          if (sockets) broadcast(sockets, serverFrame('close', { chatId: event.chatId }), undefined, null);
        }
        return;
      }
      case 'resync': {
        // Pushes were lost: the widget reconnects at once and resumes with `since`.
        for (const sockets of [...this.sellers.values(), ...this.buyers.values()]) {
          for (const socket of sockets) socket.close(CLOSE_CODES.SERVICE_RESTART, 'resync');
        }
        return;
      }
    }
  }
}

/**
 * Pushes `frame` to protocol-2 sockets and `legacy` to protocol-1 ones (null: nothing, for the
 * extension pushes the original protocol does not have). Each is serialised at most once, and
 * not at all when no socket gets it (e.g. the only socket is the sender's own).
 */
function broadcast(sockets: Sockets, frame: DataFrame, except?: string, legacy: DataFrame | null = frame): void {
  let text: string | undefined;
  let legacyText: string | undefined;
  for (const socket of sockets) {
    if (socket.id === except) continue;
    if (socket.session?.protocol !== 1) socket.push((text ??= JSON.stringify(frame)));
    else if (legacy === frame) socket.push((text ??= JSON.stringify(frame)));
    else if (legacy) socket.push((legacyText ??= JSON.stringify(legacy)));
  }
}

function getOrCreate<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = make()));
  return value;
}
