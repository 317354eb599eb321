/**
 * The crash test (issue 5, point 4) against the real standalone server process: buyers and the
 * seller send with clientIds, the server is killed mid-stream (SIGKILL) or stopped (SIGTERM), comes
 * back on the same data directory, clients sign in again and resend what was not confirmed. Then
 * every confirmed message is there exactly once, nothing is doubled, and ids per chat run 1..n.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Frame } from '../../lib/wire/index.js';
import { lowdbStore } from '../../lib/store/lowdb-store.js';
import type { Side } from '../../lib/store/store.js';
import { TestClient } from '../helpers/client.js';
import { type ServerProcess, startServerProcess } from '../helpers/server-process.js';
import { tmpDir } from '../helpers/tmp-dir.js';

const SELLER = { id: 10, token: 'iofh3498hwe' };
/** Within the standalone server's default budget of 20 messages per socket. */
const PER_SOCKET = 15;

interface Planned {
  from: Side;
  /** Index of the sending buyer, or of the seller's socket (tab). */
  sender: number;
  chatId: number;
  clientId: string;
  text: string;
}

interface Confirmed {
  id: number;
  date: number;
  chatId: number;
  text: string;
}

/** One person's socket that sends planned messages and records their confirmations. */
class Sender {
  readonly confirmed = new Map<string, Confirmed>();
  readonly errors: Frame[] = [];
  private readonly mine: Set<string>;
  private waiting: (() => void) | null = null;
  /** While streaming: the index of the next planned message to send. */
  private next = 0;
  private streaming = false;

  constructor(
    readonly client: TestClient,
    readonly plan: Planned[],
    private readonly onConfirm: () => void = () => {},
  ) {
    this.mine = new Set(plan.map((p) => p.clientId));
    client.socket.on('error', () => {});
    client.socket.on('message', (raw) => {
      const frame = JSON.parse(String(raw)) as Frame<any>;
      if (frame.command !== 'message') return;
      if (frame.error) return void this.errors.push(frame);
      const { clientId, my, id, date, chatId, text } = frame.data;
      // A seller's other tabs also get its messages with my: true; only this socket's count here.
      if (!my || !this.mine.has(clientId) || this.confirmed.has(clientId)) return;
      this.confirmed.set(clientId, { id, date, chatId, text });
      this.onConfirm();
      if (this.streaming) this.sendNext();
      if (this.unconfirmed().length === 0) this.waiting?.();
    });
  }

  unconfirmed(): Planned[] {
    return this.plan.filter((p) => !this.confirmed.has(p.clientId));
  }

  send(list: Planned[]): void {
    for (const p of list) this.client.send('message', { text: p.text, clientDate: Date.now(), chatId: p.chatId, clientId: p.clientId });
  }

  /** Sends the plan `window` messages at a time: one more each time one is confirmed, until stop(). */
  stream(window: number): void {
    this.streaming = true;
    for (let i = 0; i < window; i++) this.sendNext();
  }

  stop(): void {
    this.streaming = false;
  }

  private sendNext(): void {
    if (this.next < this.plan.length) this.send([this.plan[this.next++]!]);
  }

  /** Resolves when every planned message is confirmed (or fails when the socket closes first). */
  allConfirmed(): Promise<void> {
    if (this.unconfirmed().length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      void this.client.closed.then(({ code }) => reject(new Error(`socket closed (${code}) with ${this.unconfirmed().length} unconfirmed`)));
    });
  }
}

const processes: ServerProcess[] = [];
const clients: TestClient[] = [];
const removals: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(processes.splice(0).map((p) => p.kill('SIGKILL')));
  for (const remove of removals.splice(0)) await remove();
});

async function dataDir(): Promise<string> {
  const dir = await tmpDir('ahchat-crash-');
  removals.push(dir.remove);
  return dir.path;
}

async function startServer(dir: string): Promise<ServerProcess> {
  const server = await startServerProcess({ AHCHAT_DB: dir });
  processes.push(server);
  return server;
}

async function connect(port: number): Promise<TestClient> {
  const client = await TestClient.connect(`ws://127.0.0.1:${port}/`);
  clients.push(client);
  return client;
}

async function signIn(port: number, data: Record<string, unknown>): Promise<{ client: TestClient; auth: Frame<any> }> {
  const client = await connect(port);
  const auth = await client.request('auth', { ...data, protocol: 2 });
  if (auth.error) throw new Error(`auth ${JSON.stringify(data)} failed: ${auth.error}`);
  return { client, auth };
}

