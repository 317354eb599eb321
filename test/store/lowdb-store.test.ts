import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { lowdbStore, type LowdbStoreOptions } from '../../lib/store/lowdb-store.js';
import type { Store } from '../../lib/store/store.js';
import { tmpDir } from '../helpers/tmp-dir.js';
import { storeContract } from './contract.js';

function contractOn(name: string, options: Omit<LowdbStoreOptions, 'dir'>): void {
  storeContract(name, async () => {
    const dir = await tmpDir();
    const store = lowdbStore({ ...options, dir: dir.path });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await dir.remove();
      },
    };
  });
}

contractOn('lowdbStore', {});
// Tiny segments, so the contract's concurrent appends cross segment boundaries; and the fsync adapter.
contractOn('lowdbStore (segmentSize 3, fsync)', { segmentSize: 3, fsync: true });

describe('lowdbStore files', () => {
  let dir: string;
  let removeDir: () => Promise<void>;
  const opened: Store[] = [];
  const open = (options: Omit<LowdbStoreOptions, 'dir'> = {}): Store => {
    const store = lowdbStore({ ...options, dir });
    opened.push(store);
    return store;
  };

  beforeEach(async () => {
    ({ path: dir, remove: removeDir } = await tmpDir());
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
    await removeDir();
  });

  async function seed(store: Store) {
    const ann = await store.createBuyer({ name: 'Ann', tokenHash: 'hash-ann' });
    const bob = await store.createBuyer({ name: 'Bob', tokenHash: 'hash-bob' });
    const annChat = (await store.openChat({ buyerId: ann.id, sellerId: '10', chatter: 'Ann' })).chat;
    const bobChat = (await store.openChat({ buyerId: bob.id, sellerId: '10', chatter: 'Bob' })).chat;
    await store.appendMessage({ chatId: annChat.id, from: 'buyer', text: 'hello', clientDate: 1, clientId: 'a1' });
    await store.appendMessage({ chatId: annChat.id, from: 'seller', text: 'hi Ann', clientDate: 2, clientId: 's1' });
    await store.appendMessage({ chatId: annChat.id, from: 'buyer', text: 'price?', clientDate: 3 });
    await store.markRead(annChat.id, 'seller', 1);
    await store.appendMessage({ chatId: bobChat.id, from: 'buyer', text: 'bye', clientDate: 4 });
    await store.closeChat(bobChat.id);
    return { ann, bob, annChat, bobChat };
  }

  it('keeps buyers, chats, messages, read markers and closed chats across a restart', async () => {
    const first = open();
    const { ann, bob, annChat, bobChat } = await seed(first);
    const chatsBefore = await first.listChats('10', { limit: 10, includeClosed: true });
    const messagesBefore = await first.listMessages(annChat.id, { limit: 10 });
    await first.close();

    const second = open();
    expect(await second.findBuyerByTokenHash('hash-ann')).toEqual(ann);
    expect(await second.findBuyerByTokenHash('hash-bob')).toEqual(bob);
    expect(await second.listChats('10', { limit: 10, includeClosed: true })).toEqual(chatsBefore);
    expect(await second.getChat(annChat.id)).toMatchObject({ lastMessageId: 3, readIds: { buyer: 0, seller: 1 }, unread: { buyer: 1, seller: 1 } });
    expect((await second.getChat(bobChat.id))?.closedAt).toEqual(expect.any(Number));
    expect(await second.listMessages(annChat.id, { limit: 10 })).toEqual(messagesBefore);
  });

  it('after a restart: dedupes an old clientId, continues ids, and finds the open chat', async () => {
    const first = open();
    const { ann, bob, annChat, bobChat } = await seed(first);
    await first.close();

    const second = open();
    const again = await second.appendMessage({ chatId: annChat.id, from: 'buyer', text: 'hello', clientDate: 9, clientId: 'a1' });
    expect(again).toMatchObject({ duplicate: true, message: { id: 1, text: 'hello', clientDate: 1 } });
    expect((await second.appendMessage({ chatId: annChat.id, from: 'buyer', text: 'next', clientDate: 9 })).message.id).toBe(4);
    expect(await second.openChat({ buyerId: ann.id, sellerId: '10', chatter: 'Ann' })).toMatchObject({ created: false, chat: { id: annChat.id } });
    const reopened = await second.openChat({ buyerId: bob.id, sellerId: '10', chatter: 'Bob' });
    expect(reopened.created).toBe(true);
    expect(reopened.chat.id).toBe(bobChat.id + 1);
    expect((await second.createBuyer({ name: 'Cid', tokenHash: 'hash-cid' })).id).toBe(bob.id + 1);
    await expect(second.createBuyer({ name: 'Ann again', tokenHash: 'hash-ann' })).rejects.toThrow();
  });

  it('has a message on disk as soon as its append resolved, without close()', async () => {
    const writer = open();
    const buyer = await writer.createBuyer({ name: 'Ann', tokenHash: 'h' });
    const { chat } = await writer.openChat({ buyerId: buyer.id, sellerId: '10', chatter: 'Ann' });
    const { message } = await writer.appendMessage({ chatId: chat.id, from: 'buyer', text: 'confirmed', clientDate: 1 });
    const read = await writer.markRead(chat.id, 'seller', 1);

    // A second instance reads only what is on disk; the first one stays open.
    const reader = open();
    expect(await reader.listMessages(chat.id, { limit: 10 })).toEqual([message]);
    expect(await reader.getChat(chat.id)).toEqual(read);
  });

  it('lists a message only once it is on disk, even while appends are still writing', async () => {
    const writer = open();
    const buyer = await writer.createBuyer({ name: 'Ann', tokenHash: 'h' });
    const { chat } = await writer.openChat({ buyerId: buyer.id, sellerId: '10', chatter: 'Ann' });
    const appends = Array.from({ length: 30 }, (_, i) => writer.appendMessage({ chatId: chat.id, from: 'buyer', text: `m${i}`, clientDate: i }));
    let seen = 0;
    while (seen < 30) {
      const listed = await writer.listMessages(chat.id, { limit: 100 });
      // What was listed is on disk: a second instance, reading only the files, has all of it.
      const onDisk = lowdbStore({ dir });
      expect((await onDisk.listMessages(chat.id, { limit: 100 })).length).toBeGreaterThanOrEqual(listed.length);
      await onDisk.close();
      seen = listed.length;
    }
    await Promise.all(appends);
  });

  it('close() waits for writes in flight', async () => {
    const store = open();
    const buyer = await store.createBuyer({ name: 'Ann', tokenHash: 'h' });
    const { chat } = await store.openChat({ buyerId: buyer.id, sellerId: '10', chatter: 'Ann' });
    const appends = Array.from({ length: 20 }, (_, i) => store.appendMessage({ chatId: chat.id, from: 'buyer', text: `m${i}`, clientDate: i }));
    await store.close();
    await Promise.all(appends);
    expect((await open().listMessages(chat.id, { limit: 100 })).map((m) => m.text)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
  });

  it('rolls over to a new file every segmentSize records', async () => {
    const store = open({ segmentSize: 5 });
    const chatIds: number[] = [];
    for (let i = 0; i < 7; i++) {
      const buyer = await store.createBuyer({ name: `b${i}`, tokenHash: `h${i}` });
      chatIds.push((await store.openChat({ buyerId: buyer.id, sellerId: '10', chatter: `b${i}` })).chat.id);
    }
    const chatId = chatIds[0]!;
    await Promise.all(Array.from({ length: 12 }, (_, i) => store.appendMessage({ chatId, from: 'buyer', text: `m${i + 1}`, clientDate: i })));

    const json = async (path: string) => JSON.parse(await readFile(join(dir, path), 'utf8')) as { id: number }[];
    expect((await readdir(join(dir, 'messages'))).sort()).toEqual([`${chatId}-0.json`, `${chatId}-1.json`, `${chatId}-2.json`]);
    expect((await json(`messages/${chatId}-0.json`)).map((m) => m.id)).toEqual([1, 2, 3, 4, 5]);
    expect((await json(`messages/${chatId}-1.json`)).map((m) => m.id)).toEqual([6, 7, 8, 9, 10]);
    expect((await json(`messages/${chatId}-2.json`)).map((m) => m.id)).toEqual([11, 12]);
    expect((await readdir(join(dir, 'chats'))).sort()).toEqual(['0.json', '1.json']);
    expect((await readdir(join(dir, 'buyers'))).sort()).toEqual(['0.json', '1.json']);

    // A read marker on a chat in the second chats file, and a reload that reads all segments.
    await store.markRead(chatIds[6]!, 'seller', 0);
    await store.closeChat(chatIds[6]!);
    const reloaded = open({ segmentSize: 5 });
    expect((await reloaded.listMessages(chatId, { limit: 100 })).map((m) => m.text)).toEqual(Array.from({ length: 12 }, (_, i) => `m${i + 1}`));
    expect((await reloaded.getChat(chatIds[6]!))?.closedAt).toEqual(expect.any(Number));
    expect(await reloaded.listChats('10', { limit: 100 })).toHaveLength(6);
  });

  it('reads data written with another segmentSize', async () => {
    const first = open({ segmentSize: 2 });
    const { annChat } = await seed(first);
    await first.close();
    const second = open({ segmentSize: 10 });
    await second.appendMessage({ chatId: annChat.id, from: 'seller', text: 'more', clientDate: 5 });
    expect((await second.listMessages(annChat.id, { limit: 10 })).map((m) => m.id)).toEqual([1, 2, 3, 4]);
  });

  it('works with fsync: true and leaves no temp files', async () => {
    const store = open({ fsync: true });
    const { annChat } = await seed(store);
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.appendMessage({ chatId: annChat.id, from: 'seller', text: `f${i}`, clientDate: i })));
    await store.close();
    expect((await readdir(join(dir, 'messages'))).filter((name) => name.startsWith('.'))).toEqual([]);
    expect(await open({ fsync: true }).listMessages(annChat.id, { limit: 100 })).toHaveLength(13);
  });

  it('creates a missing data directory', async () => {
    const nested = join(dir, 'a', 'b');
    const store = lowdbStore({ dir: nested });
    opened.push(store);
    await store.createBuyer({ name: 'Ann', tokenHash: 'h' });
    expect(await readdir(nested)).toEqual(expect.arrayContaining(['buyers', 'chats', 'messages']));
  });

  it('ignores temp files of writes that never completed', async () => {
    const { annChat } = await seed(open());
    await writeFile(join(dir, 'messages', `.${annChat.id}-0.json.tmp`), '[{"id": 1, "tru');
    await writeFile(join(dir, 'messages', `.${annChat.id}-1.json.tmp`), '');
    expect(await open().listMessages(annChat.id, { limit: 10 })).toHaveLength(3);
  });

  describe('refuses to start on damaged data, naming the file', () => {
    let annChatId: number;
    beforeEach(async () => {
      const store = lowdbStore({ dir });
      annChatId = (await seed(store)).annChat.id;
      await store.close();
    });
    const damage = async (file: string, text: string): Promise<string> => {
      await writeFile(join(dir, file), text);
      return join(dir, file);
    };

    it('a file that is not JSON (a torn write)', async () => {
      const path = await damage(`messages/${annChatId}-0.json`, '[{"id": 1, "chatId": 1, "fr');
      expect(() => lowdbStore({ dir })).toThrow(path);
      expect(() => lowdbStore({ dir })).toThrow(/cannot read .*JSON/);
    });

    it('an empty file', async () => {
      const path = await damage('chats/0.json', '');
      expect(() => lowdbStore({ dir })).toThrow(path);
    });

    it('JSON that is not a list of records', async () => {
      const path = await damage('buyers/0.json', '{"buyers": []}');
      expect(() => lowdbStore({ dir })).toThrow(`lowdbStore: ${path} is not a JSON array of buyer`);
    });

    it('a record of the wrong shape', async () => {
      const path = await damage(`messages/${annChatId}-0.json`, JSON.stringify([{ id: 1, chatId: annChatId, from: 'nobody', text: 1 }]));
      expect(() => lowdbStore({ dir })).toThrow(`lowdbStore: ${path} holds an invalid chat ${annChatId} message record`);
    });

    it('a gap in the ids', async () => {
      const messages = JSON.parse(await readFile(join(dir, `messages/${annChatId}-0.json`), 'utf8')) as unknown[];
      const path = await damage(`messages/${annChatId}-0.json`, JSON.stringify([messages[0], messages[2]]));
      expect(() => lowdbStore({ dir })).toThrow(`lowdbStore: ${path}: expected chat ${annChatId} message id 2, found 3`);
    });

    it('a missing segment', async () => {
      await writeFile(join(dir, `messages/${annChatId}-2.json`), '[]');
      expect(() => lowdbStore({ dir })).toThrow(`segment 1 is missing (found ${join(dir, `messages/${annChatId}-2.json`)} instead)`);
    });

    it('messages of a chat that does not exist', async () => {
      await rm(join(dir, 'chats'), { recursive: true });
      await mkdir(join(dir, 'chats'));
      expect(() => lowdbStore({ dir })).toThrow(`${join(dir, 'messages', `${annChatId}-0.json`)} holds messages of chat ${annChatId}`);
    });
  });

  it('validates its options', () => {
    expect(() => lowdbStore({ dir: '' })).toThrow(new TypeError('lowdbStore: options.dir must be a non-empty string, got ""'));
    expect(() => lowdbStore({ dir, segmentSize: 0 })).toThrow(new RangeError('lowdbStore: options.segmentSize must be a positive integer, got 0'));
    expect(() => lowdbStore({ dir, segmentSize: 2.5 })).toThrow(RangeError);
    expect(() => lowdbStore({ dir, fsync: 'yes' as unknown as boolean })).toThrow(new TypeError('lowdbStore: options.fsync must be a boolean, got "yes"'));
  });

  it('warns once in production that it is single-process', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    vi.stubEnv('NODE_ENV', 'production');
    try {
      open();
      open();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]![0]).toMatch(/single process/);
    } finally {
      vi.unstubAllEnvs();
      warn.mockRestore();
    }
  });
});
