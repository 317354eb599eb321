/**
 * Bad input (issue 3's list): every malformed frame gets its exact error code, the socket stays
 * usable (except the frames that must close it), and other sockets are served throughout.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from '../helpers/client.js';
import { type RunningChat, signUpBuyer, startChat } from '../helpers/chat-server.js';
import { type Bystanders, bystanders } from './bystanders.js';

let running: RunningChat;
let others: Bystanders;
const clients: TestClient[] = [];

beforeAll(async () => {
  // Room for the bystanders' checks after every case; floods are hostile.test.ts's business.
  // One server for the whole file, which signs up a buyer per case: budgets raised to fit.
  running = await startChat({ rateLimit: { frames: 1000, intervalMs: 10_000 }, signUpRateLimit: { count: 10_000, intervalMs: 60_000 } });
  others = await bystanders(running.url);
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await others.served();
});
afterAll(async () => {
  others.close();
  await running.stop();
});

async function anonymous(): Promise<TestClient> {
  const client = await TestClient.connect(running.url);
  clients.push(client);
  return client;
}

async function buyer(): Promise<{ client: TestClient; chatId: number }> {
  const signedUp = await signUpBuyer(running.url, 'Tester', 10);
  clients.push(signedUp.client);
  return signedUp;
}

/** The socket still works: an anonymous one can sign up, a buyer's can send a message. */
async function stillServed(client: TestClient, chatId?: number): Promise<void> {
  if (chatId === undefined) {
    const auth = await client.request('auth', { name: 'Later', sellerId: 10 });
    expect(auth.error).toBeUndefined();
  } else {
    const sent = await client.request('message', { text: 'fine now', clientDate: 1, chatId });
    expect(sent.data).toMatchObject({ text: 'fine now', my: true });
  }
}

const BAD_FRAMES: [string, string, string][] = [
  // [what, raw text, command of the answer]
  ['plain text', 'hello', 'error'],
  ['truncated JSON', '{"command":"auth"', 'error'],
  ['an empty frame', '', 'error'],
  ['single-quoted pseudo-JSON', "{'command':'auth'}", 'error'],
  ['a NUL byte', '\u0000', 'error'],
  ['JSON null', 'null', 'error'],
  ['a JSON number', '42', 'error'],
  ['a JSON string', '"auth"', 'error'],
  ['a JSON boolean', 'true', 'error'],
  ['a JSON array', '[{"command":"auth","data":{"name":"x","sellerId":10}}]', 'error'],
  ['an object without command', '{"data":{"name":"x","sellerId":10}}', 'error'],
  ['a numeric command', '{"command":5}', 'error'],
  ['a null command', '{"command":null}', 'error'],
  ['an array command', '{"command":["auth"]}', 'error'],
  ['an object command', '{"command":{"toString":"auth"}}', 'error'],
  ['a command of 33 characters', JSON.stringify({ command: 'a'.repeat(33) }), 'error'],
  ['data a string', '{"command":"auth","data":"name=x"}', 'auth'],
  ['data an array', '{"command":"auth","data":[10,"x"]}', 'auth'],
  ['data a number', '{"command":"message","data":7}', 'message'],
  ['data true', '{"command":"history","data":true}', 'history'],
];

describe('frames that are not a request', () => {
  it.each(BAD_FRAMES)('answers %s with BAD_REQUEST, before and after auth, and keeps the socket', async (_what, raw, command) => {
    const anon = await anonymous();
    anon.sendRaw(raw);
    expect(await anon.next()).toEqual({ command, error: 'BAD_REQUEST' });
    await stillServed(anon);

    const signedIn = await buyer();
    signedIn.client.sendRaw(raw);
    expect(await signedIn.client.next()).toEqual({ command, error: 'BAD_REQUEST' });
    await stillServed(signedIn.client, signedIn.chatId);
  });

  it('answers a binary frame with BAD_REQUEST even when it holds a valid request', async () => {
    const anon = await anonymous();
    anon.sendRaw(Buffer.from(JSON.stringify({ command: 'auth', data: { name: 'x', sellerId: 10 } })));
    expect(await anon.next()).toEqual({ command: 'error', error: 'BAD_REQUEST' });
    await stillServed(anon);

    const signedIn = await buyer();
    signedIn.client.sendRaw(Buffer.from(JSON.stringify({ command: 'message', data: { text: 'x', clientDate: 1, chatId: signedIn.chatId } })));
    expect(await signedIn.client.next()).toEqual({ command: 'error', error: 'BAD_REQUEST' });
    await signedIn.client.barrier(signedIn.chatId);
    const history = await signedIn.client.request('history', { chatId: signedIn.chatId });
    expect(history.data.messages).toEqual([]);
    await stillServed(signedIn.client, signedIn.chatId);
  });

  it('treats data null like no data', async () => {
    const anon = await anonymous();
    anon.sendRaw('{"command":"auth","data":null}');
    expect(await anon.next()).toEqual({ command: 'auth', error: 'SELLER_ID_IS_REQUIRED' });
    await stillServed(anon);
  });
});

