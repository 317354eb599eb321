import { fsyncSync, mkdirSync, openSync, closeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Adapter } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import { CoalescingAdapter } from './coalescing-adapter.js';
import { FsyncJSONFile } from './fsync-json-file.js';
import { listSegmentFiles, readSegments, SegmentLog, type LoadedSegment } from './segment-log.js';
import { copyMessage, StoreState } from './store-state.js';
import type { Buyer, Chat, Message, Side, Store } from './store.js';

export interface LowdbStoreOptions {
  /** Data directory, created when missing. Default `'./ahchat-data'`. */
  dir?: string;
  /** Make every write survive a power loss (fsync file and directory), at some cost per write. Default `false`. */
  fsync?: boolean;
  /** Most records (messages of one chat, chats, buyers) per file. Default `1000`. */
  segmentSize?: number;
}

/** A chat as written to disk: what cannot be derived from its messages. */
interface StoredChat {
  id: number;
  sellerId: string;
  buyerId: number;
  chatter: string;
  createdAt: number;
  readIds: Record<Side, number>;
  closedAt?: number;
}

let warnedInProduction = false;

/**
 * The default Store: JSON files in a directory, written with lowdb. Everything is loaded into memory
 * at start (synchronously, so a damaged file makes lowdbStore() itself throw, before any client is
 * served); the files are there for durability.
 *
 * Layout, one lowdb `Low` per file, each file at most `segmentSize` records:
 * - `buyers/<n>.json`, `chats/<n>.json`: buyers and chats (chat metadata and read markers);
 * - `messages/<chatId>-<n>.json`: the messages of one chat, segment n.
 * lowdb rewrites a whole file per write, so a new message costs one serialisation of its chat's last
 * segment (≤ segmentSize messages), however much history is stored; a read marker costs one chats
 * segment. A chat's lastMessageId, lastActivity and unread counts are never written: they are
 * recomputed from the messages at load, so storing a message touches no other file.
 *
 * Writes to one file are coalesced (CoalescingAdapter): a burst of messages to one chat costs one
 * serialisation and one file write, not one per message.
 *
 * Durability: a writing method resolves only after the atomic write (temp file + rename, by lowdb's
 * JSONFile) that contains its change completed. By default that survives a crash of the process (even SIGKILL);
 * surviving a power loss or an OS crash needs `fsync: true` (fsync of file and directory per write).
 * A restart keeps every change whose promise resolved.
 *
 * Single process only: two processes (or cluster workers) on one directory overwrite each other's
 * files. To run more than one, use a database-backed store. In production (NODE_ENV=production) it
 * says so once on the console, as express-session's MemoryStore does.
 *
 * @throws TypeError/RangeError for a bad option; Error naming the file when a data file cannot be
 *   read, is not valid JSON, or does not fit with the others (never starts on part of the data).
 */
