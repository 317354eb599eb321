/**
 * A list of records with ids 1, 2, 3, … kept in JSON files of at most `segmentSize` records each, one
 * lowdb `Low` per file. lowdb rewrites a whole file on every write, so capping the file size is what
 * keeps the cost of a write flat however long the list grows.
 */
import { readdirSync } from 'node:fs';
import { Low, type Adapter } from 'lowdb';
import { JSONFileSync } from 'lowdb/node';

export interface SegmentLogOptions<T> {
  /** Path of segment number `no`. */
  fileOf: (no: number) => string;
  adapter: (file: string) => Adapter<T[]>;
  /** A new segment starts once the last one holds this many records. */
  segmentSize: number;
  /** Every write in flight is added here until it settles, so the store's close() can await them. */
  pending: Set<Promise<void>>;
}

export interface LoadedSegment<T> {
  no: number;
  records: T[];
}

interface Segment<T> {
  no: number;
  /** Index (id - 1) of the segment's first record. */
  start: number;
  db: Low<T[]>;
  /** How many of db.data are known to be on disk. */
  durable: number;
  /** The newest write: how many records it holds, and its promise. */
  lastWrite?: { count: number; done: Promise<void> };
  /** Set on a segment started while its predecessor was not yet on disk (see #write). */
  predecessor?: Segment<T>;
}

export class SegmentLog<T extends { id: number }> {
  #segments: Segment<T>[] = [];
  #options: SegmentLogOptions<T>;
  #length = 0;

  /** `loaded` comes from readSegments: already on disk, so durable. */
  constructor(loaded: LoadedSegment<T>[], options: SegmentLogOptions<T>) {
    this.#options = options;
    for (const { no, records } of loaded) {
      const db = new Low(options.adapter(options.fileOf(no)), records);
      this.#segments.push({ no, start: this.#length, db, durable: records.length });
      this.#length += records.length;
    }
  }

  /**
   * Adds the record (its id must be the next one) and resolves once a write containing it completed.
   * The record is in the log synchronously, so concurrent appends are stored in call order.
   */
  append(record: T): Promise<void> {
    if (record.id !== this.#length + 1) {
      throw new Error(`SegmentLog: expected id ${this.#length + 1}, got ${record.id}`);
    }
    let segment = this.#segments.at(-1);
    if (!segment || segment.db.data.length >= this.#options.segmentSize) {
      const previous = segment;
      const no = previous ? previous.no + 1 : 0;
      segment = { no, start: this.#length, db: new Low(this.#options.adapter(this.#options.fileOf(no)), []), durable: 0 };
      if (previous && previous.durable < previous.db.data.length) segment.predecessor = previous;
      this.#segments.push(segment);
    }
    segment.db.data.push(record);
    this.#length += 1;
    return this.#write(segment);
  }

  /** Replaces the stored record with the same id and resolves once that is written. */
  update(record: T): Promise<void> {
    const segment = this.#segmentOf(record.id);
    if (!segment) throw new Error(`SegmentLog: no record with id ${record.id}`);
    segment.db.data[record.id - 1 - segment.start] = record;
    return this.#write(segment);
  }

  /**
   * null when the record with this id is known to be on disk; otherwise a promise that resolves once
   * it is (joining the write in flight that holds it, or writing again after a failed write).
   */
  ensureDurable(id: number): Promise<void> | null {
    const segment = this.#segmentOf(id);
    if (!segment) return null;
    const index = id - 1 - segment.start;
    if (index < segment.durable) return null;
    const last = segment.lastWrite;
    if (last && last.count > index) return last.done.catch(() => this.#write(segment));
    return this.#write(segment);
  }

  #write(segment: Segment<T>): Promise<void> {
    const count = segment.db.data.length;
    // A segment is only written once the one before it is complete on disk: otherwise a crash could
    // leave a gap in the ids (segment n+1 written, the end of segment n not), and the next load
    // would rightly refuse it.
    const predecessor = segment.predecessor;
    const wait = predecessor ? this.ensureDurable(predecessor.start + predecessor.db.data.length) : null;
    const write = (): Promise<void> => segment.db.write();
    const done = (wait ? wait.then(write) : write()).then(() => {
      segment.durable = Math.max(segment.durable, count);
      if (segment.predecessor === predecessor) delete segment.predecessor;
    });
    segment.lastWrite = { count, done };
    const { pending } = this.#options;
    pending.add(done);
    const forget = (): void => {
      pending.delete(done);
    };
    done.then(forget, forget);
    return done;
  }

  #segmentOf(id: number): Segment<T> | undefined {
    const index = id - 1;
    if (!(index >= 0 && index < this.#length)) return undefined;
    let lo = 0;
    let hi = this.#segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#segments[mid]!.start <= index) lo = mid;
      else hi = mid - 1;
    }
    return this.#segments[lo];
  }
}

/** Segment files found in a directory: name → (key, segment number), for names matching `pattern`. */
export function listSegmentFiles(dir: string, pattern: RegExp): Map<string, { no: number; name: string }[]> {
  const byKey = new Map<string, { no: number; name: string }[]>();
  // Names that do not match (steno's `.name.tmp` files of writes that never completed) are not data.
  for (const name of readdirSync(dir)) {
    const match = pattern.exec(name);
    if (!match) continue;
    const key = match[1] ?? '';
    const list = byKey.get(key) ?? [];
    list.push({ no: Number(match[2]), name });
    byKey.set(key, list);
  }
  return byKey;
}

/**
 * Reads one log's segment files and checks them: numbered 0, 1, 2, … without gaps, each a JSON array
 * of valid records whose ids run 1, 2, 3, … across the files. Throws an Error naming the file on
 * anything else: a store never starts on half its data.
 */
export function readSegments<T extends { id: number }>(
  files: { no: number; path: string }[],
  check: (value: unknown) => value is T,
  describe: string,
): LoadedSegment<T>[] {
  const sorted = [...files].sort((a, b) => a.no - b.no);
  const segments: LoadedSegment<T>[] = [];
  let nextId = 1;
  sorted.forEach(({ no, path }, i) => {
    if (no !== i) throw new Error(`lowdbStore: ${describe} segment ${i} is missing (found ${path} instead)`);
    let data: unknown;
    try {
      data = new JSONFileSync<unknown>(path).read();
    } catch (error) {
      throw new Error(`lowdbStore: cannot read ${path}: ${(error as Error).message}`, { cause: error });
    }
    if (!Array.isArray(data)) throw new Error(`lowdbStore: ${path} is not a JSON array of ${describe}`);
    for (const record of data) {
      if (!check(record)) throw new Error(`lowdbStore: ${path} holds an invalid ${describe} record: ${JSON.stringify(record)}`);
      if (record.id !== nextId) throw new Error(`lowdbStore: ${path}: expected ${describe} id ${nextId}, found ${record.id}`);
      nextId += 1;
    }
    segments.push({ no, records: data as T[] });
  });
  return segments;
}
