/**
 * Property-based fuzzing of the wire protocol (issue 5, point 5): thousands of random and mutated
 * frames over real sockets, signed in and not. The server answers only with well-formed frames,
 * keeps every socket open, never shows a chat to the wrong side, and its store keeps its invariants.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ERROR_CODES } from '../../lib/wire/index.js';
import type { Store } from '../../lib/store/store.js';
import { type RunningChat, SELLERS, signInSeller, signUpBuyer, startChat } from '../helpers/chat-server.js';

/** A frame as sent: text (usually JSON, maybe broken) or binary. */
type FuzzFrame = { text: string } | { bytes: Uint8Array };

const RUNS = 400;
const MAX_FRAME = 60_000; // under maxPayload (64 KiB): a bigger frame closes the socket, by design

/** Why a frame from the server is not `{command: string, data?: object, error?: CODE}`, or null. */
function malformed(frame: unknown): string | null {
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) return 'not an object';
  const f = frame as Record<string, unknown>;
  const extra = Object.keys(f).filter((k) => k !== 'command' && k !== 'data' && k !== 'error');
  if (extra.length) return `unexpected keys ${extra.join(', ')}`;
  if (typeof f.command !== 'string') return 'command is not a string';
  if ('data' in f && (typeof f.data !== 'object' || f.data === null || Array.isArray(f.data))) return 'data is not an object';
  if ('error' in f && !(typeof f.error === 'string' && Object.hasOwn(ERROR_CODES, f.error))) return 'error is not one of ERROR_CODES';
  return null;
}

/** Chat ids a frame from the server tells its receiver about. */
function chatIdsIn(frame: any): number[] {
  const d = frame?.data;
  if (!d || typeof d !== 'object') return [];
  const ids: number[] = [];
  if (typeof d.chatId === 'number') ids.push(d.chatId);
  if (frame.command === 'chat' && typeof d.id === 'number') ids.push(d.id);
  for (const m of Array.isArray(d.messages) ? d.messages : []) ids.push(m.chatId);
  // Protocol 2 lists chats in an array, protocol 1 keys them by id: both the keys and the ids count.
  const chats = d.chats && typeof d.chats === 'object' ? d.chats : {};
  for (const key of Array.isArray(chats) ? [] : Object.keys(chats)) ids.push(Number(key));
  for (const c of Object.values(chats) as any[]) if (typeof c?.id === 'number') ids.push(c.id);
  return ids;
}

/** Whether the server answers this frame with exactly one `history` frame (how barriers count). */
function answeredWithHistory(frame: FuzzFrame): boolean {
  if (!('text' in frame)) return false;
  try {
    const value = JSON.parse(frame.text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) && value.command === 'history';
  } catch {
    return false;
  }
}

/** A raw socket that checks every frame it gets and can wait until the server has handled all it sent. */
class FuzzSocket {
  readonly problems: string[] = [];
  readonly chatIdsSeen = new Set<number>();
  /** How often each answer (error code, or "ok <command>") came back: shows the fuzz reaches the handlers. */
  static readonly tally = new Map<string, number>();
  closeCode: number | null = null;
  private historyReplies = 0;
  private historyExpected = 0;
  private wake: (() => void) | null = null;

  private constructor(
    readonly ws: WebSocket,
    readonly name: string,
  ) {
    ws.on('message', (data, isBinary) => {
      const text = String(data);
      if (isBinary) this.problems.push(`${name}: a binary frame from the server`);
      let frame: any;
      try {
        frame = JSON.parse(text);
      } catch {
        this.problems.push(`${name}: not JSON: ${text.slice(0, 200)}`);
        return;
      }
      const problem = malformed(frame);
      if (problem) this.problems.push(`${name}: ${problem}: ${text.slice(0, 300)}`);
      for (const id of chatIdsIn(frame)) this.chatIdsSeen.add(id);
      const outcome = frame?.error ?? `ok ${frame?.command}`;
      FuzzSocket.tally.set(outcome, (FuzzSocket.tally.get(outcome) ?? 0) + 1);
      if (frame?.command === 'history') this.historyReplies++;
      this.wake?.();
    });
    ws.on('error', () => {});
    ws.on('close', (code) => {
      this.closeCode = code;
      this.wake?.();
    });
  }

