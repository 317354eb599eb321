/**
 * lowdbStore while its journal cannot be written (a simulated ENOSPC / EIO: the journal's file
 * writes fail on demand, after writing part of the batch as a full disk does): writes reject with the
 * error, reads answer at once with what is on disk, and through the plugin a sign-in keeps working
 * while a message answers INTERNAL_ERROR. When the disk is back, the resend is stored once.
 * (test/store/lowdb-directory.test.ts has the same with a real, full tmpfs where mounting is allowed.)
 */
import type { FileHandle } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { lowdbStore, type LowdbStore } from '../../lib/store/lowdb-store.js';
import { startChat, type RunningChat } from '../helpers/chat-server.js';
import { TestClient } from '../helpers/client.js';
import { tmpDir } from '../helpers/tmp-dir.js';

/** The fault: while `error` is set, each journal write puts half its bytes on disk, then fails. */
const fault = vi.hoisted(() => ({ error: null as NodeJS.ErrnoException | null, attempts: 0 }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const open = async (...args: Parameters<typeof real.open>): Promise<FileHandle> => {
    const handle = await real.open(...args);
    if (!String(args[0]).endsWith('.jsonl')) return handle;
    journalFds.add(handle.fd);
    const write = handle.write.bind(handle) as (buffer: Buffer, offset: number, length: number, position: number) => Promise<{ bytesWritten: number; buffer: Buffer }>;
    let torn = false;
    Object.assign(handle, {
      write: async (buffer: Buffer, offset: number, length: number, position: number) => {
        if (!fault.error) return write(buffer, offset, length, position);
        fault.attempts++;
        if (!torn && length > 1) {
          torn = true;
          return write(buffer, offset, Math.floor(length / 2), position);
        }
        torn = false;
        throw fault.error;
      },
    });
    return handle;
  };
  return { ...real, open, default: { ...real, open } };
});

// The same fault for the journal's synchronous small-batch write (fs.writeSync on a journal's fd).
const journalFds = vi.hoisted(() => new Set<number>());
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  let torn = false;
  const writeSync = ((fd: number, buffer: Buffer, offset: number, length: number, position: number) => {
    if (!fault.error || !journalFds.has(fd)) return real.writeSync(fd, buffer, offset, length, position);
    fault.attempts++;
    if (!torn && length > 1) {
      torn = true;
      return real.writeSync(fd, buffer, offset, Math.floor(length / 2), position);
    }
    torn = false;
    throw fault.error;
  }) as typeof real.writeSync;
  return { ...real, writeSync, default: { ...real, writeSync } };
});

const enospc = (): NodeJS.ErrnoException => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });

let dir: string;
let removeDir: () => Promise<void>;
beforeEach(async () => {
  fault.error = null;
  ({ path: dir, remove: removeDir } = await tmpDir('ahchat-faults-'));
});
afterEach(async () => {
  fault.error = null;
  await removeDir();
});

describe('lowdbStore while the journal cannot be written', () => {
  let store: LowdbStore;
  beforeEach(() => {
    store = lowdbStore({ dir });
  });
  afterEach(async () => {
    fault.error = null;
    await store.close();
  });

  it('rejects writes with the error, reads at once what is on disk, and stores the resend once the disk is back', async () => {
    const ann = await store.createBuyer({ name: 'Ann', tokenHash: 'h-ann' });
    const bob = await store.createBuyer({ name: 'Bob', tokenHash: 'h-bob' });
    const { chat } = await store.openChat({ buyerId: ann.id, sellerId: '10', chatter: 'Ann' });
    const { message: first } = await store.appendMessage({ chatId: chat.id, from: 'buyer', text: 'on disk', clientDate: 1, clientId: 'c1' });
    const durable = await store.getChat(chat.id);
    expect(durable).toMatchObject({ lastMessageId: 1, unread: { seller: 1, buyer: 0 } });

    fault.error = enospc();
    await expect(store.appendMessage({ chatId: chat.id, from: 'buyer', text: 'not on disk', clientDate: 2, clientId: 'c2' })).rejects.toMatchObject({ code: 'ENOSPC' });
    await expect(store.appendMessage({ chatId: chat.id, from: 'seller', text: 'nor this', clientDate: 3, clientId: 's1' })).rejects.toMatchObject({ code: 'ENOSPC' });
    await expect(store.openChat({ buyerId: bob.id, sellerId: '10', chatter: 'Bob' })).rejects.toMatchObject({ code: 'ENOSPC' });
    await expect(store.createBuyer({ name: 'Cid', tokenHash: 'h-cid' })).rejects.toMatchObject({ code: 'ENOSPC' });
    // The resend of a failed message fails as well: it is not on disk.
    await expect(store.appendMessage({ chatId: chat.id, from: 'buyer', text: 'not on disk', clientDate: 2, clientId: 'c2' })).rejects.toMatchObject({ code: 'ENOSPC' });

    // Reads: only what is on disk, answered without a write (no attempt is made for them).
    const attempts = fault.attempts;
    expect(await store.listMessages(chat.id, { limit: 10 })).toEqual([first]);
    expect(await store.listMessages(chat.id, { limit: 10, after: 1 })).toEqual([]);
    expect(await store.getChat(chat.id)).toEqual(durable);
    expect(await store.listChats('10', { limit: 10 })).toEqual([durable]);
    // Bob's chat exists in memory only: nobody sees it, and his sign-in (openChat) fails again.
    expect(await store.getChat(chat.id + 1)).toBeNull();
    expect(await store.findBuyerByTokenHash('h-ann')).toEqual(ann);
    expect(await store.openChat({ buyerId: ann.id, sellerId: '10', chatter: 'Ann' })).toMatchObject({ created: false, chat: durable });
    expect(fault.attempts).toBe(attempts);
    await expect(store.openChat({ buyerId: bob.id, sellerId: '10', chatter: 'Bob' })).rejects.toMatchObject({ code: 'ENOSPC' });

    // The disk is back: the resend is stored once, with the id the failed attempt took.
    fault.error = null;
    expect(await store.appendMessage({ chatId: chat.id, from: 'buyer', text: 'not on disk', clientDate: 2, clientId: 'c2' })).toMatchObject({
      duplicate: true,
      message: { id: 2, text: 'not on disk' },
    });
    expect((await store.listMessages(chat.id, { limit: 10 })).map((m) => [m.id, m.text])).toEqual([
      [1, 'on disk'],
      [2, 'not on disk'],
      [3, 'nor this'],
    ]);
    expect(await store.getChat(chat.id)).toMatchObject({ lastMessageId: 3, unread: { seller: 2, buyer: 1 } });
    // Bob's chat, on disk at last, is reported created once: nobody was told of it before.
    expect(await store.openChat({ buyerId: bob.id, sellerId: '10', chatter: 'Bob' })).toMatchObject({ created: true, chat: { id: chat.id + 1 } });
    expect(await store.openChat({ buyerId: bob.id, sellerId: '10', chatter: 'Bob' })).toMatchObject({ created: false, chat: { id: chat.id + 1 } });
    expect((await store.listChats('10', { limit: 10 })).map((c) => c.id).sort()).toEqual([chat.id, chat.id + 1]);

    // The torn halves of the failed writes were cut off: a restart loads exactly this.
    await store.close();
    store = lowdbStore({ dir });
    expect((await store.listMessages(chat.id, { limit: 10 })).map((m) => m.text)).toEqual(['on disk', 'not on disk', 'nor this']);
    expect(await store.findBuyerByTokenHash('h-cid')).toMatchObject({ name: 'Cid' });
  });

  it('a read answers at once while the write of what it would show is still in flight', async () => {
    const buyer = await store.createBuyer({ name: 'Ann', tokenHash: 'h' });
    const { chat } = await store.openChat({ buyerId: buyer.id, sellerId: '10', chatter: 'Ann' });
    const append = store.appendMessage({ chatId: chat.id, from: 'buyer', text: 'in flight', clientDate: 1 });
    // Same turn as the append: its journal line is not even handed to the file yet.
    expect(await store.listMessages(chat.id, { limit: 10 })).toEqual([]);
    expect(await store.getChat(chat.id)).toMatchObject({ lastMessageId: 0, unread: { seller: 0 } });
    const { message } = await append;
    expect(await store.listMessages(chat.id, { limit: 10 })).toEqual([message]);
  });
});

