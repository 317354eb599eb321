/** What a bus delivered to its onEvent, and a way to await the first event that matches. */
import type { HubEvent, PresenceEvent } from '../../lib/bus/bus.js';

export class EventLog {
  readonly events: HubEvent[] = [];
  private waiters: { match: (e: HubEvent) => boolean; resolve: (e: HubEvent) => void }[] = [];

  readonly onEvent = (event: HubEvent): void => {
    this.events.push(event);
    this.waiters = this.waiters.filter((w) => !(w.match(event) && (w.resolve(event), true)));
  };

  wait(match: (e: HubEvent) => boolean, timeoutMs = 5000): Promise<HubEvent> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(this.events)}`)), timeoutMs);
      this.waiters.push({ match, resolve: (e) => (clearTimeout(timer), resolve(e)) });
    });
  }

  count(match: (e: HubEvent) => boolean): number {
    return this.events.filter(match).length;
  }
}

export const buyerOffline = (chatId: number, sellerId = '10'): PresenceEvent => ({ type: 'buyer-presence', sellerId, chatId, online: false });

export const isPresence = (chatId: number, online: boolean) => (e: HubEvent) =>
  e.type === 'buyer-presence' && e.chatId === chatId && e.online === online;

export const messageEvent = (chatId: number, id: number): HubEvent => ({
  type: 'message',
  sellerId: '10',
  message: { id, chatId, from: 'buyer', text: `m${id}`, createdAt: 1, clientDate: 1 },
});