  static async open(url: string, name: string, auth?: Record<string, unknown>): Promise<FuzzSocket> {
    return (await FuzzSocket.signIn(url, name, auth)).socket;
  }

  /** Opens a socket and, given auth data, signs it in; returns the auth answer too. */
  static async signIn(url: string, name: string, auth?: Record<string, unknown>): Promise<{ socket: FuzzSocket; answer: any }> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const socket = new FuzzSocket(ws, name);
    if (!auth) return { socket, answer: null };
    const reply = new Promise<any>((resolve) => ws.once('message', (data) => resolve(JSON.parse(String(data)))));
    ws.send(JSON.stringify({ command: 'auth', data: auth }));
    const answer = await reply;
    if (answer.error) throw new Error(`${name}: auth failed with ${answer.error}`);
    return { socket, answer };
  }

  send(frame: FuzzFrame): void {
    if ('text' in frame) this.ws.send(frame.text);
    else this.ws.send(frame.bytes, { binary: true });
    if (answeredWithHistory(frame)) this.historyExpected++;
  }

  /** Resolves once the server has answered everything sent before (its history answers are in order). */
  async barrier(): Promise<void> {
    this.send({ text: JSON.stringify({ command: 'history', data: { chatId: 1, limit: 1 } }) });
    const settled = () => this.historyReplies >= this.historyExpected || this.closeCode !== null;
    if (!settled()) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.wake = () => settled() && resolve();
        timer = setTimeout(resolve, 5000);
      });
      clearTimeout(timer);
      this.wake = null;
    }
    if (this.closeCode !== null) throw new Error(`${this.name} was closed by the server (${this.closeCode})`);
    if (this.historyReplies < this.historyExpected) throw new Error(`${this.name}: no answer within 5 s`);
  }

  close(): void {
    this.ws.close();
  }
}

// ---- what we send ----

function withOwnKey<T extends object>(target: T, key: string, value: unknown): T {
  // Plain assignment of '__proto__' would set the prototype; the attack is an own key in the JSON.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  return target;
}

function nested(depth: number, leaf: unknown, asObject: boolean): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = asObject ? { a: value } : [value];
  return value;
}

const protoKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__');
const hugeNumber = fc.constantFrom(
  Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, 2 ** 64, 1e308, -1e308, Number.MIN_VALUE, -0, 0, -1, 1.5, 2 ** 31, -(2 ** 53),
);
const weirdString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', '\u202e\u0301', '\ud800', '😀'.repeat(4000), 'a'.repeat(4001), '__proto__', 'constructor',
    '<script>alert(1)</script>', "'; DROP TABLE messages; --", '${process.exit()}', '\r\n\r\nHTTP/1.1 200 OK'),
);
const anything: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 3 },
  { arbitrary: hugeNumber, weight: 2 },
  { arbitrary: weirdString, weight: 2 },
  fc.tuple(fc.integer({ min: 1, max: 2000 }), fc.boolean()).map(([depth, asObject]) => nested(depth, 1, asObject)),
  fc.tuple(protoKey, fc.jsonValue({ maxDepth: 2 })).map(([key, value]) => withOwnKey({}, key, value)),
);

interface Known {
  chatIds: number[];
  tokens: string[];
}

