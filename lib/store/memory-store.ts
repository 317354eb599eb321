import { composedStore } from './composed-store.js';
import type { Persistence } from './persistence.js';
import type { Store } from './store.js';

/** Keeps nothing: every change is as durable as it gets (in memory) the moment it is made. */
const nothing: Persistence = {
  load() {},
  commit() {},
  async close() {},
};

/**
 * A Store that keeps everything in this process's memory: nothing survives a restart.
 * Meant for tests, demos and as the reference implementation of the contract.
 * Every promise resolves as soon as the change is made (there is nothing more durable to wait for).
 */
export function memoryStore(): Store {
  return composedStore('memoryStore', nothing);
}
