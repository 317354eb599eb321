import { resolve } from 'node:path';
import { composedStore } from './composed-store.js';
import { dataDirs, openDirectory, syncDataDirectory } from './lowdb/data-directory.js';
import { JournalPersistence } from './lowdb/journal-persistence.js';
import type { Store } from './store.js';
import { SettingChecks } from '../wire/validate.js';

/** The default data directory, relative to the working directory. */
export const DEFAULT_DIR = './ahchat-data';

export interface LowdbStoreOptions {
  /** Data directory, created when missing. Default `'./ahchat-data'`. */
  dir?: string;
  /** Make every write survive a power loss (datasync of the journal per batch), at some cost per batch. Default `false`. */
  fsync?: boolean;
  /** Most records (messages of one chat, chats, buyers) per segment file. Default `1000`. */
  segmentSize?: number;
  /** Bytes the journal may grow to before it is compacted into the segment files. Default `16 * 1024 * 1024` (16 MiB). */
  journalLimit?: number;
}

/** lowdbStore's Store, plus compaction on demand. */
export interface LowdbStore extends Store {
  /**
   * Writes every segment the journal changed and deletes the old journal files now, instead of when
   * the journal reaches `journalLimit` or at close(). Resolves when done.
   */
  compact(): Promise<void>;
}

let warnedInProduction = false;

/**
 * The default Store: the in-memory state (store-state.ts) composed with a persistence of JSON files
 * in a directory (lowdb/): a write-ahead journal with group commit, segment files written through
 * lowdb's adapters, compaction and load. README's "Stores" section describes the layout, durability
 * and failure behaviour; each lowdb/ file says its part.
 *
 * One process per directory (a lock file `<dir>/lock`); in production (NODE_ENV=production) it says
 * so once on the console, as express-session's MemoryStore does.
 *
 * @throws TypeError/RangeError for a bad option; DirectoryLockedError when another live process
 *   holds the directory; Error naming the directory when it cannot be written; Error naming the file (and the line, for a journal)
 *   when a data file cannot be read, is not valid JSON, or does not fit with the others (never starts
 *   on part of the data).
 */
export function lowdbStore(options: LowdbStoreOptions = {}): LowdbStore {
  const { dir, fsync, segmentSize, journalLimit } = validate(options);
  if (process.env.NODE_ENV === 'production' && !warnedInProduction) {
    warnedInProduction = true;
    console.warn(
      'Warning: ah-chat lowdbStore keeps its data in local JSON files and supports a single process only; ' +
        'do not run several servers or cluster workers on one data directory.',
    );
  }
  const dirs = dataDirs(dir);
  const lock = openDirectory(dir, Object.values(dirs));
  try {
    if (fsync) syncDataDirectory(dir);
    const persistence = new JournalPersistence({ dirs, lock, fsync, segmentSize, journalLimit });
    return Object.assign(composedStore('lowdbStore', persistence), { compact: () => persistence.compact() });
  } catch (error) {
    lock.release();
    throw error;
  }
}

function validate(options: LowdbStoreOptions): { dir: string; fsync: boolean; segmentSize: number; journalLimit: number } {
  const check = new SettingChecks((name) => `lowdbStore: options.${name}`, TypeError, RangeError);
  const { dir = DEFAULT_DIR } = options;
  if (typeof dir !== 'string' || dir === '') check.fail('dir', 'a non-empty string', dir);
  return {
    dir: resolve(dir),
    fsync: check.bool('fsync', options.fsync, false),
    segmentSize: check.positiveInt('segmentSize', options.segmentSize, 1000),
    journalLimit: check.positiveInt('journalLimit', options.journalLimit, 16 * 1024 * 1024, 'a positive integer (bytes)'),
  };
}
