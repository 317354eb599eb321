/**
 * The composed store (state + persistence) with a recording persistence: what it commits, in which
 * order, and what a failed commit leaves. The semantics are lowdbStore's: a failed commit rejects the
 * write, and the change stays in memory, queued, shown to nobody (a new message or chat) until a later
 * commit makes it durable; a resend then gets it back as a duplicate. Also the whole Store contract
 * with a persistence whose commits resolve a turn later, as a journal's do.
 */
import { describe, expect, it } from 'vitest';
import type { Change } from '../../lib/store/change.js';
import { composedStore } from '../../lib/store/composed-store.js';
import type { Persistence } from '../../lib/store/persistence.js';
import { storeContract } from './contract.js';
import { inboxContract } from './inbox-contract.js';

interface Commit {
  changes: readonly Change[];
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Records each commit and holds it until the test resolves or rejects it (or answers at once, with `auto`). */
function recording(auto?: 'now' | 'next turn') {
  const commits: Commit[] = [];
  const persistence: Persistence = {
    load() {},
    commit(changes) {
      if (auto === 'now') {
        commits.push({ changes, resolve() {}, reject() {} });
        return;
      }
      return new Promise<void>((resolve, reject) => {
        commits.push({ changes, resolve, reject });
        if (auto === 'next turn') setImmediate(resolve);
      });
    },
    async close() {},
  };
  return { persistence, commits, kinds: () => commits.map((c) => c.changes.map((change) => change.kind)) };
}

/** Resolves once the persistence has received `n` commits. */
async function commitsReach(commits: Commit[], n: number): Promise<void> {
  while (commits.length < n) await new Promise((resolve) => setImmediate(resolve));
}

storeContract('composedStore (commits durable a turn later)', async () => {
  const store = composedStore('test', recording('next turn').persistence);
  return { store, cleanup: () => store.close() };
});

inboxContract('composedStore (commits durable a turn later)', async () => {
  const store = composedStore('test', recording('next turn').persistence);
  return { store, cleanup: () => store.close() };
});

describe('composedStore', () => {
  it('commits the change records of each write, in order, and nothing for a write that changed nothing', async () => {
    const { persistence, commits, kinds } = recording('now');
    const store = composedStore('test', persistence);
    const buyer = await store.createBuyer({ name: 'Ann', tokenHash: 'h' });
    const { chat } = await store.openChat({ buyerId: buyer.id, sellerId: '10', chatter: 'Ann' });
    await store.openChat({ buyerId: buyer.id, sellerId: '10', chatter: 'Ann' });
    const { message } = await store.appendMessage({ chatId: chat.id, from: 'buyer', text: 'hi', clientDate: 1, clientId: 'c1' });
    await store.appendMessage({ chatId: chat.id, from: 'buyer', text: 'hi', clientDate: 1, clientId: 'c1' });
    await store.markRead(chat.id, 'seller', 1);
    await store.markRead(chat.id, 'seller', 1);
    await store.updateBuyer!(buyer.id, { name: 'Anne' });
    const reply = await store.saveReply!('10', { text: 'Thanks!' });
    await store.deleteReply!('10', 999);
    await store.closeChat(chat.id);
    expect(kinds()).toEqual([['buyer'], ['chat'], ['message'], ['chat'], ['buyer', 'chat'], ['replies'], ['chat']]);
    expect(commits[0]!.changes).toEqual([{ kind: 'buyer', buyer, created: true }]);
    expect(commits[1]!.changes).toEqual([{ kind: 'chat', chat, created: true }]);
    expect(commits[2]!.changes).toEqual([{ kind: 'message', message }]);
    expect(commits[3]!.changes).toEqual([{ kind: 'chat', chat: expect.objectContaining({ id: chat.id, readIds: { buyer: 0, seller: 1 } }), created: false }]);
    expect(commits[4]!.changes).toEqual([
      { kind: 'buyer', buyer: { ...buyer, name: 'Anne' }, created: false },
      { kind: 'chat', chat: expect.objectContaining({ id: chat.id, chatter: 'Anne' }), created: false },
    ]);
    expect(commits[5]!.changes).toEqual([{ kind: 'replies', sellerId: '10', replies: [reply] }]);
    expect(commits[6]!.changes).toEqual([{ kind: 'chat', chat: expect.objectContaining({ closedAt: expect.any(Number) }), created: false }]);
    // The records are copies: changing one changes nothing stored.
    (commits[2]!.changes[0] as { message: { text: string } }).message.text = 'changed';
    expect((await store.listMessages(chat.id, { limit: 1 }))[0]!.text).toBe('hi');
  });

  it('resolves a write only once its commit did, and reads answer at once with what is durable', async () => {
    const { persistence, commits } = recording();
    const store = composedStore('test', persistence);
    const buyer = store.createBuyer({ name: 'Ann', tokenHash: 'h' });
    commits[0]!.resolve();
    const chatOpened = store.openChat({ buyerId: (await buyer).id, sellerId: '10', chatter: 'Ann' });
    await commitsReach(commits, 2);
    // The chat is not durable yet: nobody is shown it.
    expect(await store.getChat(1)).toBeNull();
    expect(await store.listChats('10', { limit: 10 })).toEqual([]);
    commits[1]!.resolve();
    const { chat } = await chatOpened;
    let confirmed = false;
    const append = store.appendMessage({ chatId: chat.id, from: 'buyer', text: 'in flight', clientDate: 1 }).then((r) => ((confirmed = true), r));
    await commitsReach(commits, 3);
    expect(await store.listMessages(chat.id, { limit: 10 })).toEqual([]);
    expect(await store.getChat(chat.id)).toMatchObject({ lastMessageId: 0, unread: { seller: 0 } });
    expect(confirmed).toBe(false);
    commits[2]!.resolve();
    const { message } = await append;
    expect(await store.listMessages(chat.id, { limit: 10 })).toEqual([message]);
    expect(await store.getChat(chat.id)).toMatchObject({ lastMessageId: 1, unread: { seller: 1 } });
  });

  it('a failed commit rejects the write; its change is shown to nobody until a later commit makes it durable', async () => {
    const { persistence, commits } = recording();
    const store = composedStore('test', persistence);
    const ann = store.createBuyer({ name: 'Ann', tokenHash: 'h-ann' });
    commits[0]!.resolve();
    const opened = store.openChat({ buyerId: (await ann).id, sellerId: '10', chatter: 'Ann' });
    await commitsReach(commits, 2);
    commits[1]!.resolve();
    const { chat } = await opened;

    const failed = store.appendMessage({ chatId: chat.id, from: 'buyer', text: 'lost?', clientDate: 1, clientId: 'c1' });
    await commitsReach(commits, 3);
    commits[2]!.reject(new Error('ENOSPC'));
    await expect(failed).rejects.toThrow('ENOSPC');
    // Not half-changed: the chat is as before, on every read.
    expect(await store.listMessages(chat.id, { limit: 10 })).toEqual([]);
    expect(await store.getChat(chat.id)).toMatchObject({ lastMessageId: 0, unread: { seller: 0, buyer: 0 } });
    expect((await store.listChats('10', { limit: 10 }))[0]).toMatchObject({ id: chat.id, lastMessageId: 0 });

    // The resend asks the persistence again (an empty commit); once that is durable, so is everything before it.
    const resend = store.appendMessage({ chatId: chat.id, from: 'buyer', text: 'lost?', clientDate: 1, clientId: 'c1' });
    await commitsReach(commits, 4);
    expect(commits[3]!.changes).toEqual([]);
    commits[3]!.resolve();
    expect(await resend).toMatchObject({ duplicate: true, message: { id: 1, text: 'lost?' } });
    expect((await store.listMessages(chat.id, { limit: 10 })).map((m) => m.text)).toEqual(['lost?']);
    expect(await store.getChat(chat.id)).toMatchObject({ lastMessageId: 1, unread: { seller: 1 } });

    // A failed chat creation: hidden, until a later commit (any) is durable; then reported created once.
    const bob = store.createBuyer({ name: 'Bob', tokenHash: 'h-bob' });
    commits[4]!.resolve();
    const bobId = (await bob).id;
    const bobChat = store.openChat({ buyerId: bobId, sellerId: '10', chatter: 'Bob' });
    await commitsReach(commits, 6);
    commits[5]!.reject(new Error('EIO'));
    await expect(bobChat).rejects.toThrow('EIO');
    expect(await store.getChat(chat.id + 1)).toBeNull();
    expect((await store.listChats('10', { limit: 10 })).map((c) => c.id)).toEqual([chat.id]);
    const read = store.markRead(chat.id, 'seller', 1);
    await commitsReach(commits, 7);
    commits[6]!.resolve();
    await read;
    expect(await store.getChat(chat.id + 1)).toMatchObject({ id: chat.id + 1, chatter: 'Bob' });
    expect(await store.openChat({ buyerId: bobId, sellerId: '10', chatter: 'Bob' })).toMatchObject({ created: true, chat: { id: chat.id + 1 } });
    expect(await store.openChat({ buyerId: bobId, sellerId: '10', chatter: 'Bob' })).toMatchObject({ created: false, chat: { id: chat.id + 1 } });
    expect(commits).toHaveLength(7);
  });

  it('a write after close() rejects, naming the store', async () => {
    const store = composedStore('someStore', recording('now').persistence);
    await store.close();
    await expect(store.createBuyer({ name: 'Ann', tokenHash: 'h' })).rejects.toThrow('someStore: the store is closed');
  });
});