export function lowdbStore(options: LowdbStoreOptions = {}): Store {
  const { dir, fsync, segmentSize } = validate(options);
  if (process.env.NODE_ENV === 'production' && !warnedInProduction) {
    warnedInProduction = true;
    console.warn(
      'Warning: ah-chat lowdbStore keeps its data in local JSON files and supports a single process only; ' +
        'do not run several servers or cluster workers on one data directory.',
    );
  }

  const dirs = { buyers: join(dir, 'buyers'), chats: join(dir, 'chats'), messages: join(dir, 'messages') };
  for (const path of Object.values(dirs)) mkdirSync(path, { recursive: true });
  if (fsync) {
    // Make the directories themselves durable once, before any file in them is.
    syncDirectorySync(dirname(dir));
    syncDirectorySync(dir);
  }

  const adapter = <T>(file: string): Adapter<T> =>
    new CoalescingAdapter<T>(fsync ? new FsyncJSONFile<T>(file) : new JSONFile<T>(file));
  const pending = new Set<Promise<void>>();
  const logOptions = <T>(fileOf: (no: number) => string) => ({ fileOf, adapter: adapter<T[]>, segmentSize, pending });
  const segmentFiles = (path: string, pattern: RegExp) => {
    const byKey = listSegmentFiles(path, pattern);
    return new Map([...byKey].map(([key, files]) => [key, files.map(({ no, name }) => ({ no, path: join(path, name) }))]));
  };

  // ---- load ----
  const state = new StoreState();
  const buyerSegments = readSegments(segmentFiles(dirs.buyers, /^()(\d+)\.json$/).get('') ?? [], isBuyer, 'buyer');
  for (const { records } of buyerSegments) for (const buyer of records) state.restoreBuyer({ ...buyer });
  const buyers = new SegmentLog<Buyer>(buyerSegments, logOptions((no) => join(dirs.buyers, `${no}.json`)));

  const chatSegments = readSegments(segmentFiles(dirs.chats, /^()(\d+)\.json$/).get('') ?? [], isStoredChat, 'chat');
  const chats = new SegmentLog<StoredChat>(chatSegments, logOptions((no) => join(dirs.chats, `${no}.json`)));

  const messageFiles = segmentFiles(dirs.messages, /^(\d+)-(\d+)\.json$/);
  const messageLogs = new Map<number, SegmentLog<Message>>();
  const messageLog = (chatId: number, loaded: LoadedSegment<Message>[] = []): SegmentLog<Message> => {
    let log = messageLogs.get(chatId);
    if (!log) {
      log = new SegmentLog<Message>(loaded, logOptions((no) => join(dirs.messages, `${chatId}-${no}.json`)));
      messageLogs.set(chatId, log);
    }
    return log;
  };
  for (const { records } of chatSegments) {
    for (const stored of records) {
      const files = messageFiles.get(String(stored.id)) ?? [];
      messageFiles.delete(String(stored.id));
      const segments = readSegments(files, (m): m is Message => isMessage(m) && m.chatId === stored.id, `chat ${stored.id} message`);
      state.restoreChat(toChat(stored), segments.flatMap((s) => s.records));
      if (segments.length > 0) messageLog(stored.id, segments);
    }
  }
  for (const [chatId, files] of messageFiles) {
    throw new Error(`lowdbStore: ${files[0]!.path} holds messages of chat ${chatId}, which is not in ${dirs.chats}`);
  }

  // ---- the Store ----
  let closing: Promise<void> | null = null;
  const use = (): void => {
    if (closing) throw new Error('lowdbStore: the store is closed');
  };
  const settled = async (wait: Promise<void> | null): Promise<void> => {
    if (wait) await wait;
  };

  return {
    async createBuyer(input) {
      use();
      const buyer = state.createBuyer(input, Date.now());
      await buyers.append({ ...buyer });
      return buyer;
    },

    async findBuyerByTokenHash(tokenHash) {
      use();
      return state.findBuyerByTokenHash(tokenHash);
    },

    async openChat(input) {
      use();
      // Synchronous up to the write, so concurrent calls see the chat the first one created.
      const result = state.openChat(input, Date.now());
      if (result.created) await chats.append(toStored(result.chat));
      else await settled(chats.ensureDurable(result.chat.id));
      return result;
    },

    async getChat(chatId) {
      use();
      return state.getChat(chatId);
    },

    async listChats(sellerId, listOptions) {
      use();
      return state.listChats(sellerId, listOptions);
    },

    async appendMessage(input) {
      use();
      // A message file must never reach the disk before its chat does (the next load would refuse it).
      await settled(chats.ensureDurable(input.chatId));
      const result = state.appendMessage(input, Date.now());
      const log = messageLog(input.chatId);
      // A duplicate is confirmed only once the original is on disk: its own write may still be in flight.
      if (result.duplicate) await settled(log.ensureDurable(result.message.id));
      else await log.append(copyMessage(result.message));
      return result;
    },

    async listMessages(chatId, listOptions) {
      use();
      const messages = state.listMessages(chatId, listOptions);
      // Never show a message before it is on disk: after a crash its id could return with other text.
      const newest = messages[messages.length - 1];
      if (newest) await settled(messageLogs.get(chatId)?.ensureDurable(newest.id) ?? null);
      return messages;
    },

    async markRead(chatId, side, messageId) {
      use();
      const result = state.markRead(chatId, side, messageId);
      if (!result) return null;
      if (result.changed) await chats.update(toStored(result.chat));
      return result.chat;
    },

    async closeChat(chatId) {
      use();
      const result = state.closeChat(chatId, Date.now());
      if (!result) return null;
      if (result.changed) await chats.update(toStored(result.chat));
      return result.chat;
    },

    close() {
      closing ??= (async () => {
        // A write can start another (a segment waits for the one before it), hence the loop.
        while (pending.size > 0) await Promise.allSettled([...pending]);
      })();
      return closing;
    },
  };
}

function validate(options: LowdbStoreOptions): { dir: string; fsync: boolean; segmentSize: number } {
  const { dir = './ahchat-data', fsync = false, segmentSize = 1000 } = options;
  if (typeof dir !== 'string' || dir === '') {
    throw new TypeError(`lowdbStore: options.dir must be a non-empty string, got ${JSON.stringify(dir)}`);
  }
  if (typeof fsync !== 'boolean') {
    throw new TypeError(`lowdbStore: options.fsync must be a boolean, got ${JSON.stringify(fsync)}`);
  }
  if (typeof segmentSize !== 'number' || !Number.isInteger(segmentSize) || segmentSize < 1) {
    throw new RangeError(`lowdbStore: options.segmentSize must be a positive integer, got ${JSON.stringify(segmentSize)}`);
  }
  return { dir: resolve(dir), fsync, segmentSize };
}

function syncDirectorySync(path: string): void {
  if (process.platform === 'win32') return;
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
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
  return isObject(v) && isId(v.id) && typeof v.name === 'string' && typeof v.tokenHash === 'string' && isTime(v.createdAt);
}

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
    (v.closedAt === undefined || isTime(v.closedAt))
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
    (v.clientId === undefined || typeof v.clientId === 'string')
  );
}
