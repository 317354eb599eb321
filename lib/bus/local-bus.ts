import type { Bus, PresenceKey } from './bus.js';

/** The single-process bus: no other instance to carry events to (the hub delivers its own); presence in memory. */
export function localBus(): Bus {
  const online = new Set<PresenceKey>();
  return {
    async start() {},
    async publish() {},
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
      online.clear();
    },
  };
}
