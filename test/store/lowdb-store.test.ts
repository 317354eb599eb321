import { appendFile, cp, mkdir, open as openFile, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JSONFile } from 'lowdb/node';
import { lowdbStore, type LowdbStore, type LowdbStoreOptions } from '../../lib/store/lowdb-store.js';
import type { Store } from '../../lib/store/store.js';
import { tmpDir } from '../helpers/tmp-dir.js';
import { storeContract } from './contract.js';
import { inboxContract } from './inbox-contract.js';

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
inboxContract('lowdbStore', async () => {
  const dir = await tmpDir();
  const store = lowdbStore({ dir: dir.path, segmentSize: 3, journalLimit: 300 });
  return { store, cleanup: async () => (await store.close(), await dir.remove()) };
});

describe('lowdbStore: the inbox survives a restart', () => {
  it('keeps quick replies, a reopened chat and a marker moved back by markUnread', async () => {
    const dir = await tmpDir();
    try {
      let store = lowdbStore({ dir: dir.path, fsync: true });
      const buyer = await store.createBuyer({ name: 'Ann', tokenHash: 'h' });
      const { chat } = await store.openChat({ buyerId: buyer.id, sellerId: '10', chatter: 'Ann' });
      const q = await store.appendMessage({ chatId: chat.id, from: 'buyer', text: 'q', clientDate: 0 });
      await store.markRead(chat.id, 'seller', q.message.id);
      await store.closeChat(chat.id);
      await store.reopenChat!(chat.id);
      await store.markUnread!(chat.id, 'seller');
      const reply = await store.saveReply!('10', { text: 'Thanks!' });
      await store.close();
      store = lowdbStore({ dir: dir.path, fsync: true });
      const back = await store.getChat(chat.id);
      expect(back?.closedAt).toBeUndefined();
      expect(back?.unread.seller).toBe(1);
      expect(await store.listReplies!('10')).toEqual([reply]);
      expect((await store.saveReply!('10', { text: 'second' }))!.id).toBeGreaterThan(reply!.id);
      await store.close();
    } finally {
      await dir.remove();
    }
  });
});
// Tiny segments, so the contract's concurrent appends cross segment boundaries, and a tiny journal, so
// compactions (rotate, write segments, delete the old journal) run all along the suite, between and
// during its writes; once with fsync.
contractOn('lowdbStore (segmentSize 3, journalLimit 300)', { segmentSize: 3, journalLimit: 300 });
contractOn('lowdbStore (segmentSize 3, journalLimit 1, fsync)', { segmentSize: 3, journalLimit: 1, fsync: true });

