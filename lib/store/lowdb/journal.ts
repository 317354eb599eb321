// Over ~300 lines: the writer and the reader of one file format, kept together so that they cannot drift apart.
/**
 * A write-ahead journal: records appended as JSON lines to `<dir>/<n>.jsonl`, with group commit.
 *
 * Every record appended during one event-loop turn goes to the file in one `write` (and one
 * `datasync` with `fsync: true`); while a write is in flight, new records gather for the next one.
 * Without fsync a small batch is written synchronously (syncWriteMax), a large one on the thread pool.
 * So the cost of a record is a share of one append, however many chats the records belong to: this is
 * what lets lowdbStore take thousands of messages a second where one file rewrite per message could not.
 *
 * Records are written in append order, and a record counts as written only when every record before
 * it is too (a watermark), so "record n is on disk" means "the journal up to n is on disk".
 * A failed write rejects the callers of its batch; its records stay queued, in order, and go out with
 * the next write (the file is first cut back to its last good length, so no torn line stays behind).
 *
 * Compaction (done by the store) moves the journal into other files: rotate() sends later records to
 * the next file number, after which the old file can be deleted once its content is safe elsewhere.
 */
import { readFileSync, readdirSync, writeSync } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDirectory } from './sync-directory.js';

export interface JournalOptions {
  /** Directory of the journal files (must exist). */
  dir: string;
  /** File the first write goes to: the last one found at load (it is continued), or a new number. */
  no: number;
  /**
   * Bytes of that file that hold complete records (its length, or less when its end is a torn line,
   * which the first write cuts off). 0 for a file that does not exist yet.
   */
  validSize: number;
  /** Whether that file already exists. */
  exists: boolean;
  /** datasync after every write, and sync the directory when a file is created or deleted. */
  fsync: boolean;
  /**
   * Without fsync, a batch of at most this many bytes is written synchronously, on the event loop:
   * copying a few KiB into the page cache costs less than the thread-pool round trip (and the turn
   * of the loop) that an asynchronous write takes. 0: always through the thread pool. Default 65536.
   */
  syncWriteMax?: number;
}

interface Batch {
  /** Sequence number of the newest record in the batch. */
  lastSeq: number;
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface JournalFile {
  no: number;
  /** Bytes known to be good (written completely); the next write goes there. */
  size: number;
  /** Cut the file back to `size` before the next write: its tail may be a torn line. */
  cut: boolean;
  exists: boolean;
  handle: FileHandle | null;
}

const noop = (): void => {};

export class Journal {
  #dir: string;
  #fsync: boolean;
  #syncWriteMax: number;
  #file: JournalFile;
  /** Lines not yet written, in order (each ends with a newline). */
  #queue: string[] = [];
  #seq = 0;
  /** Every record with a sequence number up to this one is on disk. */
  #written = 0;
  /** The batch the queued records belong to. */
  #next: Batch | null = null;
  /** The batch being written. */
  #current: Batch | null = null;
  #scheduled = false;
  /** A record was appended or waited for while a write was in flight: write again after it, even if it failed. */
  #wanted = false;
  #wroteAny = false;

  constructor(options: JournalOptions) {
    this.#dir = options.dir;
    this.#fsync = options.fsync;
    this.#syncWriteMax = options.fsync ? 0 : (options.syncWriteMax ?? 65_536);
    this.#file = { no: options.no, size: options.validSize, cut: options.exists, exists: options.exists, handle: null };
  }

