import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Adapter } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import { DirectoryLock, DirectoryLockedError } from './directory-lock.js';
import { FsyncJSONFile } from './fsync-json-file.js';
import { Journal, listJournals, readJournal } from './journal.js';
import { listSegmentFiles, readSegments, SegmentLog } from './segment-log.js';
import { StoreState } from './store-state.js';
import type { Buyer, Chat, Message, PageContext, QuickReply, Side, Store } from './store.js';
import { syncDirectorySync } from './sync-directory.js';

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

/** What compaction needs of a SegmentLog, whatever its records. */
type DirtyLog = Pick<SegmentLog<unknown>, 'takeDirty' | 'markDirty' | 'write'>;

/** A chat as written to disk: what cannot be derived from its messages. */
interface StoredChat {
  id: number;
  sellerId: string;
  buyerId: number;
  chatter: string;
  createdAt: number;
  readIds: Record<Side, number>;
  closedAt?: number;
  context?: PageContext;
}

let warnedInProduction = false;
const noop = (): void => {};

/**
 * The default Store: JSON files in a directory, segment files written with lowdb, behind a
 * write-ahead journal. Everything is loaded into memory at start (synchronously, so a damaged file
 * makes lowdbStore() itself throw, before any client is served); the files are there for durability.
 *
 * Layout:
 * - `journal/<n>.jsonl`: every change (new buyer, new or changed chat, new message) as one JSON line,
 *   `{"b": buyer}`, `{"c": chat}` or `{"m": message}`, appended in the order the changes were made;
 * - `buyers/<n>.json`, `chats/<n>.json`: buyers and chats (chat metadata, read markers, closedAt);
 * - `messages/<chatId>-<n>.json`: the messages of one chat, segment n;
 *   each segment file is one lowdb JSON array of at most `segmentSize` records.
 * A chat's lastMessageId, lastActivity and unread counts are never written: they are recomputed from
 * the messages at load.
 *
 * Writes: a change goes to the journal only. Everything changed in one event-loop turn, in all chats,
 * is appended with one write (group commit), so a message costs a share of one file append instead
 * of a rewrite of its chat's segment. Once the journal passes `journalLimit` bytes it is compacted,
 * off the hot path: later changes go to the next journal file, every segment the old journal changed
 * is written once (atomically, temp file + rename, one segment after the other within a chat), then
 * the old journal is deleted. close() compacts too, so a cleanly stopped store is segment files only.
 * Each message is held in memory once; a segment's records are read from it when the segment is written.
 *
 * Durability: a writing method resolves only once the journal write that contains its change
 * completed; that survives a crash of the process (even SIGKILL). With `fsync: true` each journal
 * write is also datasynced (and segment files and directories fsynced at compaction), so it survives a
 * power loss or an OS crash. A restart keeps every change whose promise resolved.
 *
 * Reads answer at once with what is on disk, and never wait for a write: a message (or a new chat)
 * whose journal line is not written yet, or whose write failed, is left out of listMessages,
 * listChats and getChat, and a chat's lastMessageId, lastActivity and unread counts are those of its
 * messages on disk. So while the disk is full (ENOSPC) or failing (EIO), writes reject as soon as
 * their write fails, and reads (a sign-in) keep working with everything confirmed so far. A failed
 * change is not undone: it stays queued and goes to disk with the next write that succeeds, so a
 * message whose append rejected may still be stored later (the client's resend with the same
 * clientId then gets it back as a duplicate); it is shown to nobody before. Read markers and
 * closing count in memory from the moment they are made.
 *
 * Load: the segment files (strictly), then the journals in order. Replaying a record that a segment
 * already holds changes nothing (messages and buyers by id, chats overwritten by their newer record),
 * so a crash during a compaction loses nothing. A torn last line of the last journal (a crash in the
 * middle of a write) is dropped, and cut off before the next write.
 *
 * One process per directory: it takes a lock file `<dir>/lock` (pid and host) at start and deletes it
 * at close(). A second store on the directory, in this or another process, throws a one-line Error
 * naming the directory and the holder; a lock left by a process that is gone (killed, crashed, the
 * machine rebooted) is taken over at once. A lock of another host is never taken over (delete it by
 * hand once that host's server is stopped). To run more than one process, use a database-backed
 * store. In production (NODE_ENV=production) it says so once on the console, as express-session's
 * MemoryStore does.
 *
 * A directory that cannot be created or written (read-only, no permission, a file in the way) throws
 * at start, a one-line Error naming it, not at the first write.
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

  const dirs = { buyers: join(dir, 'buyers'), chats: join(dir, 'chats'), messages: join(dir, 'messages'), journal: join(dir, 'journal') };
  const lock = openDirectory(dir, Object.values(dirs));
  try {
    if (fsync) {
      // Make the directories themselves durable once, before any file in them is.
      syncDirectorySync(dirname(dir));
      syncDirectorySync(dir);
    }
    return load(dirs, lock, { fsync, segmentSize, journalLimit });
  } catch (error) {
    lock.release();
    throw error;
  }
}

/**
 * Creates the data directory and its subdirectories, takes the directory's lock, and checks that
 * every one of them takes a new file, so that a directory we could read but never write fails here,
 * before anything listens, and not at the first sign-up.
 */
