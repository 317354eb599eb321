/**
 * Load: rebuilds the state from a data directory, synchronously (a damaged file makes lowdbStore()
 * itself throw, before any client is served). The segment files first (strictly), then the journals
 * in order. Replaying a record that a segment already holds changes nothing (messages and buyers by
 * id, chats overwritten by their newer record), so a crash during a compaction loses nothing. A torn
 * last line of the last journal (a crash in the middle of a write) is dropped; the journal cuts it
 * off before its next write.
 */
import { dirname, join } from 'node:path';
import type { StoreState } from '../store-state.js';
import type { Buyer, Message } from '../store.js';
import { listJournals, readJournal } from './journal.js';
import { isBuyer, isMessage, isObject, isStoredChat, readReplies, toChat, type StoredChat } from './records.js';
import { listSegmentFiles, readSegments } from './segment-log.js';
import { Segments, type DataDirs } from './segments.js';

export interface Loaded {
  segments: Segments;
  /** The journal files found, oldest first: the last one is continued, older ones go with the next compaction. */
  journals: { no: number; path: string }[];
  /** Bytes of the last journal that hold complete records (0 when there is none). */
  validSize: number;
}

export function loadDirectory(dirs: DataDirs, state: StoreState, options: { fsync: boolean; segmentSize: number }): Loaded {
  const segmentFiles = (path: string, pattern: RegExp) => {
    const byKey = listSegmentFiles(path, pattern);
    return new Map([...byKey].map(([key, files]) => [key, files.map(({ no, name }) => ({ no, path: join(path, name) }))]));
  };
  const sizes = (loaded: { records: unknown[] }[]) => loaded.map((s) => s.records.length);

  // ---- segments ----
  const buyerSegments = readSegments(segmentFiles(dirs.buyers, /^()(\d+)\.json$/).get('') ?? [], isBuyer, 'buyer');
  const buyers: Buyer[] = buyerSegments.flatMap((s) => s.records);
  const chatSegments = readSegments(segmentFiles(dirs.chats, /^()(\d+)\.json$/).get('') ?? [], isStoredChat, 'chat');
  const chats: StoredChat[] = chatSegments.flatMap((s) => s.records);
  const segments = new Segments({ dirs, state, ...options, buyers: sizes(buyerSegments), chats: sizes(chatSegments) });

  /** Messages by chat while loading (handed to the state at the end). */
  const messages = new Map<number, Message[]>();
  const messageFiles = segmentFiles(dirs.messages, /^(\d+)-(\d+)\.json$/);
  for (const stored of chats) {
    const files = messageFiles.get(String(stored.id)) ?? [];
    messageFiles.delete(String(stored.id));
    const loaded = readSegments(files, (m): m is Message => isMessage(m) && m.chatId === stored.id, `chat ${stored.id} message`);
    if (loaded.length === 0) continue;
    messages.set(stored.id, loaded.flatMap((s) => s.records));
    segments.messages(stored.id, sizes(loaded));
  }
  for (const [chatId, files] of messageFiles) {
    throw new Error(`lowdbStore: ${files[0]!.path} holds messages of chat ${chatId}, which is not in ${dirs.chats}`);
  }

  // ---- journals, oldest first ----
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
      segments.mark(segments.messages(message.chatId));
    } else if (isObject(record) && 'c' in record) {
      const chat = record.c;
      if (!isStoredChat(chat)) throw new Error(`invalid chat record: ${JSON.stringify(chat)}`);
      if (chat.id <= chats.length) {
        chats[chat.id - 1] = chat;
        segments.mark(segments.chats, chat.id);
      } else if (chat.id === chats.length + 1) {
        chats.push(chat);
        segments.mark(segments.chats);
      } else {
        throw new Error(`expected chat id ${chats.length + 1} or lower, found ${chat.id}`);
      }
    } else if (isObject(record) && 'b' in record) {
      const buyer = record.b;
      if (!isBuyer(buyer)) throw new Error(`invalid buyer record: ${JSON.stringify(buyer)}`);
      if (buyer.id <= buyers.length) {
        // A changed buyer (name, e-mail): the newer record wins, as for chats.
        buyers[buyer.id - 1] = buyer;
        segments.mark(segments.buyers, buyer.id);
        return;
      }
      if (buyer.id !== buyers.length + 1) throw new Error(`expected buyer id ${buyers.length + 1}, found ${buyer.id}`);
      buyers.push(buyer);
      segments.mark(segments.buyers);
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
  // Quick replies: a few per seller, rewritten whole on each change (no journal needed).
  state.restoreReplies(readReplies(repliesPath(dirs)));
  return { segments, journals, validSize };
}

/** `<dir>/replies.json`. */
export const repliesPath = (dirs: DataDirs): string => join(dirname(dirs.journal), 'replies.json');