interface Workload {
  buyers: { token: string; chatId: number }[];
  plan: Planned[];
}

/** Signs up `buyers` buyers and plans PER_SOCKET messages per buyer and per seller tab, spread over the chats. */
async function setUp(port: number, buyerCount: number, sellerTabs: number): Promise<Workload> {
  const buyers = [];
  for (let i = 0; i < buyerCount; i++) {
    const { client, auth } = await signIn(port, { name: `Buyer ${i}`, sellerId: SELLER.id });
    buyers.push({ token: auth.data.token as string, chatId: auth.data.chatId as number });
    client.close();
  }
  const plan: Planned[] = [];
  buyers.forEach(({ chatId }, i) => {
    for (let k = 0; k < PER_SOCKET; k++) plan.push({ from: 'buyer', sender: i, chatId, clientId: `b${i}-${k}`, text: `buyer ${i} message ${k}` });
  });
  for (let j = 0; j < sellerTabs; j++) {
    for (let k = 0; k < PER_SOCKET; k++) {
      const chatId = buyers[(j * PER_SOCKET + k) % buyerCount]!.chatId;
      plan.push({ from: 'seller', sender: j, chatId, clientId: `s${j}-${k}`, text: `seller tab ${j} message ${k}` });
    }
  }
  return { buyers, plan };
}

/** Every buyer and seller tab signed in (buyers with their tokens), each with its share of the plan. */
async function senders(port: number, work: Workload, sellerTabs: number, onConfirm?: () => void): Promise<Sender[]> {
  const all: Sender[] = [];
  for (const [i, buyer] of work.buyers.entries()) {
    const { client } = await signIn(port, { token: buyer.token, sellerId: SELLER.id });
    all.push(new Sender(client, work.plan.filter((p) => p.from === 'buyer' && p.sender === i), onConfirm));
  }
  for (let j = 0; j < sellerTabs; j++) {
    const { client } = await signIn(port, { id: SELLER.id, token: SELLER.token });
    all.push(new Sender(client, work.plan.filter((p) => p.from === 'seller' && p.sender === j), onConfirm));
  }
  return all;
}

const key = (from: Side, clientId: string) => `${from}:${clientId}`;

interface StoredMessage {
  id: number;
  chatId: number;
  text: string;
  from: Side;
  clientId?: string;
}

/**
 * Every message of every chat as the server now has it, read through the protocol: the seller's
 * history (all messages, clientIds of the seller's) plus each buyer's (clientIds of the buyer's).
 */
async function readAll(port: number, work: Workload): Promise<Map<number, StoredMessage[]>> {
  const { client: seller } = await signIn(port, { id: SELLER.id, token: SELLER.token });
  const chats = new Map<number, StoredMessage[]>();
  for (const buyer of work.buyers) {
    const page = await seller.request('history', { chatId: buyer.chatId, limit: 200 });
    expect(page.data.more).toBe(false);
    const messages: StoredMessage[] = page.data.messages.map((m: any) => ({
      id: m.id, chatId: m.chatId, text: m.text, from: m.my ? 'seller' : 'buyer', clientId: m.clientId,
    }));
    const { client } = await signIn(port, { token: buyer.token, sellerId: SELLER.id });
    const own = await client.request('history', { chatId: buyer.chatId, limit: 200 });
    client.close();
    const buyerIds = new Map<number, string>(own.data.messages.filter((m: any) => m.my).map((m: any) => [m.id, m.clientId]));
    for (const m of messages) if (m.from === 'buyer') m.clientId = buyerIds.get(m.id);
    chats.set(buyer.chatId, messages);
  }
  seller.close();
  return chats;
}

/** Ids 1..n in every chat, every (side, clientId) at most once; returns them by key. */
function checkInvariants(chats: Map<number, StoredMessage[]>): { byKey: Map<string, StoredMessage>; duplicates: number } {
  const byKey = new Map<string, StoredMessage>();
  let duplicates = 0;
  for (const [chatId, messages] of chats) {
    expect(messages.map((m) => m.id), `ids of chat ${chatId}`).toEqual(messages.map((_, i) => i + 1));
    for (const m of messages) {
      expect(m.clientId, `clientId of ${chatId}/${m.id}`).toBeDefined();
      const k = key(m.from, m.clientId!);
      if (byKey.has(k)) duplicates++;
      byKey.set(k, m);
    }
  }
  return { byKey, duplicates };
}