describe('lowdbStore files', () => {
  let dir: string;
  let removeDir: () => Promise<void>;
  const opened: Store[] = [];
  const removals: (() => Promise<void>)[] = [];
  const open = (options: Omit<LowdbStoreOptions, 'dir'> = {}, at = dir): LowdbStore => {
    const store = lowdbStore({ ...options, dir: at });
    opened.push(store);
    return store;
  };
  const journalFiles = async (at = dir) => (await readdir(join(at, 'journal'))).sort();
  /**
   * A copy of the data directory as it is now, while the store writing it stays open: what a crash
   * (SIGKILL) at this moment would leave for the next start.
   */
  async function crashCopy(): Promise<string> {
    const copy = await tmpDir();
    removals.push(copy.remove);
    await cp(dir, copy.path, { recursive: true });
    return copy.path;
  }

  beforeEach(async () => {
    ({ path: dir, remove: removeDir } = await tmpDir());
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
    await removeDir();
    for (const remove of removals.splice(0)) await remove();
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

    // What a crash now would leave: a store on a copy of the directory reads only what is on disk.
    const reader = open({}, await crashCopy());
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
      const onDisk = lowdbStore({ dir: await crashCopy() });
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

  describe('the journal', () => {
    it('is replayed: a copy of the directory taken while the store runs (a crash) has every confirmed change', async () => {
      const first = open();
      const { ann, bob, annChat, bobChat } = await seed(first);
      // Nothing was compacted yet: every change is in the journal only.
      expect(await readdir(join(dir, 'messages'))).toEqual([]);
      expect(await readdir(join(dir, 'chats'))).toEqual([]);
      expect(await readdir(join(dir, 'buyers'))).toEqual([]);
      expect(await journalFiles()).toEqual(['0.jsonl']);

      const copy = await crashCopy();
      const second = open({}, copy);
      expect(await second.findBuyerByTokenHash('hash-ann')).toEqual(ann);
      expect(await second.findBuyerByTokenHash('hash-bob')).toEqual(bob);
      expect(await second.listChats('10', { limit: 10, includeClosed: true })).toEqual(await first.listChats('10', { limit: 10, includeClosed: true }));
      expect(await second.getChat(annChat.id)).toMatchObject({ lastMessageId: 3, readIds: { buyer: 0, seller: 1 }, unread: { buyer: 1, seller: 1 } });
      expect(await second.getChat(bobChat.id)).toEqual(await first.getChat(bobChat.id));
      expect(await second.listMessages(annChat.id, { limit: 10 })).toEqual(await first.listMessages(annChat.id, { limit: 10 }));
      // An instance that only read leaves the files alone.
      await second.close();
      expect(await journalFiles(copy)).toEqual(['0.jsonl']);
      expect(await readdir(join(copy, 'messages'))).toEqual([]);
    });

    it('drops a torn last line (a crash in the middle of a write), and cuts it off before the next write', async () => {
      const { annChat } = await seed(open());
      const crashed = await crashCopy();
      const path = join(crashed, 'journal', '0.jsonl');
      await appendFile(path, `{"m":{"id":4,"chatId":${annChat.id},"from":"buyer","text":"never confi`);

      const second = open({}, crashed);
      expect((await second.listMessages(annChat.id, { limit: 10 })).map((m) => m.text)).toEqual(['hello', 'hi Ann', 'price?']);
      const { message } = await second.appendMessage({ chatId: annChat.id, from: 'seller', text: 'after the crash', clientDate: 5 });
      expect(message.id).toBe(4);
      const text = await readFile(path, 'utf8');
      expect(text.endsWith('\n')).toBe(true);
      expect(text).not.toContain('never confi');
      await second.close();
      const third = open({}, crashed);
      expect((await third.listMessages(annChat.id, { limit: 10 })).map((m) => m.text)).toEqual(['hello', 'hi Ann', 'price?', 'after the crash']);
    });

    describe('refuses to start on a damaged journal, naming the file and the line', () => {
      let path: string;
      let lines: string[];
      let annChatId: number;
      /** What a crash after the seed leaves: the journal only. */
      let dir: string;
      beforeEach(async () => {
        annChatId = (await seed(open())).annChat.id;
        dir = await crashCopy();
        path = join(dir, 'journal', '0.jsonl');
        lines = (await readFile(path, 'utf8')).split('\n').slice(0, -1);
      });
      const damage = (i: number, line: string) => writeFile(path, [...lines.slice(0, i), line, ...lines.slice(i + 1)].map((l) => `${l}\n`).join(''));

      it('a line that is not JSON', async () => {
        await damage(2, '{"c": {"id": 1, "sell');
        expect(() => lowdbStore({ dir })).toThrow(`lowdbStore: ${path} line 3: `);
      });

      it('a bad last line that did end with a newline (not a torn write)', async () => {
        await damage(lines.length - 1, 'garbage');
        expect(() => lowdbStore({ dir })).toThrow(`lowdbStore: ${path} line ${lines.length}: `);
      });

      it('a record that is not one of the journal\'s', async () => {
        await damage(1, '{"x": 1}');
        expect(() => lowdbStore({ dir })).toThrow(`lowdbStore: ${path} line 2: not a journal record`);
      });

      it('a message record of the wrong shape', async () => {
        const i = lines.findIndex((l) => l.startsWith('{"m"'));
        await damage(i, `{"m": {"id": 1, "chatId": ${annChatId}, "from": "nobody"}}`);
        expect(() => lowdbStore({ dir })).toThrow(`lowdbStore: ${path} line ${i + 1}: invalid message record`);
      });

      it('a gap in the message ids', async () => {
        const i = lines.findIndex((l) => l.startsWith('{"m"'));
        await damage(i, lines[i]!.replace('"id":1,', '"id":2,'));
        expect(() => lowdbStore({ dir })).toThrow(`lowdbStore: ${path} line ${i + 1}: expected chat ${annChatId} message id 1, found 2`);
      });

      it('a torn line in a journal that is not the last one', async () => {
        await appendFile(path, '{"m":{"id":');
        await writeFile(join(dir, 'journal', '1.jsonl'), '');
        expect(() => lowdbStore({ dir })).toThrow(`lowdbStore: ${path} line ${lines.length + 1}: torn record in a journal that is not the last one`);
      });
    });

    it('shares one file write among concurrent appends to many chats (group commit)', async () => {
      const store = open({ fsync: true });
      const chatIds: number[] = [];
      for (let i = 0; i < 50; i++) {
        const buyer = await store.createBuyer({ name: `b${i}`, tokenHash: `h${i}` });
        chatIds.push((await store.openChat({ buyerId: buyer.id, sellerId: '10', chatter: `b${i}` })).chat.id);
      }
      // The journal writes through a fs.promises FileHandle: count the calls on its prototype.
      const probe = await openFile(join(dir, 'probe'), 'w');
      const handleMethods = Object.getPrototypeOf(probe) as { write: () => unknown; datasync: () => unknown };
      await probe.close();
      const write = vi.spyOn(handleMethods, 'write');
      const datasync = vi.spyOn(handleMethods, 'datasync');
      try {
        const results = await Promise.all(chatIds.map((chatId) => store.appendMessage({ chatId, from: 'buyer', text: `to ${chatId}`, clientDate: 1 })));
        expect(results.map((r) => r.message.id)).toEqual(chatIds.map(() => 1));
        expect(write.mock.calls.length).toBeGreaterThan(0);
        expect(write.mock.calls.length).toBeLessThanOrEqual(2);
        expect(datasync.mock.calls.length).toBeLessThanOrEqual(2);
      } finally {
        write.mockRestore();
        datasync.mockRestore();
      }
      const reader = open({}, await crashCopy());
      for (const chatId of chatIds) expect((await reader.listMessages(chatId, { limit: 10 })).map((m) => m.text)).toEqual([`to ${chatId}`]);
    });

    it('is compacted once it passes journalLimit: rotated, changed segments written, old journals deleted', async () => {
      const store = open({ journalLimit: 1, segmentSize: 5 });
      const { annChat, bobChat } = await seed(store);
      for (let i = 0; i < 10; i++) await store.appendMessage({ chatId: annChat.id, from: 'buyer', text: `x${i}`, clientDate: i });
      // Waits for the compaction the last write started, then compacts what is left.
      await store.compact();
      expect(await journalFiles()).toEqual([]);
      expect((await readdir(join(dir, 'messages'))).sort()).toEqual([`${annChat.id}-0.json`, `${annChat.id}-1.json`, `${annChat.id}-2.json`, `${bobChat.id}-0.json`]);

      // Each compaction moved new records to the next journal file: this one, and the ones before it.
      await store.markRead(annChat.id, 'buyer', 13);
      const [current] = await journalFiles();
      expect(Number.parseInt(current!, 10)).toBeGreaterThanOrEqual(2);

      const reader = open({}, await crashCopy());
      expect((await reader.listMessages(annChat.id, { limit: 100 })).map((m) => m.id)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
      expect(await reader.getChat(annChat.id)).toEqual(await store.getChat(annChat.id));
      expect(await reader.getChat(bobChat.id)).toEqual(await store.getChat(bobChat.id));
    });

    it('keeps the journal when a compaction fails, and the next one writes what it missed', async () => {
      const store = open();
      const { annChat } = await seed(store);
      const segmentWrite = vi.spyOn(JSONFile.prototype, 'write').mockRejectedValueOnce(new Error('disk full'));
      try {
        await expect(store.compact()).rejects.toThrow('disk full');
      } finally {
        segmentWrite.mockRestore();
      }
      expect(await journalFiles()).toEqual(['0.jsonl']);
      await store.appendMessage({ chatId: annChat.id, from: 'seller', text: 'meanwhile', clientDate: 7 });
      expect(await journalFiles()).toEqual(['0.jsonl', '1.jsonl']);
      expect((await open({}, await crashCopy()).listMessages(annChat.id, { limit: 10 })).map((m) => m.text)).toEqual(['hello', 'hi Ann', 'price?', 'meanwhile']);

      await store.compact();
      expect(await journalFiles()).toEqual([]);
      const reader = open({}, await crashCopy());
      expect(await reader.listChats('10', { limit: 10, includeClosed: true })).toEqual(await store.listChats('10', { limit: 10, includeClosed: true }));
      expect((await reader.listMessages(annChat.id, { limit: 10 })).map((m) => m.text)).toEqual(['hello', 'hi Ann', 'price?', 'meanwhile']);
    });

    it('replays a journal whose records are already in the segments (a crash before it was deleted) to the same data', async () => {
      const store = open();
      const { annChat, bobChat } = await seed(store);
      const beforeCompaction = await crashCopy();
      await store.compact();
      await store.markRead(annChat.id, 'buyer', 2);
      await store.appendMessage({ chatId: annChat.id, from: 'seller', text: 'after', clientDate: 6 });
      // As if the compaction had died after writing the segments, before deleting journal 0.
      await cp(join(beforeCompaction, 'journal', '0.jsonl'), join(dir, 'journal', '0.jsonl'));
      expect(await journalFiles()).toEqual(['0.jsonl', '1.jsonl']);

      const reader = open({}, await crashCopy());
      expect(await reader.listChats('10', { limit: 10, includeClosed: true })).toEqual(await store.listChats('10', { limit: 10, includeClosed: true }));
      expect(await reader.getChat(annChat.id)).toMatchObject({ lastMessageId: 4, readIds: { buyer: 2, seller: 1 } });
      expect(await reader.listMessages(annChat.id, { limit: 10 })).toEqual(await store.listMessages(annChat.id, { limit: 10 }));
      expect(await reader.listMessages(bobChat.id, { limit: 10 })).toEqual(await store.listMessages(bobChat.id, { limit: 10 }));
    });
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
    // Segment files are written by compaction (at journalLimit, at close, or when asked).
    await store.compact();

    const json = async (path: string) => JSON.parse(await readFile(join(dir, path), 'utf8')) as { id: number }[];
    expect((await readdir(join(dir, 'messages'))).sort()).toEqual([`${chatId}-0.json`, `${chatId}-1.json`, `${chatId}-2.json`]);
    expect((await json(`messages/${chatId}-0.json`)).map((m) => m.id)).toEqual([1, 2, 3, 4, 5]);
    expect((await json(`messages/${chatId}-1.json`)).map((m) => m.id)).toEqual([6, 7, 8, 9, 10]);
    expect((await json(`messages/${chatId}-2.json`)).map((m) => m.id)).toEqual([11, 12]);
    expect((await readdir(join(dir, 'chats'))).sort()).toEqual(['0.json', '1.json']);
    expect((await readdir(join(dir, 'buyers'))).sort()).toEqual(['0.json', '1.json']);
    expect(await journalFiles()).toEqual([]);

    // A read marker on a chat in the second chats file, and a reload that reads all segments.
    await store.markRead(chatIds[6]!, 'seller', 0);
    await store.closeChat(chatIds[6]!);
    await store.appendMessage({ chatId, from: 'seller', text: 'm13', clientDate: 13 });
    await store.compact();
    expect((await json('chats/1.json')).find((c) => c.id === chatIds[6])).toMatchObject({ closedAt: expect.any(Number) });
    expect((await json(`messages/${chatId}-2.json`)).map((m) => m.id)).toEqual([11, 12, 13]);
    const reloaded = open({ segmentSize: 5 }, await crashCopy());
    expect((await reloaded.listMessages(chatId, { limit: 100 })).map((m) => m.text)).toEqual(Array.from({ length: 13 }, (_, i) => `m${i + 1}`));
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
    expect(await journalFiles()).toEqual([]);
    expect(await open({ fsync: true }).listMessages(annChat.id, { limit: 100 })).toHaveLength(13);
  });

  it('creates a missing data directory', async () => {
    const nested = join(dir, 'a', 'b');
    const store = lowdbStore({ dir: nested });
    opened.push(store);
    await store.createBuyer({ name: 'Ann', tokenHash: 'h' });
    expect(await readdir(nested)).toEqual(expect.arrayContaining(['buyers', 'chats', 'messages', 'journal']));
  });

  it('ignores temp files of writes that never completed', async () => {
    const { annChat } = await seed(open());
    await writeFile(join(dir, 'messages', `.${annChat.id}-0.json.tmp`), '[{"id": 1, "tru');
    await writeFile(join(dir, 'messages', `.${annChat.id}-1.json.tmp`), '');
    expect(await open({}, await crashCopy()).listMessages(annChat.id, { limit: 10 })).toHaveLength(3);
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
    expect(() => lowdbStore({ dir, journalLimit: 0 })).toThrow(new RangeError('lowdbStore: options.journalLimit must be a positive integer (bytes), got 0'));
  });

  it('warns once in production that it is single-process', async () => {
    const other = await crashCopy();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    vi.stubEnv('NODE_ENV', 'production');
    try {
      open();
      open({}, other);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]![0]).toMatch(/single process/);
    } finally {
      vi.unstubAllEnvs();
      warn.mockRestore();
    }
  });
});
