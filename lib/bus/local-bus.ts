import type { Bus, HubEvent, PresenceKey } from './bus.js';

/** The single-process bus: events are delivered synchronously-after-a-tick to this process's hub. */
export function localBus(): Bus {
  const online = new Set<PresenceKey>();
  let deliver: ((event: HubEvent) => void) | null = null;
  return {
    async start(onEvent) {
      deliver = onEvent;
    },
    async publish(event) {
      deliver?.(event);
    },
    async join(key) {
      if (online.has(key)) return false;
      online.add(key);
      return true;
    },
    async leave(key) {
      return online.delete(key);
    },
    async isOnline(keys) {
      return keys.map((k) => online.has(k));
    },
    async close() {
      deliver = null;
      online.clear();
    },
  };
}