describe('fields of the wrong type', () => {
  const CHAT = '<own chat id>'; // replaced by the buyer's chat id
  it.each<[string, Record<string, unknown>, string]>([
    ['message', { text: 'x', clientDate: 1, chatId: '01' }, 'BAD_REQUEST'],
    ['message', { text: 'x', clientDate: 1, chatId: '1.0' }, 'BAD_REQUEST'],
    ['message', { text: 'x', clientDate: 1, chatId: ' 1' }, 'BAD_REQUEST'],
    ['message', { text: 'x', clientDate: 1, chatId: '' }, 'BAD_REQUEST'],
    ['message', { text: 'x', clientDate: 1, chatId: '-1' }, 'BAD_REQUEST'],
    ['message', { text: 'x', clientDate: 1, chatId: '9007199254740993' }, 'BAD_REQUEST'],
    ['message', { text: 'x', clientDate: 1, chatId: 1.5 }, 'BAD_REQUEST'],
    // 0 is a well-formed id of no one's chat, as the original README has it.
    ['message', { text: 'x', clientDate: 1, chatId: 0 }, 'CHAT_NOT_FOUND'],
    ['message', { text: 'x', clientDate: 1, chatId: '0' }, 'CHAT_NOT_FOUND'],
    ['message', { text: 'x', clientDate: 1, chatId: -3 }, 'BAD_REQUEST'],
    ['message', { text: 'x', clientDate: 1, chatId: 2 ** 53 }, 'BAD_REQUEST'],
    ['message', { text: 'x', clientDate: 1, chatId: [CHAT] }, 'BAD_REQUEST'],
    ['message', { text: 'x', clientDate: 1, chatId: { id: CHAT } }, 'BAD_REQUEST'],
    ['message', { text: 5, clientDate: 1, chatId: CHAT }, 'BAD_REQUEST'],
    ['message', { text: ['x'], clientDate: 1, chatId: CHAT }, 'BAD_REQUEST'],
    ['message', { text: { toString: 'x' }, clientDate: 1, chatId: CHAT }, 'BAD_REQUEST'],
    ['message', { text: true, clientDate: 1, chatId: CHAT }, 'BAD_REQUEST'],
    ['message', { text: 'x', clientDate: '2024-01-01', chatId: CHAT }, 'BAD_REQUEST'],
    ['message', { text: 'x', clientDate: [1], chatId: CHAT }, 'BAD_REQUEST'],
    ['message', { text: 'x', clientDate: 1, chatId: CHAT, clientId: 7 }, 'BAD_REQUEST'],
    ['message', { text: 'x', clientDate: 1, chatId: CHAT, clientId: '' }, 'BAD_REQUEST'],
    ['message', { text: 'x', clientDate: 1, chatId: CHAT, clientId: 'k'.repeat(65) }, 'BAD_REQUEST'],
    ['history', { chatId: CHAT, before: 'last' }, 'BAD_REQUEST'],
    ['history', { chatId: CHAT, limit: -1 }, 'BAD_REQUEST'],
    ['history', { chatId: CHAT, limit: 0.5 }, 'BAD_REQUEST'],
    ['history', { chatId: 'mine' }, 'BAD_REQUEST'],
    ['read', { chatId: CHAT, id: 'all' }, 'BAD_REQUEST'],
    ['read', { chatId: CHAT }, 'BAD_REQUEST'],
    ['typing', { chatId: true }, 'BAD_REQUEST'],
    ['close', { chatId: [] }, 'BAD_REQUEST'],
  ])('answers %s %j with %s and stores nothing', async (command, data, code) => {
    const { client, chatId } = await buyer();
    const fix = (v: unknown): unknown =>
      v === CHAT ? chatId : Array.isArray(v) ? v.map(fix) : typeof v === 'object' && v ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fix(x)])) : v;
    expect(await client.request(command, fix(data))).toEqual({ command, error: code });
    expect((await client.request('history', { chatId })).data.messages).toEqual([]);
    await stillServed(client, chatId);
  });

  it('answers a clientDate that JSON turns into Infinity (1e400) with BAD_REQUEST', async () => {
    const { client, chatId } = await buyer();
    client.sendRaw(`{"command":"message","data":{"text":"x","clientDate":1e400,"chatId":${chatId}}}`);
    expect(await client.next()).toEqual({ command: 'message', error: 'BAD_REQUEST' });
    await stillServed(client, chatId);
  });

  it.each<[Record<string, unknown>]>([
    [{ name: 42, sellerId: 10 }],
    [{ name: ['Ann'], sellerId: 10 }],
    [{ name: 'Ann', sellerId: { id: 10 } }],
    [{ name: 'Ann', sellerId: -10 }],
    [{ name: 'Ann', sellerId: '' }],
    [{ name: 'Ann', sellerId: 's'.repeat(65) }],
    [{ name: 'n'.repeat(101), sellerId: 10 }],
    [{ token: 12345, sellerId: 10 }],
    [{ token: 't'.repeat(257), sellerId: 10 }],
    [{ id: true, token: 'iofh3498hwe' }],
    [{ id: 10, token: { $ne: '' } }],
    [{ name: 'Ann', sellerId: 10, since: [1, 2] }],
    [{ name: 'Ann', sellerId: 10, since: { abc: 1 } }],
    [{ name: 'Ann', sellerId: 10, since: { 1: -1 } }],
    [{ name: 'Ann', sellerId: 10, since: { 1: '5' } }],
  ])('answers auth %j with BAD_REQUEST and keeps the socket', async (data) => {
    const anon = await anonymous();
    expect(await anon.request('auth', data)).toEqual({ command: 'auth', error: 'BAD_REQUEST' });
    await stillServed(anon);
  });
});

