/**
 * The snapshots of a data directory: its segment files, one SegmentLog per list of records
 * (`buyers/<n>.json`, `chats/<n>.json`, `messages/<chatId>-<n>.json`). Each change record marks the
 * segment it falls in dirty; compaction writes the dirty ones. The records are read from the state
 * when a segment is written (each message is held in memory once).
 */
import { join } from 'node:path';
import type { Adapter } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import type { Change } from '../change.js';
import type { StoreState } from '../store-state.js';
import type { Buyer, Message } from '../store.js';
import { FsyncJSONFile } from './fsync-json-file.js';
import { toStored, type StoredChat } from './records.js';
import { SegmentLog } from './segment-log.js';

export type DataDirs = Record<'buyers' | 'chats' | 'messages' | 'journal', string>;

/** What marking and compaction need of a SegmentLog, whatever its records. */
export type DirtyLog = Pick<SegmentLog<unknown>, 'add' | 'change' | 'takeDirty' | 'markDirty' | 'write'>;

/** lowdb's JSONFile (temp file + rename), or with fsync FsyncJSONFile (which also fsyncs file and directory). */
export const fileAdapter = <T>(file: string, fsync: boolean): Adapter<T> => (fsync ? new FsyncJSONFile<T>(file) : new JSONFile<T>(file));

export class Segments {
  readonly buyers: SegmentLog<Buyer>;
  readonly chats: SegmentLog<StoredChat>;
  #messages = new Map<number, SegmentLog<Message>>();
  /** The logs with a segment changed since compaction last took them. */
  #dirty = new Set<DirtyLog>();
  #dirs: DataDirs;
  #state: StoreState;
  #fsync: boolean;
  #segmentSize: number;

  /** `buyers`, `chats`: how many records each segment on disk holds (as found at load). */
  constructor(options: { dirs: DataDirs; state: StoreState; fsync: boolean; segmentSize: number; buyers: number[]; chats: number[] }) {
    const { dirs, state, fsync, segmentSize } = options;
    this.#dirs = dirs;
    this.#state = state;
    this.#fsync = fsync;
    this.#segmentSize = segmentSize;
    this.buyers = new SegmentLog<Buyer>(options.buyers, {
      fileOf: (no) => join(dirs.buyers, `${no}.json`),
      adapter: (file) => fileAdapter<Buyer[]>(file, fsync),
      segmentSize,
      records: (start, end) => state.storedBuyers(start, end),
    });
    this.chats = new SegmentLog<StoredChat>(options.chats, {
      fileOf: (no) => join(dirs.chats, `${no}.json`),
      adapter: (file) => fileAdapter<StoredChat[]>(file, fsync),
      segmentSize,
      records: (start, end) => {
        const records: StoredChat[] = [];
        for (let id = start + 1; id <= end; id++) records.push(toStored(state.storedChat(id)!));
        return records;
      },
    });
  }

  /** The chat's message log (`sizes`: its segments on disk, when it is first asked for at load). */
  messages(chatId: number, sizes: number[] = []): SegmentLog<Message> {
    let log = this.#messages.get(chatId);
    if (!log) {
      const state = this.#state;
      log = new SegmentLog<Message>(sizes, {
        fileOf: (no) => join(this.#dirs.messages, `${chatId}-${no}.json`),
        adapter: (file) => fileAdapter<Message[]>(file, this.#fsync),
        segmentSize: this.#segmentSize,
        records: (start, end) => state.storedMessages(chatId, start, end),
      });
      this.#messages.set(chatId, log);
    }
    return log;
  }

  /** Marks the segment a change falls in dirty (a new record: the last segment, or a new one). */
  record(change: Change): void {
    switch (change.kind) {
      case 'buyer':
        this.mark(this.buyers, change.created ? undefined : change.buyer.id);
        break;
      case 'chat':
        this.mark(this.chats, change.created ? undefined : change.chat.id);
        break;
      case 'message':
        this.mark(this.messages(change.message.chatId));
        break;
      case 'replies':
        break;
    }
  }

  /** The record with `changedId` of `log` changed, or (no id) a new one was added: its segment is dirty. */
  mark(log: DirtyLog, changedId?: number): void {
    if (changedId === undefined) log.add();
    else log.change(changedId);
    this.#dirty.add(log);
  }

  /** The dirty segments of every log, in the same turn as the journal's rotation; they count as clean from now on. */
  takeDirty(): { log: DirtyLog; numbers: number[] }[] {
    const dirty = [...this.#dirty].map((log) => ({ log, numbers: log.takeDirty() }));
    this.#dirty.clear();
    return dirty;
  }

  /** Their write failed: dirty again, for the next compaction. */
  markDirty(dirty: { log: DirtyLog; numbers: number[] }[]): void {
    for (const { log, numbers } of dirty) {
      log.markDirty(numbers);
      this.#dirty.add(log);
    }
  }

  get anyDirty(): boolean {
    return this.#dirty.size > 0;
  }

  /** The buyers' and chats' logs (written before any message's: a load refuses messages of a chat it does not know). */
  isMeta(log: DirtyLog): boolean {
    return log === this.buyers || log === this.chats;
  }
}