function templates(known: Known): fc.Arbitrary<{ command: string; data: Record<string, unknown> }> {
  // The pool grows when a closed chat is replaced (see the test), so pick from it when generating.
  const liveChatId = fc.nat().map((i) => known.chatIds[i % known.chatIds.length]!);
  // Chat ids also as the strings a protocol-1 client holds (the keys of its `chats`).
  const chatId = fc.oneof({ arbitrary: liveChatId, weight: 6 }, { arbitrary: liveChatId.map(String), weight: 2 }, fc.integer({ min: -2, max: 50 }), anything);
  const sellerId = fc.constantFrom<unknown>(10, 20, '10', '20', 99, '99', 0, 'x');
  const token = fc.oneof(fc.constantFrom(...known.tokens, SELLERS['10']!.token, SELLERS['20']!.token), weirdString);
  const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
  const frame = (command: string, data: fc.Arbitrary<Record<string, unknown>>) => data.map((d) => ({ command, data: d }));
  return fc.oneof(
    { weight: 6, arbitrary: frame('message', fc.record({
      text: weirdString, clientDate: fc.oneof(fc.integer(), fc.double()), chatId, clientId: opt(fc.oneof(fc.constantFrom('c1', 'c2', 'c3'), fc.string({ maxLength: 70 }))), my: opt(fc.boolean()),
    })) },
    frame('history', fc.record({ chatId, before: opt(fc.oneof(fc.nat(30), anything)), limit: opt(fc.oneof(fc.nat(300), anything)) })),
    frame('typing', fc.record({ chatId })),
    frame('read', fc.record({ chatId, id: fc.oneof(fc.nat(30), anything) })),
    frame('close', fc.record({ chatId })),
    frame('auth', fc.record({ name: opt(weirdString), sellerId: opt(sellerId), since: opt(fc.oneof(fc.dictionary(fc.string({ maxLength: 4 }), fc.nat(20)), anything)) })),
    frame('auth', fc.record({ token, sellerId, protocol: opt(fc.oneof(fc.constantFrom(1, 2, 3), anything)) })),
    frame('auth', fc.record({ id: sellerId, token, protocol: opt(fc.oneof(fc.constantFrom(1, 2, 3), anything)) })),
  );
}

type Mutation = (frame: { command: string; data: Record<string, unknown> }) => unknown;
const FIELDS = ['text', 'clientDate', 'chatId', 'clientId', 'before', 'limit', 'id', 'token', 'name', 'sellerId', 'since', 'my', 'protocol', 'date'];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 12, arbitrary: fc.constant<Mutation>((f) => f) },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...FIELDS), anything).map(([key, value]): Mutation => (f) => ({ ...f, data: { ...f.data, [key]: value } })) },
  fc.nat().map((n): Mutation => (f) => {
    const data = { ...f.data };
    const keys = Object.keys(data);
    if (keys.length) delete data[keys[n % keys.length]!];
    return { ...f, data };
  }),
  fc.tuple(protoKey, anything).map(([key, value]): Mutation => (f) => ({ ...f, data: withOwnKey({ ...f.data }, key, value) })),
  fc.tuple(protoKey, anything).map(([key, value]): Mutation => (f) => withOwnKey({ ...f }, key, value)),
  anything.map((value): Mutation => (f) => ({ ...f, data: value })),
  fc.oneof(protoKey, weirdString, anything).map((command): Mutation => (f) => ({ ...f, command })),
  fc.constant<Mutation>((f) => [f]),
  fc.constant<Mutation>((f) => f.data),
);

type TextMutation = (text: string) => string;
const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<TextMutation>((s) => s) },
  fc.nat().map((n): TextMutation => (s) => s.slice(0, n % (s.length + 1))),
  fc.tuple(fc.nat(), fc.string({ unit: 'binary', minLength: 1, maxLength: 3 })).map(([n, insert]): TextMutation => (s) => {
    const at = n % (s.length + 1);
    return s.slice(0, at) + insert + s.slice(at);
  }),
);

