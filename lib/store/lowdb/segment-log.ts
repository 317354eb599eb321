/**
 * Where one list of records with ids 1, 2, 3, … (the buyers, the chats, or one chat's messages) lives
 * on disk: JSON files of at most `segmentSize` records each, numbered 0, 1, 2, …, each written whole
 * through a lowdb adapter (JSONFile: temp file + rename; FsyncJSONFile with fsync). A whole file is
 * rewritten on every write, so capping the file size is what keeps the cost of a write flat however
 * long the list grows.
 *
 * The records themselves live elsewhere (in the store's memory, once); a SegmentLog only knows where
 * the segments start, which of them changed since they were last written (dirty), and how to write
 * them. The store writes segments when it compacts its journal, never per record.
 */
import { readdirSync } from 'node:fs';
import type { Adapter } from 'lowdb';
import { JSONFileSync } from 'lowdb/node';

export interface SegmentLogOptions<T> {
  /** Path of segment number `no`. */
  fileOf: (no: number) => string;
  adapter: (file: string) => Adapter<T[]>;
  /** A new segment starts once the last one holds this many records. */
  segmentSize: number;
  /** The records of index start to end - 1 as they are now (what a segment write writes). */
  records: (start: number, end: number) => T[];
}

export interface LoadedSegment<T> {
  no: number;
  records: T[];
}

export class SegmentLog<T> {
  #options: SegmentLogOptions<T>;
  /** Index (id - 1) of each segment's first record; segment n ends where n + 1 starts. */
  #starts: number[] = [];
  #length = 0;
  /** Numbers of the segments changed since they were last written. */
  #dirty: Set<number> | null = null;

  /** `sizes`: how many records each segment on disk holds (as found at load: they keep their size). */
  constructor(sizes: number[], options: SegmentLogOptions<T>) {
    this.#options = options;
    for (const size of sizes) {
      this.#starts.push(this.#length);
      this.#length += size;
    }
  }

  /** How many records the list holds. */
  get length(): number {
    return this.#length;
  }

  /** Whether a segment changed since it was last written. */
  get dirty(): boolean {
    return this.#dirty !== null && this.#dirty.size > 0;
  }

  /** The next record (id length + 1) was added to the list. Its segment becomes dirty. */
  add(): void {
    const last = this.#starts.length - 1;
    if (last < 0 || this.#length - this.#starts[last]! >= this.#options.segmentSize) this.#starts.push(this.#length);
    this.#length += 1;
    this.#mark(this.#starts.length - 1);
  }

  /** The record with this id changed. Its segment becomes dirty. */
  change(id: number): void {
    const index = id - 1;
    if (!(index >= 0 && index < this.#length)) throw new Error(`SegmentLog: no record with id ${id}`);
    let lo = 0;
    let hi = this.#starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#starts[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    this.#mark(lo);
  }

  /** The dirty segments, in ascending order; they count as clean from now on. */
  takeDirty(): number[] {
    const dirty = this.#dirty ? [...this.#dirty].sort((a, b) => a - b) : [];
    this.#dirty = null;
    return dirty;
  }

  /** Marks segments dirty again (their write failed). */
  markDirty(numbers: number[]): void {
    for (const no of numbers) this.#mark(no);
  }

  /**
   * Writes segments `numbers` (ascending) through the adapter, one after the other: segment n + 1 never reaches
   * the disk before segment n is complete there, or a crash could leave a gap in the ids that the next
   * load would rightly refuse.
   */
  async write(numbers: number[]): Promise<void> {
    for (const no of numbers) {
      const start = this.#starts[no]!;
      const end = this.#starts[no + 1] ?? this.#length;
      await this.#options.adapter(this.#options.fileOf(no)).write(this.#options.records(start, end));
    }
  }

  #mark(no: number): void {
    (this.#dirty ??= new Set()).add(no);
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