  /** Path of journal file `no`. */
  pathOf(no: number): string {
    return join(this.#dir, `${no}.jsonl`);
  }

  /** Number of the file that receives new records. */
  get no(): number {
    return this.#file.no;
  }

  /** Bytes written to the current file so far. */
  get size(): number {
    return this.#file.size;
  }

  /** Every record with a sequence number up to this one is on disk (0: none yet). */
  get written(): number {
    return this.#written;
  }

  /** Whether this journal has written anything (a journal that only loaded never touches a file). */
  get wroteAny(): boolean {
    return this.#wroteAny;
  }

  /**
   * Queues one record, a JSON text without newline, and returns its sequence number. It is written
   * with everything else appended in this event-loop turn; whenWritten(seq) tells when.
   */
  append(json: string): number {
    this.#queue.push(`${json}\n`);
    this.#seq += 1;
    this.#batch().lastSeq = this.#seq;
    this.#schedule();
    return this.#seq;
  }

  /**
   * null when record `seq` is on disk already; otherwise a promise that resolves once it is, or
   * rejects with the error of the write that should have carried it.
   */
  whenWritten(seq: number): Promise<void> | null {
    if (seq <= this.#written) return null;
    if (this.#current && seq <= this.#current.lastSeq) return this.#current.promise;
    // Queued (also after a failed write): it goes with the next batch.
    this.#schedule();
    return this.#batch().promise;
  }

  /** Resolves once every record appended so far is on disk. */
  async flush(): Promise<void> {
    for (let wait = this.whenWritten(this.#seq); wait; wait = this.whenWritten(this.#seq)) await wait;
  }

  /**
   * Sends the records appended from now on to a new file, and resolves with the old file's number
   * once no write to it is in flight any more (records queued but not yet written go to the new file).
   */
  async rotate(): Promise<number> {
    const old = this.#file;
    this.#file = { no: old.no + 1, size: 0, cut: false, exists: false, handle: null };
    // The batch in flight is the only one that can still be writing to the old file.
    if (this.#current) await this.#current.promise.catch(noop);
    const handle = old.handle;
    old.handle = null;
    await handle?.close();
    return old.no;
  }

  /** Deletes journal files (already moved elsewhere). A missing file is fine. */
  async remove(numbers: number[]): Promise<void> {
    for (const no of numbers) {
      try {
        await unlink(this.pathOf(no));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    // With fsync, a deleted journal must not come back after a power loss: replaying its old chat
    // records over newer segments would undo later read markers.
    if (this.#fsync && numbers.length > 0) await syncDirectory(this.#dir);
  }

  /** Writes what is queued, then closes the file. The journal must not be used afterwards. */
  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      const handle = this.#file.handle;
      this.#file.handle = null;
      await handle?.close();
    }
  }

  #batch(): Batch {
    if (this.#next) return this.#next;
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A batch that nobody awaits (its callers already failed once) must not be an unhandled rejection.
    promise.catch(noop);
    this.#next = { lastSeq: this.#seq, promise, resolve, reject };
    return this.#next;
  }

  #schedule(): void {
    if (this.#current) this.#wanted = true;
    if (this.#scheduled || this.#current) return;
    this.#scheduled = true;
    // setImmediate, not a microtask: every record of this turn (all the socket reads the poll phase
    // delivered) joins the batch.
    setImmediate(() => void this.#run());
  }

  async #run(): Promise<void> {
    this.#scheduled = false;
    const batch = this.#next;
    if (this.#current || !batch || this.#queue.length === 0) return;
    this.#next = null;
    this.#current = batch;
    this.#wanted = false;
    const lines = this.#queue;
    this.#queue = [];
    let failed = false;
    try {
      await this.#write(this.#file, lines.length === 1 ? lines[0]! : lines.join(''));
      this.#written = batch.lastSeq;
      batch.resolve();
    } catch (error) {
      failed = true;
      // Keep the records, in order, ahead of any queued meanwhile; they go with the next write.
      this.#queue = lines.concat(this.#queue);
      this.#batch();
      batch.reject(error);
    } finally {
      this.#current = null;
    }
    // After a failure, write again only when asked (an append or whenWritten), not in a loop.
    if (this.#queue.length > 0 && (!failed || this.#wanted)) this.#schedule();
  }

  async #write(file: JournalFile, text: string): Promise<void> {
    if (!file.handle) {
      file.handle = await open(this.pathOf(file.no), file.exists ? 'r+' : 'w');
      if (!file.exists) {
        file.exists = true;
        // The new file's directory entry must be durable before any record in it counts as written.
        if (this.#fsync) await syncDirectory(this.#dir);
      }
    }
    const handle = file.handle;
    this.#wroteAny = true;
    if (file.cut) {
      await handle.truncate(file.size);
      file.cut = false;
    }
    const buffer = Buffer.from(text, 'utf8');
    const sync = buffer.length <= this.#syncWriteMax;
    try {
      let done = 0;
      while (done < buffer.length) {
        done += sync
          ? writeSync(handle.fd, buffer, done, buffer.length - done, file.size + done)
          : (await handle.write(buffer, done, buffer.length - done, file.size + done)).bytesWritten;
      }
      if (this.#fsync) await handle.datasync();
    } catch (error) {
      // Part of the batch may be in the file: cut it off before the next write.
      file.cut = true;
      throw error;
    }
    file.size += buffer.length;
  }
}

/** The journal files in a directory, oldest first. Other names (e.g. a temp file) are not journals. */
export function listJournals(dir: string): { no: number; path: string }[] {
  const files: { no: number; path: string }[] = [];
  for (const name of readdirSync(dir)) {
    const match = /^(\d+)\.jsonl$/.exec(name);
    if (match) files.push({ no: Number(match[1]), path: join(dir, name) });
  }
  return files.sort((a, b) => a.no - b.no);
}

/**
 * Reads a journal file and hands each record to `apply`, in order. The end of the LAST journal may
 * be a torn line (the process died in the middle of a write): it is left out, and the returned
 * validSize (bytes) tells where the complete records end. Anything else that is not a JSON record,
 * and anything `apply` throws, fails with an Error naming the file and the line.
 */
export function readJournal(path: string, last: boolean, apply: (record: unknown) => void): { validSize: number } {
  let buffer: Buffer;
  try {
    buffer = readFileSync(path);
  } catch (error) {
    throw new Error(`lowdbStore: cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  // Complete records end with a newline; UTF-8 never has a newline byte inside a character.
  const validSize = buffer.lastIndexOf(0x0a) + 1;
  if (validSize < buffer.length && !last) {
    const line = countLines(buffer, validSize) + 1;
    throw new Error(`lowdbStore: ${path} line ${line}: torn record in a journal that is not the last one`);
  }
  const text = buffer.toString('utf8', 0, validSize);
  let line = 0;
  for (let start = 0; start < text.length; ) {
    const end = text.indexOf('\n', start);
    line += 1;
    let record: unknown;
    try {
      record = JSON.parse(text.slice(start, end));
      apply(record);
    } catch (error) {
      throw new Error(`lowdbStore: ${path} line ${line}: ${(error as Error).message}`, { cause: error });
    }
    start = end + 1;
  }
  return { validSize };
}

function countLines(buffer: Buffer, end: number): number {
  let count = 0;
  for (let i = buffer.indexOf(0x0a); i !== -1 && i < end; i = buffer.indexOf(0x0a, i + 1)) count++;
  return count;
}