describe('commands the server does not know', () => {
  it.each(['dance', 'AUTH', 'Message', '', 'auth ', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'])(
    'answers command %j with UNKNOWN_COMMAND, before and after auth',
    async (command) => {
      const anon = await anonymous();
      expect(await anon.request(command, { name: 'x', sellerId: 10 })).toEqual({ command, error: 'UNKNOWN_COMMAND' });
      await stillServed(anon);
      const signedIn = await buyer();
      expect(await signedIn.client.request(command, { chatId: signedIn.chatId })).toEqual({ command, error: 'UNKNOWN_COMMAND' });
      await stillServed(signedIn.client, signedIn.chatId);
    },
  );
});

describe('requests before auth', () => {
  it.each(['message', 'history', 'typing', 'read', 'close'])('answers %s with NOT_AUTHORIZED and does nothing', async (command) => {
    const victim = await buyer();
    const anon = await anonymous();
    const answer = await anon.request(command, { text: 'sneaky', clientDate: 1, chatId: victim.chatId, id: 1 });
    expect(answer).toEqual({ command, error: 'NOT_AUTHORIZED' });
    await victim.client.barrier(victim.chatId);
    expect(victim.client.frames).toEqual([]);
    expect((await victim.client.request('history', { chatId: victim.chatId })).data.messages).toEqual([]);
    await stillServed(anon);
  });
});

describe('frames that close the socket', () => {
  it.each([
    ['before auth', false],
    ['after auth', true],
  ])('closes with 1009 on a 1 MiB frame %s', async (_when, signIn) => {
    const client = signIn ? (await buyer()).client : await anonymous();
    // Writing 1 MiB to a socket the server is closing can fail at the client: not what we test.
    client.socket.on('error', () => {});
    client.sendRaw(JSON.stringify({ command: 'message', data: { text: 'x'.repeat(1024 * 1024), clientDate: 1, chatId: 1 } }));
    expect((await client.closed).code).toBe(1009);
  });

  it('keeps a frame just under the 64 KiB limit open (TEXT_TOO_LONG, not a close)', async () => {
    const { client, chatId } = await buyer();
    const frame = JSON.stringify({ command: 'message', data: { text: 'x'.repeat(65_000), clientDate: 1, chatId } });
    expect(Buffer.byteLength(frame)).toBeLessThanOrEqual(64 * 1024);
    client.sendRaw(frame);
    expect(await client.next()).toEqual({ command: 'message', error: 'TEXT_TOO_LONG' });
    await stillServed(client, chatId);
  });

  it('closes with 1007 on a text frame that is not valid UTF-8 (RFC 6455 leaves no choice)', async () => {
    const client = await anonymous();
    client.socket.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect((await client.closed).code).toBe(1007);
  });
});