function frames(known: Known): fc.Arbitrary<FuzzFrame> {
  const mutated = fc.tuple(templates(known), mutation, textMutation).map(([frame, mutate, mutateText]): FuzzFrame => {
    return { text: mutateText(JSON.stringify(mutate(frame)) ?? 'undefined') };
  });
  return fc
    .oneof(
      { weight: 20, arbitrary: mutated },
      { weight: 2, arbitrary: fc.jsonValue().map((v): FuzzFrame => ({ text: JSON.stringify(v) })) },
      fc.string({ unit: 'binary', maxLength: 200 }).map((text): FuzzFrame => ({ text })),
      fc.integer({ min: 1, max: 29_000 }).map((n): FuzzFrame => ({ text: '['.repeat(n) + ']'.repeat(n) })),
      fc.integer({ min: 1, max: 5_000 }).map((n): FuzzFrame => ({ text: `{"command":"message","data":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}` })),
      fc.uint8Array({ maxLength: 200 }).map((bytes): FuzzFrame => ({ bytes })),
      mutated.map((f): FuzzFrame => ({ bytes: Buffer.from('text' in f ? f.text : '') })),
    )
    .filter((f) => ('text' in f ? Buffer.byteLength(f.text) : f.bytes.length) <= MAX_FRAME);
}

// ---- the test ----

let running: RunningChat;
let known: Known;

/** A signed-in buyer under fuzz; when a seller's fuzz frame closes its chat, it signs in again (a new chat). */
interface FuzzBuyer {
  name: string;
  token: string;
  sellerId: number;
  socket: FuzzSocket;
  /** Every chat this buyer has had: the only ones it may ever hear of. */
  chats: Set<number>;
  retired: FuzzSocket[];
}
let buyers: FuzzBuyer[];
let sellers: { sellerId: string; socket: FuzzSocket }[];

/** buyerB and seller 20 speak protocol 1 (the original README's shapes), the others protocol 2. */
const protocolOf = (name: string) => (name === 'buyerB' || name === 'seller20' ? 1 : 2);

async function signInBuyer(name: string, token: string, sellerId: number): Promise<{ socket: FuzzSocket; chatId: number }> {
  const { socket, answer } = await FuzzSocket.signIn(running.url, name, { token, sellerId, protocol: protocolOf(name) });
  return { socket, chatId: answer.data.chatId as number };
}

/** Gives each buyer whose chat is now closed a fresh socket and chat, so messages keep reaching the store. */
async function replaceClosedChats(): Promise<void> {
  for (const buyer of buyers) {
    const current = Math.max(...buyer.chats);
    if ((await running.chat.store.getChat(current))?.closedAt === undefined) continue;
    buyer.retired.push(buyer.socket);
    buyer.socket.close();
    const { socket, chatId } = await signInBuyer(buyer.name, buyer.token, buyer.sellerId);
    buyer.socket = socket;
    buyer.chats.add(chatId);
    known.chatIds.push(chatId);
  }
}

beforeAll(async () => {
  running = await startChat({
    rateLimit: { frames: 1_000_000, intervalMs: 1000 },
    maxConnectionsPerIp: 10_000,
    // Its wrong seller tokens all come from 127.0.0.1, as the seller it checks afterwards does.
    sellerSignInLimit: { failures: 1_000_000, maxDelayMs: 1 },
  });
  buyers = [];
  for (const [name, sellerId] of [['buyerA', 10], ['buyerB', 10], ['buyerOf20', 20]] as const) {
    const signedUp = await signUpBuyer(running.url, name, sellerId);
    signedUp.client.close();
    const { socket, chatId } = await signInBuyer(name, signedUp.token, sellerId);
    buyers.push({ name, token: signedUp.token, sellerId, socket, chats: new Set([chatId]), retired: [] });
  }
  known = { chatIds: buyers.map((b) => Math.max(...b.chats)), tokens: buyers.map((b) => b.token) };
  sellers = [];
  for (const sellerId of ['10', '20']) {
    const auth = { id: sellerId, token: SELLERS[sellerId]!.token, protocol: protocolOf(`seller${sellerId}`) };
    sellers.push({ sellerId, socket: await FuzzSocket.open(running.url, `seller${sellerId}`, auth) });
  }
});

afterAll(async () => {
  for (const b of buyers ?? []) b.socket.close();
  for (const s of sellers ?? []) s.socket.close();
  await running?.stop();
});

