/**
 * Compaction: moves the journal into the segment files, off the hot path. Once the journal passes
 * `journalLimit` bytes (or on compact(), or at close) it is rotated (later changes go to the next
 * journal file), every segment the old journal changed is written once (atomically, one segment
 * after the other within a chat), then the old journal is deleted. If a write fails the journal still
 * holds everything: nothing is lost, and the next compaction writes what this one missed.
 */
import type { Journal } from './journal.js';
import type { DirtyLog, Segments } from './segments.js';

const noop = (): void => {};

export class Compaction {
  #journal: Journal;
  #segments: Segments;
  #journalLimit: number;
  /** Journals left from a compaction that did not finish (or found at load), oldest first. */
  #oldJournals: number[];
  #running: Promise<void> | null = null;

  constructor(options: { journal: Journal; segments: Segments; journalLimit: number; oldJournals: number[] }) {
    this.#journal = options.journal;
    this.#segments = options.segments;
    this.#journalLimit = options.journalLimit;
    this.#oldJournals = options.oldJournals;
  }

  /** The compaction in progress, if any. */
  get running(): Promise<void> | null {
    return this.#running;
  }

  /** Runs a compaction after the one in progress, if any. */
  run(): Promise<void> {
    const run = (this.#running ?? Promise.resolve()).catch(noop).then(() => this.#once());
    this.#running = run;
    const forget = (): void => {
      if (this.#running === run) this.#running = null;
    };
    run.then(forget, forget);
    return run;
  }

  /** Starts one when the journal has passed its limit and none is running; a failure is a warning (retried later). */
  whenFull(): void {
    if (this.#running || this.#journal.size < this.#journalLimit) return;
    this.run().catch((error: Error) => {
      // The journal still holds everything: nothing is lost, the next compaction tries again.
      process.emitWarning(`lowdbStore: compaction failed (retried later): ${error.message}`);
    });
  }

  /** Rotates the journal, writes every segment the old journal(s) changed, then deletes them. */
  async #once(): Promise<void> {
    if (!this.#segments.anyDirty && this.#journal.size === 0 && this.#oldJournals.length === 0) return;
    // Taken in the same turn as the rotation: changes from now on are the next journal's.
    const dirty = this.#segments.takeDirty();
    this.#oldJournals.push(await this.#journal.rotate());
    try {
      await this.#write(dirty);
    } catch (error) {
      this.#segments.markDirty(dirty);
      throw error;
    }
    // Oldest first, and stop at a failure: the journals left must stay a suffix, or replaying an old
    // one after newer segments were written could undo a later change to a chat.
    while (this.#oldJournals.length > 0) {
      await this.#journal.remove([this.#oldJournals[0]!]);
      this.#oldJournals.shift();
    }
  }

  async #write(dirty: { log: DirtyLog; numbers: number[] }[]): Promise<void> {
    // A chat's file before its messages' files: a load refuses messages of a chat it does not know.
    for (const { log, numbers } of dirty) if (this.#segments.isMeta(log)) await log.write(numbers);
    const rest = dirty.filter(({ log }) => !this.#segments.isMeta(log));
    // Two chats at a time: the file writes run on libuv's thread pool, which the journal needs too.
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < rest.length) {
        const { log, numbers } = rest[next++]!;
        await log.write(numbers);
      }
    };
    // allSettled: a failed write must not leave the other worker writing while a retry starts.
    const results = await Promise.allSettled([worker(), worker()]);
    for (const result of results) if (result.status === 'rejected') throw result.reason;
  }
}