function openDirectory(dir: string, subdirs: string[]): DirectoryLock {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new Error(`lowdbStore: data directory ${dir} cannot be created: ${oneLine(error)}`, { cause: error });
  }
  let lock: DirectoryLock;
  try {
    lock = DirectoryLock.acquire(dir);
  } catch (error) {
    if (error instanceof DirectoryLockedError) throw error;
    throw new Error(`lowdbStore: data directory ${dir} is not writable: ${oneLine(error)}`, { cause: error });
  }
  try {
    for (const path of subdirs) {
      mkdirSync(path, { recursive: true });
      // A temp-file name, which no loader takes for data should it stay behind.
      const probe = join(path, `.probe.${process.pid}.tmp`);
      writeFileSync(probe, '');
      unlinkSync(probe);
    }
  } catch (error) {
    lock.release();
    throw new Error(`lowdbStore: data directory ${dir} is not writable: ${oneLine(error)}`, { cause: error });
  }
  return lock;
}

const oneLine = (error: unknown): string => String((error as Error)?.message ?? error).replace(/\s*\n\s*/g, ' ');

function load(
  dirs: Record<'buyers' | 'chats' | 'messages' | 'journal', string>,
  lock: DirectoryLock,
  { fsync, segmentSize, journalLimit }: { fsync: boolean; segmentSize: number; journalLimit: number },
): LowdbStore {

  const state = new StoreState();
  const adapter = <T>(file: string): Adapter<T> => (fsync ? new FsyncJSONFile<T>(file) : new JSONFile<T>(file));
  const segmentFiles = (path: string, pattern: RegExp) => {
    const byKey = listSegmentFiles(path, pattern);
    return new Map([...byKey].map(([key, files]) => [key, files.map(({ no, name }) => ({ no, path: join(path, name) }))]));
  };
  const sizes = (segments: { records: unknown[] }[]) => segments.map((s) => s.records.length);

  // Segment logs know which segments changed since they were written; compaction writes those.
  const dirtyLogs = new Set<DirtyLog>();
  const touched = (log: DirtyLog): void => {
    dirtyLogs.add(log);
  };

  // ---- load: segments ----
  const buyerSegments = readSegments(segmentFiles(dirs.buyers, /^()(\d+)\.json$/).get('') ?? [], isBuyer, 'buyer');
  const buyers = buyerSegments.flatMap((s) => s.records);
  const buyersLog = new SegmentLog<Buyer>(sizes(buyerSegments), {
    fileOf: (no) => join(dirs.buyers, `${no}.json`),
    adapter: adapter<Buyer[]>,
    segmentSize,
    records: (start, end) => state.storedBuyers(start, end),
  });

  const chatSegments = readSegments(segmentFiles(dirs.chats, /^()(\d+)\.json$/).get('') ?? [], isStoredChat, 'chat');
  const chats = chatSegments.flatMap((s) => s.records);
  const chatsLog = new SegmentLog<StoredChat>(sizes(chatSegments), {
    fileOf: (no) => join(dirs.chats, `${no}.json`),
    adapter: adapter<StoredChat[]>,
    segmentSize,
    records: (start, end) => {
      const records: StoredChat[] = [];
      for (let id = start + 1; id <= end; id++) records.push(toStored(state.storedChat(id)!));
      return records;
    },
  });

  const messageLogs = new Map<number, SegmentLog<Message>>();
  const messageLog = (chatId: number, segmentSizes: number[] = []): SegmentLog<Message> => {
    let log = messageLogs.get(chatId);
    if (!log) {
      log = new SegmentLog<Message>(segmentSizes, {
        fileOf: (no) => join(dirs.messages, `${chatId}-${no}.json`),
        adapter: adapter<Message[]>,
        segmentSize,
        records: (start, end) => state.storedMessages(chatId, start, end),
      });
      messageLogs.set(chatId, log);
    }
    return log;
  };
  /** Messages by chat while loading (handed to the state at the end). */
  const messages = new Map<number, Message[]>();
  const messageFiles = segmentFiles(dirs.messages, /^(\d+)-(\d+)\.json$/);
  for (const stored of chats) {
    const files = messageFiles.get(String(stored.id)) ?? [];
    messageFiles.delete(String(stored.id));
    const segments = readSegments(files, (m): m is Message => isMessage(m) && m.chatId === stored.id, `chat ${stored.id} message`);
    if (segments.length === 0) continue;
    messages.set(stored.id, segments.flatMap((s) => s.records));
    messageLog(stored.id, sizes(segments));
  }
  for (const [chatId, files] of messageFiles) {
    throw new Error(`lowdbStore: ${files[0]!.path} holds messages of chat ${chatId}, which is not in ${dirs.chats}`);
  }

  // ---- load: journals, oldest first ----
  const replay = (record: unknown): void => {
    if (isObject(record) && 'm' in record) {
      const message = record.m;
      if (!isMessage(message)) throw new Error(`invalid message record: ${JSON.stringify(message)}`);
      if (!chats[message.chatId - 1]) throw new Error(`message of chat ${message.chatId}, which does not exist`);
      let list = messages.get(message.chatId);
      if (!list) messages.set(message.chatId, (list = []));
      // Already in a segment (written by a compaction this journal outlived) or earlier in the journals.
      if (message.id <= list.length) return;
      if (message.id !== list.length + 1) throw new Error(`expected chat ${message.chatId} message id ${list.length + 1}, found ${message.id}`);
      list.push(message);
      const log = messageLog(message.chatId);
      log.add();
      touched(log);
    } else if (isObject(record) && 'c' in record) {
      const chat = record.c;
      if (!isStoredChat(chat)) throw new Error(`invalid chat record: ${JSON.stringify(chat)}`);
      if (chat.id <= chats.length) {
        chats[chat.id - 1] = chat;
        chatsLog.change(chat.id);
      } else if (chat.id === chats.length + 1) {
        chats.push(chat);
        chatsLog.add();
      } else {
        throw new Error(`expected chat id ${chats.length + 1} or lower, found ${chat.id}`);
      }
      touched(chatsLog);
    } else if (isObject(record) && 'b' in record) {
      const buyer = record.b;
      if (!isBuyer(buyer)) throw new Error(`invalid buyer record: ${JSON.stringify(buyer)}`);
      if (buyer.id <= buyers.length) {
        // A changed buyer (name, e-mail): the newer record wins, as for chats.
        buyers[buyer.id - 1] = buyer;
        buyersLog.change(buyer.id);
        touched(buyersLog);
        return;
      }
      if (buyer.id !== buyers.length + 1) throw new Error(`expected buyer id ${buyers.length + 1}, found ${buyer.id}`);
      buyers.push(buyer);
      buyersLog.add();
      touched(buyersLog);
    } else {
      throw new Error(`not a journal record: ${JSON.stringify(record)}`);
    }
  };
  const journals = listJournals(dirs.journal);
  let validSize = 0;
  journals.forEach(({ path }, i) => {
    ({ validSize } = readJournal(path, i === journals.length - 1, replay));
  });

  for (const buyer of buyers) state.restoreBuyer(buyer);
  for (const stored of chats) state.restoreChat(toChat(stored), messages.get(stored.id) ?? []);
  messages.clear();
  // Quick replies: a few per seller, rewritten whole on each change (no journal needed).
  const repliesPath = join(dirname(dirs.journal), 'replies.json');
  const repliesFile = adapter<Record<string, QuickReply[]>>(repliesPath);
  state.restoreReplies(readReplies(repliesPath));
  const saveReplies = () => repliesFile.write(state.storedReplies());

  // The last journal is continued (its torn end, if any, cut off at the first write); older ones
  // are left from a compaction that did not finish, and go with the next one.
  const lastJournal = journals.at(-1);
  const journal = new Journal({ dir: dirs.journal, no: lastJournal?.no ?? 0, validSize, exists: lastJournal !== undefined, fsync });
  let oldJournals = journals.slice(0, -1).map((j) => j.no);

  // ---- compaction ----
  let compacting: Promise<void> | null = null;

  /** Rotates the journal, writes every segment the old journal(s) changed, then deletes them. */
  async function compactOnce(): Promise<void> {
    if (dirtyLogs.size === 0 && journal.size === 0 && oldJournals.length === 0) return;
    // Taken in the same turn as the rotation: changes from now on are the next journal's.
    const dirty = [...dirtyLogs].map((log) => ({ log, numbers: log.takeDirty() }));
    dirtyLogs.clear();
    oldJournals.push(await journal.rotate());
    try {
      await writeSegments(dirty);
    } catch (error) {
      for (const { log, numbers } of dirty) {
        log.markDirty(numbers);
        touched(log);
      }
      throw error;
    }
    // Oldest first, and stop at a failure: the journals left must stay a suffix, or replaying an old
    // one after newer segments were written could undo a later change to a chat.
    while (oldJournals.length > 0) {
      await journal.remove([oldJournals[0]!]);
      oldJournals.shift();
    }
  }

  async function writeSegments(dirty: { log: DirtyLog; numbers: number[] }[]): Promise<void> {
    // A chat's file before its messages' files: a load refuses messages of a chat it does not know.
    const isMeta = (log: DirtyLog): boolean => log === buyersLog || log === chatsLog;
    for (const { log, numbers } of dirty) if (isMeta(log)) await log.write(numbers);
    const rest = dirty.filter(({ log }) => !isMeta(log));
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

  /** Runs a compaction after the one in progress, if any. */
  function compact(): Promise<void> {
    const run = (compacting ?? Promise.resolve()).catch(noop).then(compactOnce);
    compacting = run;
    const forget = (): void => {
      if (compacting === run) compacting = null;
    };
    run.then(forget, forget);
    return run;
  }

  const compactWhenFull = (): void => {
    if (compacting || closing || journal.size < journalLimit) return;
    compact().catch((error: Error) => {
      // The journal still holds everything: nothing is lost, the next compaction tries again.
      process.emitWarning(`lowdbStore: compaction failed (retried later): ${error.message}`);
    });
  };

  // ---- the Store ----
  let closing: Promise<void> | null = null;
  const use = (): void => {
    if (closing) throw new Error('lowdbStore: the store is closed');
  };
  const written = async (seq: number | undefined): Promise<void> => {
    const wait = seq === undefined ? null : journal.whenWritten(seq);
    if (wait) await wait;
  };
  const commit = async (seq: number): Promise<void> => {
    await written(seq);
    compactWhenFull();
  };
  /** Journal sequence number of each chat's newest chat record (a later change waits for an earlier one's write). */
  const chatSeq = new Map<number, number>();
  const journalChat = (chat: Chat): number => {
    const seq = journal.append(`{"c":${JSON.stringify(toStored(chat))}}`);
    chatSeq.set(chat.id, seq);
    return seq;
  };

  // ---- what is on disk: reads answer with that, and never wait for a write ----
  // A change is in memory (and gives ids) before its journal line is written; until then, or when
  // that write failed (ENOSPC, EIO: its line stays queued and goes with the next write), nobody is
  // shown it. These remember what is not on disk yet, per chat, and forget it once it is.

  /** Chats whose first record (the chat's creation) is not on disk yet → its sequence number. */
  const unwrittenChats = new Map<number, number>();
  /** Chats whose creating openChat failed: the first openChat that gets one on disk reports it created. */
  const unreportedChats = new Set<number>();
  /** Per chat, its messages not on disk yet, ascending ids. */
  const unwrittenMessages = new Map<number, UnwrittenMessage[]>();
  const isWritten = (seq: number): boolean => seq <= journal.written;
  const chatOnDisk = (chatId: number): boolean => {
    const seq = unwrittenChats.get(chatId);
    if (seq === undefined) return true;
    if (!isWritten(seq)) return false;
    unwrittenChats.delete(chatId);
    return true;
  };
  /** The chat's messages that are not on disk, after forgetting those that are now. */
  const unwritten = (chatId: number): UnwrittenMessage[] | undefined => {
    const list = unwrittenMessages.get(chatId);
    if (!list) return undefined;
    let done = 0;
    while (done < list.length && isWritten(list[done]!.seq)) done++;
    if (done === list.length) {
      unwrittenMessages.delete(chatId);
      return undefined;
    }
    if (done > 0) list.splice(0, done);
    return list;
  };
  /** The chat (a copy, changed in place) as its messages on disk make it: last id, activity, unread. */
  const onDisk = (chat: Chat): Chat => {
    const list = unwritten(chat.id);
    if (!list) return chat;
    const last = list[0]!.id - 1;
    chat.lastMessageId = last;
    chat.lastActivity = list[0]!.activityBefore;
    for (const side of ['buyer', 'seller'] as const) {
      if (chat.readIds[side] >= last) {
        chat.readIds[side] = last;
        chat.unread[side] = 0;
      } else {
        chat.unread[side] -= list.filter((m) => m.from !== side).length;
      }
    }
    return chat;
  };

  /** Journals a new or changed buyer record (the caller added a new one to buyersLog). */
  const saveBuyer = async (buyer: Buyer, created: boolean): Promise<void> => {
    if (!created) buyersLog.change(buyer.id);
    touched(buyersLog);
    await commit(journal.append(`{"b":${JSON.stringify(buyer)}}`));
  };
  /** Journals a changed chat record. */
  const saveChat = async (chat: Chat): Promise<void> => {
    chatsLog.change(chat.id);
    touched(chatsLog);
    await commit(journalChat(chat));
  };

  /** Journals a changed chat record (or waits for its pending one) and gives the chat back. */
  const savedChat = async (result: { chat: Chat; changed: boolean } | null): Promise<Chat | null> => {
    if (!result) return null;
    if (result.changed) {
      chatsLog.change(result.chat.id);
      touched(chatsLog);
      await commit(journalChat(result.chat));
    } else {
      await written(chatSeq.get(result.chat.id));
    }
    return onDisk(result.chat);
  };

  return {
    async createBuyer(input) {
      use();
      const buyer = state.createBuyer(input, Date.now());
      buyersLog.add();
      await saveBuyer(buyer, true);
      return buyer;
    },

    async findBuyerByTokenHash(tokenHash) {
      use();
      // A buyer whose record is not on disk yet has no token out there: its sign-up has not answered.
      return state.findBuyerByTokenHash(tokenHash);
    },

    // Reads answer from memory without waiting for a write, as findBuyerByTokenHash does: a buyer's
    // record precedes in the journal anything that refers to it (its chats), so nothing on disk can
    // name a buyer that is not.
    async getBuyer(buyerId) {
      use();
      return state.getBuyer(buyerId);
    },

    async findBuyerByExternalId(externalId) {
      use();
      return state.findBuyerByExternalId(externalId);
    },

    async upsertBuyer(input) {
      use();
      // Synchronous up to the journal append, so concurrent calls for one externalId find the first's buyer.
      const { buyer, created, changed, chats } = state.upsertBuyer(input, Date.now());
      if (created) buyersLog.add();
      if (changed) await Promise.all([saveBuyer(buyer, created), ...chats.map(saveChat)]);
      return { buyer, created };
    },

    async updateBuyer(buyerId, change) {
      use();
      const result = state.updateBuyer(buyerId, change);
      if (!result) return null;
      if (result.changed) await Promise.all([saveBuyer(result.buyer, false), ...result.chats.map(saveChat)]);
      return result.buyer;
    },

    async setChatContext(chatId, context) {
      use();
      return savedChat(state.setChatContext(chatId, context));
    },

    async openChat(input) {
      use();
      // Synchronous up to the journal append, so concurrent calls see the chat the first one created.
      const result = state.openChat(input, Date.now());
      if (result.created) {
        chatsLog.add();
        touched(chatsLog);
        const seq = journalChat(result.chat);
        unwrittenChats.set(result.chat.id, seq);
        try {
          await commit(seq);
        } catch (error) {
          unreportedChats.add(result.chat.id);
          throw error;
        }
      } else if (!chatOnDisk(result.chat.id)) {
        // Handed out only once it is on disk (a retry after a failed write writes it again).
        await written(unwrittenChats.get(result.chat.id));
      }
      chatOnDisk(result.chat.id);
      onDisk(result.chat);
      // Nobody was told of it yet (so the seller hears of the new chat now).
      if (!result.created && unreportedChats.delete(result.chat.id)) return { chat: result.chat, created: true };
      return result;
    },

    async getChat(chatId) {
      use();
      if (!chatOnDisk(chatId)) return null;
      const chat = state.getChat(chatId);
      return chat && onDisk(chat);
    },

    async listChats(sellerId, listOptions) {
      use();
      return state.listChats(sellerId, listOptions, (chat) => chatOnDisk(chat.id)).map(onDisk);
    },

    async appendMessage(input) {
      use();
      const activityBefore = state.storedChat(input.chatId)?.lastActivity ?? 0;
      // Synchronous up to the journal append: ids are given, and journaled, in call order. The chat's
      // own record is earlier in the journal, so it is on disk before its message is.
      const result = state.appendMessage(input, Date.now());
      if (result.duplicate) {
        // Confirmed only once the original is on disk: its own write may have failed or be in flight.
        const list = unwritten(input.chatId);
        const original = list?.[result.message.id - list[0]!.id];
        if (original) await written(original.seq);
        return result;
      }
      const log = messageLog(input.chatId);
      log.add();
      touched(log);
      const seq = journal.append(`{"m":${JSON.stringify(result.message)}}`);
      let list = unwrittenMessages.get(input.chatId);
      if (!list) unwrittenMessages.set(input.chatId, (list = []));
      list.push({ id: result.message.id, from: result.message.from, seq, activityBefore });
      await commit(seq);
      unwritten(input.chatId);
      return result;
    },

    async listMessages(chatId, listOptions) {
      use();
      // Only what is on disk, without waiting: after a crash an unwritten id could return with other
      // text, and a write that fails (a full disk) must not hold up a sign-in.
      const list = unwritten(chatId);
      if (!list) return state.listMessages(chatId, listOptions);
      const before = Math.min(listOptions.before ?? Infinity, list[0]!.id);
      return state.listMessages(chatId, { ...listOptions, before });
    },

    async listRecentMessages(chatIds, listOptions) {
      use();
      // All in memory: the same read as listMessages, per chat, without a turn of the loop between.
      return chatIds.map((chatId) => {
        const options = { limit: listOptions.limit, after: listOptions.after?.get(chatId) };
        const list = unwritten(chatId);
        if (!list) return state.listMessages(chatId, options);
        return state.listMessages(chatId, { ...options, before: list[0]!.id });
      });
    },

    async markRead(chatId, side, messageId) {
      use();
      return savedChat(state.markRead(chatId, side, messageId));
    },

    async closeChat(chatId) {
      use();
      return savedChat(state.closeChat(chatId, Date.now()));
    },

    async findChats(sellerId, listOptions) {
      use();
      return state.findChats(sellerId, listOptions);
    },

    async reopenChat(chatId) {
      use();
      return savedChat(state.reopenChat(chatId));
    },

    async markUnread(chatId, side) {
      use();
      return savedChat(state.markUnread(chatId, side));
    },

    async listReplies(sellerId) {
      use();
      return state.listReplies(sellerId);
    },

    async saveReply(sellerId, reply) {
      use();
      const saved = state.saveReply(sellerId, reply);
      if (saved) await saveReplies();
      return saved;
    },

    async deleteReply(sellerId, id) {
      use();
      const deleted = state.deleteReply(sellerId, id);
      if (deleted) await saveReplies();
      return deleted;
    },

    async compact() {
      use();
      await compact();
    },

    close() {
      closing ??= (async () => {
        try {
          if (compacting) await compacting.catch(noop);
          await journal.flush();
          // An instance that only read (never wrote) leaves the files as they are.
          if (journal.wroteAny) await compact();
        } finally {
          try {
            await journal.close();
          } finally {
            // The store is unusable from here on, written out or not: the next process may start.
            lock.release();
          }
        }
      })();
      return closing;
    },
  };
}

/** A message whose journal line is not on disk yet. */
interface UnwrittenMessage {
  id: number;
  from: Side;
  /** Its journal sequence number. */
  seq: number;
  /** The chat's lastActivity before it. */
  activityBefore: number;
}

function validate(options: LowdbStoreOptions): { dir: string; fsync: boolean; segmentSize: number; journalLimit: number } {
  const { dir = './ahchat-data', fsync = false, segmentSize = 1000, journalLimit = 16 * 1024 * 1024 } = options;
  if (typeof dir !== 'string' || dir === '') {
    throw new TypeError(`lowdbStore: options.dir must be a non-empty string, got ${JSON.stringify(dir)}`);
  }
  if (typeof fsync !== 'boolean') {
    throw new TypeError(`lowdbStore: options.fsync must be a boolean, got ${JSON.stringify(fsync)}`);
  }
  if (typeof segmentSize !== 'number' || !Number.isInteger(segmentSize) || segmentSize < 1) {
    throw new RangeError(`lowdbStore: options.segmentSize must be a positive integer, got ${JSON.stringify(segmentSize)}`);
  }
  if (typeof journalLimit !== 'number' || !Number.isInteger(journalLimit) || journalLimit < 1) {
    throw new RangeError(`lowdbStore: options.journalLimit must be a positive integer (bytes), got ${JSON.stringify(journalLimit)}`);
  }
  return { dir: resolve(dir), fsync, segmentSize, journalLimit };
}

function toStored(chat: Chat): StoredChat {
  const stored: StoredChat = {
    id: chat.id,
    sellerId: chat.sellerId,
    buyerId: chat.buyerId,
    chatter: chat.chatter,
    createdAt: chat.createdAt,
    readIds: { ...chat.readIds },
  };
  if (chat.closedAt !== undefined) stored.closedAt = chat.closedAt;
  if (chat.context !== undefined) stored.context = chat.context;
  return stored;
}

/** A fresh Chat for the state; lastMessageId, lastActivity and unread are filled in from the messages. */
function toChat(stored: StoredChat): Chat {
  const chat: Chat = {
    ...stored,
    readIds: { ...stored.readIds },
    lastActivity: stored.createdAt,
    lastMessageId: 0,
    unread: { buyer: 0, seller: 0 },
  };
  return chat;
}

// ---- record checks at load: a file that parses but holds something else is damage too ----

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isSide = (v: unknown): v is Side => v === 'buyer' || v === 'seller';

function isBuyer(v: unknown): v is Buyer {
  return (
    isObject(v) &&
    isId(v.id) &&
    typeof v.name === 'string' &&
    typeof v.tokenHash === 'string' &&
    isTime(v.createdAt) &&
    (v.externalId === undefined || typeof v.externalId === 'string') &&
    (v.email === undefined || typeof v.email === 'string') &&
    (v.guest === undefined || v.guest === true)
  );
}

const isContext = (v: unknown): v is PageContext =>
  v === undefined || (isObject(v) && typeof v.title === 'string' && typeof v.url === 'string');

function isStoredChat(v: unknown): v is StoredChat {
  return (
    isObject(v) &&
    isId(v.id) &&
    typeof v.sellerId === 'string' &&
    isId(v.buyerId) &&
    typeof v.chatter === 'string' &&
    isTime(v.createdAt) &&
    isObject(v.readIds) &&
    isCount(v.readIds.buyer) &&
    isCount(v.readIds.seller) &&
    (v.closedAt === undefined || isTime(v.closedAt)) &&
    isContext(v.context)
  );
}

function isMessage(v: unknown): v is Message {
  return (
    isObject(v) &&
    isId(v.id) &&
    isId(v.chatId) &&
    isSide(v.from) &&
    typeof v.text === 'string' &&
    isTime(v.createdAt) &&
    typeof v.clientDate === 'number' &&
    (v.clientId === undefined || typeof v.clientId === 'string') &&
    isContext(v.context)
  );
}

/** replies.json as written by saveReplies; absent means none. A damaged file is an error, as with the other files. */
function readReplies(path: string): Record<string, QuickReply[]> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  const data = JSON.parse(text) as unknown;
  const ok =
    isObject(data) &&
    Object.values(data).every((list) => Array.isArray(list) && list.every((r) => isObject(r) && isId(r.id) && typeof r.text === 'string'));
  if (!ok) throw new Error(`lowdbStore: ${path} is not a replies file`);
  return data as Record<string, QuickReply[]>;
}
