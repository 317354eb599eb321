/**
 * Where a composed store (composed-store.ts) keeps its state: the contract between the in-memory
 * state and whatever makes it durable, modelled on lowdb's Adapter (read, write): load it once,
 * then commit each change. memoryStore's persistence does nothing; lowdbStore's is a journal with
 * segment files (lowdb/).
 */
import type { Change } from './change.js';
import type { StoreState } from './store-state.js';

export interface Persistence {
  /**
   * Fills the empty state with what is stored, synchronously (a damaged store throws before anything
   * is served). The persistence may keep the state to read the rows it writes out later.
   */
  load(state: StoreState): void;
  /**
   * Makes changes durable. Called synchronously right after the state changed, in the order of the
   * changes. Returns nothing when they are durable already, or a promise that resolves once they are.
   * Commits become durable in call order: once a commit resolves, the buyers, chats and messages of
   * every earlier commit are durable too (what reads hold back until then: durable-view.ts). A
   * commit that rejects is not undone: its changes stay queued and go with a later commit, and
   * commit([]) asks for them to be written again.
   */
  commit(changes: readonly Change[]): Promise<void> | void;
  /** Writes out anything pending and releases files or connections. */
  close(): Promise<void>;
}