/** Message ids 1..n per chat, each chat's sellers' lists hold only their chats, clientIds unique per side. */
async function expectStoreInvariants(store: Store): Promise<number> {
  let chatCount = 0;
  for (let chatId = 1; ; chatId++) {
    const chat = await store.getChat(chatId);
    if (!chat) break;
    chatCount++;
    expect(['10', '20']).toContain(chat.sellerId);
    const messages = await store.listMessages(chatId, { limit: 1_000_000 });
    expect(messages.map((m) => m.id), `ids of chat ${chatId}`).toEqual(messages.map((_, i) => i + 1));
    expect(chat.lastMessageId).toBe(messages.length);
    expect(messages.every((m) => m.chatId === chatId)).toBe(true);
    const keys = messages.filter((m) => m.clientId !== undefined).map((m) => `${m.from}\n${m.clientId}`);
    expect(new Set(keys).size, `clientIds of chat ${chatId}`).toBe(keys.length);
  }
  for (const sellerId of ['10', '20']) {
    const chats = await store.listChats(sellerId, { limit: 1_000_000, includeClosed: true });
    expect(chats.every((c) => c.sellerId === sellerId)).toBe(true);
  }
  return chatCount;
}

// A fixed amount of work (RUNS runs): on a loaded 2-core machine it can take well over the default 20 s.
it('answers thousands of random and mutated frames only with well-formed frames, and keeps everyone apart', async () => {
  const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();
  const live = () => [...buyers.map((b) => b.socket), ...sellers.map((s) => s.socket)];
  let sent = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(fc.nat(5), frames(known)), { minLength: 1, maxLength: 60, size: 'max' }), async (batch) => {
      const anonymous = await FuzzSocket.open(running.url, 'anonymous');
      const targets = [anonymous, ...live()];
      try {
        for (const [i, frame] of batch) targets[i % targets.length]!.send(frame);
        sent += batch.length;
        await Promise.all(targets.map((t) => t.barrier()));
        const problems = targets.flatMap((t) => t.problems.splice(0));
        if (problems.length) throw new Error(problems.join('\n'));
      } finally {
        anonymous.close();
      }
      await replaceClosedChats();
    }),
    { numRuns: RUNS },
  );

  // Pushes caused by the last run may still be on their way: one more round for everyone.
  await Promise.all(live().map((s) => s.barrier()));
  const everySocket = [...live(), ...buyers.flatMap((b) => b.retired)];
  expect(everySocket.flatMap((s) => s.problems)).toEqual([]);

  // Nobody heard of a chat that is not theirs.
  for (const buyer of buyers) {
    const heard = [buyer.socket, ...buyer.retired].flatMap((s) => [...s.chatIdsSeen]);
    expect(heard.filter((id) => !buyer.chats.has(id)), `chats ${buyer.name} heard of`).toEqual([]);
  }
  const store = running.chat.store;
  for (const { sellerId, socket } of sellers) {
    for (const chatId of socket.chatIdsSeen) {
      expect((await store.getChat(chatId))?.sellerId, `chat ${chatId} heard of by seller ${sellerId}`).toBe(sellerId);
    }
  }

  const chats = await expectStoreInvariants(store);
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();

  // Still healthy: a newcomer signs up and talks to the seller.
  const buyer = await signUpBuyer(running.url, 'After the storm', 10);
  const seller = await signInSeller(running.url, 10);
  const reply = await buyer.client.request('message', { text: 'still alive?', clientDate: 1, chatId: buyer.chatId });
  expect(reply.data).toMatchObject({ text: 'still alive?', my: true });
  expect((await seller.client.next('message')).data).toMatchObject({ id: reply.data.id, chatId: buyer.chatId, text: 'still alive?' });
  buyer.client.close();
  seller.client.close();
  const answers = [...FuzzSocket.tally].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ');
  console.log(`fuzz: ${sent} frames over ${RUNS} runs; ${chats} chats in the store afterwards, all consistent; answers: ${answers}`);
}, 90_000);