function confirmedOf(all: Sender[]): Map<string, Confirmed> {
  const confirmed = new Map<string, Confirmed>();
  for (const s of all) {
    const side = s.plan[0]!.from;
    for (const [clientId, c] of s.confirmed) confirmed.set(key(side, clientId), c);
  }
  return confirmed;
}

/** Every confirmation is in the store with the id and text it was confirmed with. */
function expectAllConfirmedStored(confirmed: Map<string, Confirmed>, stored: Map<string, StoredMessage>): void {
  const missing = [...confirmed].filter(([k, c]) => {
    const s = stored.get(k);
    return !s || s.id !== c.id || s.chatId !== c.chatId || s.text !== c.text;
  });
  expect(missing, 'confirmed messages missing or changed after the restart').toEqual([]);
}

/** After a restart: everyone signs in again, resends what was unconfirmed (same clientIds), and waits for it. */
async function resendUnconfirmed(port: number, work: Workload, sellerTabs: number, before: Sender[], found: Map<string, StoredMessage>) {
  const again = await senders(port, work, sellerTabs);
  let resent = 0;
  for (const [i, sender] of again.entries()) {
    const unconfirmed = before[i]!.unconfirmed();
    // Confirmed ones are not resent: mark them so allConfirmed() waits for the rest only.
    for (const [clientId, c] of before[i]!.confirmed) sender.confirmed.set(clientId, c);
    sender.send(unconfirmed);
    resent += unconfirmed.length;
  }
  await Promise.all(again.map((s) => s.allConfirmed()));
  expect(again.flatMap((s) => s.errors)).toEqual([]);
  // A resend of a message the server had stored (but not confirmed) gets the stored one back.
  for (const sender of again) {
    const side = sender.plan[0]!.from;
    for (const [clientId, c] of sender.confirmed) {
      const earlier = found.get(key(side, clientId));
      if (earlier) expect(c.id, `resend of ${clientId}`).toBe(earlier.id);
    }
  }
  for (const s of again) s.client.close();
  return { resent, confirmed: confirmedOf(again) };
}

/** The data directory loads in a fresh lowdbStore with exactly what the server served, and holds no token. */
async function expectFilesLoad(dir: string, work: Workload, chats: Map<number, StoredMessage[]>): Promise<void> {
  const store = lowdbStore({ dir });
  try {
    for (const { chatId } of work.buyers) {
      const messages = await store.listMessages(chatId, { limit: 1000 });
      expect(messages.map((m) => [m.id, m.from, m.text, m.clientId])).toEqual(chats.get(chatId)!.map((m) => [m.id, m.from, m.text, m.clientId]));
    }
  } finally {
    await store.close();
  }
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json'));
  expect(files.length).toBeGreaterThan(0);
  const everything = files.map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
  for (const { token } of work.buyers) expect(everything.includes(token), 'a buyer token in the data files').toBe(false);
}

