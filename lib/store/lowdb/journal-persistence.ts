/**
 * lowdbStore's persistence: every change goes to the write-ahead journal (journal.ts, group commit),
 * marks its segment dirty (segments.ts), and reaches the segment files at the next compaction
 * (compaction.ts); load.ts rebuilds the state at start. Quick replies, a few per seller, are a file
 * of their own (`replies.json`), rewritten whole on each change.
 */
import type { Adapter } from 'lowdb';
import type { Change } from '../change.js';
import type { Persistence } from '../persistence.js';
import type { StoreState } from '../store-state.js';
import type { QuickReply } from '../store.js';
import { Compaction } from './compaction.js';
import type { DirectoryLock } from './directory-lock.js';
import { Journal } from './journal.js';
import { loadDirectory, repliesPath } from './load.js';
import { buyerLine, chatLine, messageLine } from './records.js';
import { fileAdapter, type DataDirs, type Segments } from './segments.js';

const noop = (): void => {};

export interface JournalPersistenceOptions {
  dirs: DataDirs;
  /** The directory's lock, released at close. */
  lock: DirectoryLock;
  fsync: boolean;
  segmentSize: number;
  journalLimit: number;
}

export class JournalPersistence implements Persistence {
  #options: JournalPersistenceOptions;
  #state!: StoreState;
  #segments!: Segments;
  #journal!: Journal;
  #compaction!: Compaction;
  #replies!: Adapter<Record<string, QuickReply[]>>;
  /** Sequence number of the newest journal record. */
  #last = 0;
  #closing: Promise<void> | null = null;

  constructor(options: JournalPersistenceOptions) {
    this.#options = options;
  }

  load(state: StoreState): void {
    const { dirs, fsync, segmentSize, journalLimit } = this.#options;
    const { segments, journals, validSize } = loadDirectory(dirs, state, { fsync, segmentSize });
    this.#state = state;
    this.#segments = segments;
    // The last journal is continued (its torn end, if any, cut off at the first write); older ones
    // are left from a compaction that did not finish, and go with the next one.
    const last = journals.at(-1);
    this.#journal = new Journal({ dir: dirs.journal, no: last?.no ?? 0, validSize, exists: last !== undefined, fsync });
    const oldJournals = journals.slice(0, -1).map((j) => j.no);
    this.#compaction = new Compaction({ journal: this.#journal, segments, journalLimit, oldJournals });
    this.#replies = fileAdapter(repliesPath(dirs), fsync);
  }

  /**
   * Appends the changes to the journal (written with everything else appended in this turn) and
   * resolves once that write completed. Replies are written to their file, after the journal up to
   * here (a commit resolves only once every earlier one's records are on disk).
   */
  commit(changes: readonly Change[]): Promise<void> | void {
    let replies = false;
    for (const change of changes) {
      this.#segments.record(change);
      if (change.kind === 'buyer') this.#last = this.#journal.append(buyerLine(change.buyer));
      else if (change.kind === 'chat') this.#last = this.#journal.append(chatLine(change.chat));
      else if (change.kind === 'message') this.#last = this.#journal.append(messageLine(change.message));
      else replies = true;
    }
    const journaled = this.#journal.whenWritten(this.#last)?.then(() => this.#compactWhenFull());
    if (!replies) return journaled;
    const file = this.#replies.write(this.#state.storedReplies());
    return journaled ? Promise.all([journaled, file]).then(noop) : file;
  }

  /** Compacts now (after the compaction in progress, if any). */
  async compact(): Promise<void> {
    if (this.#closing) throw new Error('lowdbStore: the store is closed');
    await this.#compaction.run();
  }

  /** Writes what is queued and compacts (so a cleanly stopped store is segment files only), then releases the lock. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        await this.#compaction.running?.catch(noop);
        await this.#journal.flush();
        // An instance that only read (never wrote) leaves the files as they are.
        if (this.#journal.wroteAny) await this.#compaction.run();
      } finally {
        try {
          await this.#journal.close();
        } finally {
          // The store is unusable from here on, written out or not: the next process may start.
          this.#options.lock.release();
        }
      }
    })();
    return this.#closing;
  }

  #compactWhenFull(): void {
    if (!this.#closing) this.#compaction.whenFull();
  }
}