describe('the plugin on lowdbStore while the journal cannot be written', () => {
  let running: RunningChat;
  const clients: TestClient[] = [];
  beforeEach(async () => {
    running = await startChat({ store: lowdbStore({ dir }) });
  });
  afterEach(async () => {
    fault.error = null;
    for (const client of clients.splice(0)) client.close();
    await running.stop();
  });
  const connect = async () => {
    const client = await TestClient.connect(running.url);
    clients.push(client);
    return client;
  };

  it('a message answers INTERNAL_ERROR, the seller and a buyer still sign in with what was confirmed, and the resend is confirmed once later', async () => {
    const buyer = await connect();
    const auth = await buyer.request('auth', { protocol: 2, name: 'Ann', sellerId: 10 });
    const { chatId, token } = auth.data;
    const confirmed = await buyer.request('message', { text: 'confirmed', clientDate: 1, chatId, clientId: 'c1' });
    expect(confirmed.data).toMatchObject({ id: 1, my: true });

    fault.error = Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
    expect(await buyer.request('message', { text: 'failing', clientDate: 2, chatId, clientId: 'c2' })).toEqual({
      command: 'message',
      error: 'INTERNAL_ERROR',
      data: { clientId: 'c2' },
    });

    // Sign-ins only read: they answer, with what was confirmed.
    const seller = await connect();
    const sellerAuth = await seller.request('auth', { protocol: 2, id: 10, token: 'iofh3498hwe' });
    expect(sellerAuth.error).toBeUndefined();
    expect(sellerAuth.data.chats).toHaveLength(1);
    expect(sellerAuth.data.chats[0]).toMatchObject({ id: chatId, unread: 1 });
    expect(sellerAuth.data.chats[0].messages.map((m: { text: string }) => m.text)).toEqual(['confirmed']);
    const again = await connect();
    const buyerAuth = await again.request('auth', { protocol: 2, token, sellerId: 10 });
    expect(buyerAuth.data.chatId).toBe(chatId);
    expect(buyerAuth.data.chats[0].messages.map((m: { text: string }) => m.text)).toEqual(['confirmed']);
    expect((await seller.request('history', { chatId })).data.messages.map((m: { id: number }) => m.id)).toEqual([1]);
    // A new buyer needs a write: refused, as fast as the write fails.
    const newcomer = await connect();
    expect(await newcomer.request('auth', { protocol: 2, name: 'Bob', sellerId: 10 })).toEqual({ command: 'auth', error: 'INTERNAL_ERROR' });

    // Back: the resend is confirmed with id 2, and the seller, who never saw it, gets it pushed.
    fault.error = null;
    const pushed = seller.next('message');
    const resend = await buyer.request('message', { text: 'failing', clientDate: 2, chatId, clientId: 'c2' });
    expect(resend.data).toMatchObject({ id: 2, my: true, clientId: 'c2' });
    expect((await pushed).data).toMatchObject({ id: 2, chatId, my: false, text: 'failing' });
    expect((await seller.request('history', { chatId })).data.messages.map((m: { id: number }) => m.id)).toEqual([1, 2]);
  });
});