describe('crash (SIGKILL mid-stream) and restart', () => {
  it('keeps every confirmed message exactly once, doubles nothing on resend, and keeps ids 1..n per chat', async () => {
    const BUYERS = 20;
    const SELLER_TABS = 4;
    const dir = await dataDir();
    const first = await startServer(dir);
    const work = await setUp(first.port, BUYERS, SELLER_TABS);
    const sent = work.plan.length;

    // Each socket keeps WINDOW messages in flight (one more per confirmation). The moment 40% are
    // confirmed, every socket stops sending and the server is killed. So the kill is always
    // mid-stream, however fast the server is: it can have received at most
    // senders × WINDOW + killAt - 1 messages, fewer than were planned; up to senders × WINDOW are
    // in flight when it dies.
    const WINDOW = 4;
    let confirmations = 0;
    const killAt = Math.floor(sent * 0.4);
    expect((BUYERS + SELLER_TABS) * WINDOW + killAt - 1).toBeLessThan(sent);
    const before: Sender[] = await senders(first.port, work, SELLER_TABS, () => {
      if (++confirmations !== killAt) return;
      for (const s of before) s.stop();
      first.child.kill('SIGKILL');
    });
    for (const s of before) s.stream(WINDOW);
    expect(await first.exited).toBe('SIGKILL');
    await Promise.all(before.map((s) => s.client.closed));
    expect(before.flatMap((s) => s.errors)).toEqual([]);
    const confirmedBeforeKill = confirmedOf(before);
    expect(confirmedBeforeKill.size).toBeGreaterThanOrEqual(killAt);
    expect(confirmedBeforeKill.size, 'the kill came after everything was confirmed: not mid-stream').toBeLessThan(sent);

    // Restart on the same files: they load, and every confirmed message is there.
    const second = await startServer(dir);
    const afterRestart = checkInvariants(await readAll(second.port, work));
    expect(afterRestart.duplicates).toBe(0);
    expectAllConfirmedStored(confirmedBeforeKill, afterRestart.byKey);
    const storedUnconfirmed = [...afterRestart.byKey.keys()].filter((k) => !confirmedBeforeKill.has(k)).length;

    const { resent, confirmed: confirmedAfterResend } = await resendUnconfirmed(second.port, work, SELLER_TABS, before, afterRestart.byKey);
    const final = await readAll(second.port, work);
    const end = checkInvariants(final);
    expect(end.duplicates).toBe(0);
    expect(end.byKey.size).toBe(sent);
    expectAllConfirmedStored(confirmedBeforeKill, end.byKey);
    expectAllConfirmedStored(confirmedAfterResend, end.byKey);

    expect(await second.kill('SIGTERM')).toBe(0);
    await expectFilesLoad(dir, work, final);

    console.log(
      `crash test (SIGKILL): ${BUYERS} buyers + ${SELLER_TABS} seller tabs; sent ${sent}; confirmed before the kill ${confirmedBeforeKill.size}; ` +
        `found after restart ${afterRestart.byKey.size} (${storedUnconfirmed} stored but unconfirmed); resent ${resent}; ` +
        `after resend ${end.byKey.size} stored, duplicates ${end.duplicates}`,
    );
  });
});

describe('SIGTERM', () => {
  it('finishes messages in flight, exits 0, and loses nothing that was confirmed (the rest is resent once)', async () => {
    const BUYERS = 10;
    const SELLER_TABS = 2;
    const dir = await dataDir();
    const first = await startServer(dir);
    const work = await setUp(first.port, BUYERS, SELLER_TABS);
    const sent = work.plan.length;

    // Half is sent first; at its first confirmation comes SIGTERM, and the other half right after it,
    // so frames arrive while the server is finishing the first half and closing.
    let confirmations = 0;
    const half = (s: Sender) => Math.ceil(s.plan.length / 2);
    const before: Sender[] = await senders(first.port, work, SELLER_TABS, () => {
      if (++confirmations !== 1) return;
      first.child.kill('SIGTERM');
      for (const s of before) s.send(s.plan.slice(half(s)));
    });
    for (const s of before) s.send(s.plan.slice(0, half(s)));
    expect(await first.exited).toBe(0);
    const closes = await Promise.all(before.map((s) => s.client.closed));
    expect(closes.map((c) => c.code)).toEqual(closes.map(() => 1001));
    expect(before.flatMap((s) => s.errors)).toEqual([]);
    expect(first.output()).not.toMatch(/failed|error/i);
    const confirmedBeforeStop = confirmedOf(before);

    const second = await startServer(dir);
    const afterRestart = checkInvariants(await readAll(second.port, work));
    expect(afterRestart.duplicates).toBe(0);
    expectAllConfirmedStored(confirmedBeforeStop, afterRestart.byKey);
    // A graceful stop confirms what it stores: frames that came too late were not taken at all.
    const storedUnconfirmed = [...afterRestart.byKey.keys()].filter((k) => !confirmedBeforeStop.has(k)).length;
    expect(storedUnconfirmed).toBe(0);

    const { resent } = await resendUnconfirmed(second.port, work, SELLER_TABS, before, afterRestart.byKey);
    const end = checkInvariants(await readAll(second.port, work));
    expect(end.duplicates).toBe(0);
    expect(end.byKey.size).toBe(sent);
    expectAllConfirmedStored(confirmedBeforeStop, end.byKey);
    expect(await second.kill('SIGTERM')).toBe(0);

    console.log(
      `crash test (SIGTERM): sent ${sent}; confirmed before exit ${confirmedBeforeStop.size}; stored but unconfirmed ${storedUnconfirmed}; ` +
        `found after restart ${afterRestart.byKey.size}; resent ${resent}; after resend ${end.byKey.size}, duplicates ${end.duplicates}`,
    );
  });
});
