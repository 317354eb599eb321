/**
 * Text hygiene at the protocol edge (issue 13, item 7): lone surrogates, names and texts nobody
 * could see, and runs of combining marks get their exact codes before any store is asked — the same
 * on every store, as the PostgreSQL case shows for the clientIds it would otherwise make collide.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { postgresStore } from '../../lib/postgres.js';
import { lowdbStore } from '../../lib/store/lowdb-store.js';
import { memoryStore } from '../../lib/store/memory-store.js';
import type { Store } from '../../lib/store/store.js';
import { MAX_COMBINING_RUN } from '../../lib/wire/index.js';
import { TestClient } from '../helpers/client.js';
import { type RunningChat, signUpBuyer, startChat } from '../helpers/chat-server.js';
import { connectTestDatabase, dropSchema, freshSchemaName, testDatabaseUrl } from '../helpers/postgres.js';
import { tmpDir } from '../helpers/tmp-dir.js';

const ZALGO = 'a' + '\u0301'.repeat(MAX_COMBINING_RUN + 1);
/** Accepted: what people really write, marks and joiners included. */
const FINE: [string, string][] = [
  ['Vietnamese with stacked marks', 'Tiếng Việt có dấu: ệ ở ữ'],
  ['a run of exactly the cap', 'a' + '\u0301'.repeat(MAX_COMBINING_RUN)],
  ['an emoji ZWJ family and a keycap', '👨‍👩‍👧 1️⃣'],
  ['Hebrew with points', 'שָׁלוֹם'],
  ['a name in Arabic', 'سلام'],
];
const INVISIBLE: [string, string][] = [
  ['zero-width spaces', '\u200b\u200b\u200b'],
  ['bidi controls only', '\u202e\u2066\u2069\u200f'],
  ['a BOM and a word joiner', '\ufeff\u2060'],
  ['combining marks without base', '\u0301\u0302'],
  ['Hangul fillers', '\u3164\u115f'],
  ['the blank braille pattern and spaces', '\u2800 \u00a0\u3000'],
  ['variation selectors', '\ufe0f\ufe0e'],
];

type Case = { name: string; open(): Promise<{ store: Store; close(): Promise<void> }> };
const STORES: Case[] = [
  { name: 'memory', open: async () => ({ store: memoryStore(), close: async () => {} }) },
  {
    name: 'lowdb',
    async open() {
      const dir = await tmpDir('ahchat-hygiene-');
      return { store: lowdbStore({ dir: dir.path }), close: dir.remove };
    },
  },
];

describe.each(STORES)('text hygiene on the $name store', ({ open }) => {
  let running: RunningChat;
  let done: () => Promise<void>;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    const opened = await open();
    done = opened.close;
    running = await startChat({ store: opened.store, rateLimit: { frames: 1000, intervalMs: 10_000 } });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await running.stop();
    await done();
  });
  const anonymous = async () => {
    const client = await TestClient.connect(running.url);
    clients.push(client);
    return client;
  };
  const buyer = async () => {
    const signed = await signUpBuyer(running.url, 'Hygienic');
    clients.push(signed.client);
    return signed;
  };

  it.each<[string, Record<string, string>, string]>([
    ['a lone high surrogate in text', { text: 'ok \ud800' }, 'BAD_REQUEST'],
    ['a lone low surrogate in text', { text: '\udc00 ok' }, 'BAD_REQUEST'],
    ['a lone surrogate in clientId', { text: 'ok', clientId: 'k\ud800' }, 'BAD_REQUEST'],
    [`more than ${MAX_COMBINING_RUN} combining marks in a row`, { text: `hi ${ZALGO}` }, 'BAD_REQUEST'],
    ...INVISIBLE.map(([what, text]): [string, Record<string, string>, string] => [`text of ${what}`, { text }, 'TEXT_IS_REQUIRED']),
  ])('answers a message with %s with %s and stores nothing', async (_what, fields, code) => {
    const { client, chatId } = await buyer();
    const answer = await client.request('message', { clientDate: 1, chatId, ...fields });
    // The refused clientId is not echoed: it is not one the client could match.
    expect(answer).toEqual({ command: 'message', error: code });
    expect((await client.request('history', { chatId })).data.messages).toEqual([]);
  });

  it.each(FINE)('accepts %s as text and as a name, unchanged', async (_what, text) => {
    const { client, chatId } = await buyer();
    const sent = await client.request('message', { text, clientDate: 1, chatId });
    expect(sent.data.text).toBe(text);
    const named = await anonymous();
    expect((await named.request('auth', { name: text, sellerId: 10 })).data.name).toBe(text);
  });

  it.each<[string, string, string]>([
    ['a lone surrogate', 'Eve\udbff', 'BAD_REQUEST'],
    [`more than ${MAX_COMBINING_RUN} combining marks in a row`, ZALGO, 'BAD_REQUEST'],
    ...INVISIBLE.map(([what, name]): [string, string, string] => [what, name, 'NAME_IS_REQUIRED']),
  ])('answers a sign-up whose name is %s with %s, creating no buyer', async (_what, name, code) => {
    const client = await anonymous();
    expect(await client.request('auth', { name, sellerId: 10 })).toEqual({ command: 'auth', error: code });
    // The socket stays usable: the same person signs up with a real name.
    expect((await client.request('auth', { name: 'Visible', sellerId: 10 })).error).toBeUndefined();
  });

  it('answers a lone surrogate in a token or a string sellerId with BAD_REQUEST', async () => {
    const client = await anonymous();
    expect(await client.request('auth', { token: 'abc\ud800', sellerId: 10 })).toEqual({ command: 'auth', error: 'BAD_REQUEST' });
    expect(await client.request('auth', { name: 'Eve', sellerId: 'shop\udfff' })).toEqual({ command: 'auth', error: 'BAD_REQUEST' });
  });
});

describe('text hygiene on the PostgreSQL store', () => {
  let pool: pg.Pool;
  let schema: string;
  let running: RunningChat;
  beforeAll(async () => {
    pool = await connectTestDatabase();
    schema = freshSchemaName();
    const store = postgresStore({ connectionString: testDatabaseUrl, schema });
    await store.migrate();
    running = await startChat({ store });
  });
  afterAll(async () => {
    await running?.stop();
    if (pool) {
      await dropSchema(pool, schema);
      await pool.end();
    }
  });

  it('refuses a clientId with a lone surrogate, so it cannot collide with the one PostgreSQL would store instead (U+FFFD)', async () => {
    const { client, chatId } = await signUpBuyer(running.url, 'Collider');
    try {
      const first = await client.request('message', { text: 'first', clientDate: 1, chatId, clientId: 'k\ufffd' });
      expect(first.data).toMatchObject({ id: 1, text: 'first' });
      expect(await client.request('message', { text: 'second', clientDate: 2, chatId, clientId: 'k\ud800' })).toEqual({ command: 'message', error: 'BAD_REQUEST' });
      const history = await client.request('history', { chatId });
      expect(history.data.messages.map((m: { text: string }) => m.text)).toEqual(['first']);
    } finally {
      client.close();
    }
  });
});
