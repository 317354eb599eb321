/**
 * PostgreSQL faults: the standalone server on PostgreSQL, its backends terminated with
 * pg_terminate_backend (what a restart, a failover or a TCP reset does) during a stream of
 * messages and while one waits on a chat's row lock; and the store's bounded waits against a
 * database that accepts connections and never answers. Only this suite's own backends are
 * terminated: they are found by an application_name nobody else uses.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../lib/logger.js';
import { postgresStore } from '../lib/store/postgres/postgres-store.js';
import { StoreUnavailableError } from '../lib/store/store.js';
import type { TestClient } from './helpers/client.js';
import { dropSchema, freshSchemaName, testDatabaseUrl } from './helpers/postgres.js';
import type { ServerProcess } from './helpers/server-process.js';
import { useStandaloneSuite } from './helpers/standalone-suite.js';

const appName = `ahchat_faults_${randomBytes(4).toString('hex')}`;
const suite = useStandaloneSuite('ahchat-pgfaults-');
const { schema } = suite;
let admin: pg.Pool;
let server: ServerProcess;

function withAppName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('application_name', name);
  return parsed.toString();
}

/** Terminates every backend of the server under test; resolves how many there were. */
async function terminateOurBackends(where = 'true'): Promise<number> {
  const { rows } = await admin.query<{ killed: boolean }>(
    `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name = $1 AND ${where}`,
    [appName],
  );
  return rows.filter((r) => r.killed).length;
}

/** Polls (with a deadline) until fn returns a truthy value. */
async function until<T>(fn: () => Promise<T>, what: string, timeoutMs = 5000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function buyer(name: string): Promise<{ client: TestClient; chatId: number }> {
  const client = await suite.connect(server);
  const auth = await client.request('auth', { protocol: 2, name, sellerId: 10 });
  expect(auth.error).toBeUndefined();
  return { client, chatId: auth.data.chatId };
}

const alive = () => server.child.exitCode === null && server.child.signalCode === null;

beforeAll(async () => {
  admin = suite.database;
  server = await suite.start({
    AHCHAT_DATABASE_URL: withAppName(testDatabaseUrl, appName),
    AHCHAT_DATABASE_QUERY_TIMEOUT_MS: '4000',
  });
});

describe('PostgreSQL backends terminated under the standalone server', () => {
  it('during a stream of messages: the process lives, failures answer INTERNAL_ERROR with the clientId, resends are confirmed once, every confirmed message is stored', async () => {
    // Four sockets, as the per-socket message budget (20 per 10 s) leaves room for resends.
    const senders = await Promise.all(['Ann', 'Bob', 'Bea', 'Ben'].map(buyer));
    const perSender = 12;
    let kills = 0;
    let total = 0;
    const failures: any[] = [];
    const confirmedBySender = await Promise.all(
      senders.map(async ({ client, chatId }, s) => {
        const pending = new Set(Array.from({ length: perSender }, (_, i) => `s${s}-${i}`));
        const confirmed = new Map<string, number>();
        // Like the widget: everything unconfirmed goes out, an INTERNAL_ERROR sends it again.
        for (const clientId of pending) client.send('message', { chatId, text: clientId, clientDate: Date.now(), clientId });
        while (pending.size > 0) {
          const frame = await client.next('message', 10_000);
          const clientId = frame.data?.clientId as string;
          if (frame.error) {
            expect(frame.error).toBe('INTERNAL_ERROR');
            expect(pending.has(clientId)).toBe(true);
            failures.push(frame);
            client.send('message', { chatId, text: clientId, clientDate: Date.now(), clientId });
            continue;
          }
          expect(frame.data.text).toBe(clientId);
          confirmed.set(clientId, frame.data.id);
          pending.delete(clientId);
          // Kill everything of ours at every sixth confirmation: other statements are in flight
          // then (this socket's next message, the other senders').
          if (++total % 6 === 0 && total <= 36) kills += await terminateOurBackends();
        }
        // Confirmed exactly once each, ids 1..n.
        expect([...confirmed.values()].sort((a, b) => a - b)).toEqual(Array.from({ length: perSender }, (_, i) => i + 1));
        return confirmed;
      }),
    );
    // History has exactly those, read once no sender kills backends any more (a read while the
    // others still do may meet a killed one, and answers INTERNAL_ERROR then, as it should).
    for (const [s, { client, chatId }] of senders.entries()) {
      const history = await client.request('history', { chatId, limit: 200 });
      expect(history.error).toBeUndefined();
      expect(new Map(history.data.messages.map((m: any) => [m.text, m.id]))).toEqual(confirmedBySender[s]);
    }
    expect(kills).toBeGreaterThan(0);
    expect(alive()).toBe(true);
    // One line per outage, never one per failed request; and no "failed:" line per request.
    const outageLines = server.output().split('\n').filter((l) => l.includes('postgresStore: PostgreSQL unavailable'));
    expect(outageLines.length).toBeGreaterThan(0);
    expect(outageLines.length).toBeLessThanOrEqual(6);
    expect(server.output()).not.toMatch(/message failed/);
    console.info(`stream: ${kills} backends terminated, ${failures.length} requests answered INTERNAL_ERROR and resent, ${outageLines.length} outage lines`);
  });

  it('while a backend waits on the chat row lock: INTERNAL_ERROR with the clientId, then the resend and later messages are confirmed', async () => {
    const { client, chatId } = await buyer('Cid');
    client.send('message', { chatId, text: 'first', clientDate: 1, clientId: 'c0' });
    expect((await client.next('message')).data).toMatchObject({ id: 1, clientId: 'c0' });

    const holder = await admin.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM "${schema}".chats WHERE id = $1 FOR UPDATE`, [chatId]);
      client.send('message', { chatId, text: 'waits on the lock', clientDate: 2, clientId: 'c1' });
      await until(
        async () => (await admin.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, [appName])).rowCount,
        'a backend of ours waiting on the row lock',
      );
      expect(await terminateOurBackends(`wait_event_type = 'Lock'`)).toBe(1);
      const refused = await client.next('message', 5000);
      expect(refused).toEqual({ command: 'message', error: 'INTERNAL_ERROR', data: { clientId: 'c1' } });
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    expect(alive()).toBe(true);

    client.send('message', { chatId, text: 'waits on the lock', clientDate: 2, clientId: 'c1' });
    expect((await client.next('message')).data).toMatchObject({ id: 2, clientId: 'c1', text: 'waits on the lock' });
    client.send('message', { chatId, text: 'later', clientDate: 3, clientId: 'c2' });
    expect((await client.next('message')).data).toMatchObject({ id: 3, clientId: 'c2' });
    const history = await client.request('history', { chatId });
    expect(history.data.messages.map((m: any) => m.clientId)).toEqual(['c0', 'c1', 'c2']);
  });

  it('a row lock held longer than the query timeout answers INTERNAL_ERROR within it, not never', async () => {
    const { client, chatId } = await buyer('Dee');
    const holder = await admin.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM "${schema}".chats WHERE id = $1 FOR UPDATE`, [chatId]);
      const sent = Date.now();
      client.send('message', { chatId, text: 'stuck', clientDate: 1, clientId: 'd1' });
      const refused = await client.next('message', 8000);
      const elapsed = Date.now() - sent;
      expect(refused).toEqual({ command: 'message', error: 'INTERNAL_ERROR', data: { clientId: 'd1' } });
      expect(elapsed).toBeGreaterThanOrEqual(3900);
      expect(elapsed).toBeLessThan(6500);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    client.send('message', { chatId, text: 'stuck', clientDate: 1, clientId: 'd1' });
    expect((await client.next('message')).data).toMatchObject({ id: 1, clientId: 'd1' });
    expect(alive()).toBe(true);
  });
});

describe('postgresStore against a database that never answers', () => {
  let silent: Server;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    // Accepts TCP connections and says nothing: a database host that is away behind a live network.
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('fails each request within connectionTimeoutMs with StoreUnavailableError, logging the outage once', async () => {
    const lines: string[] = [];
    const logger: Logger = { info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
    const port = (silent.address() as { port: number }).port;
    const store = postgresStore({ connectionString: `postgres://nobody@127.0.0.1:${port}/none`, connectionTimeoutMs: 300, logger });
    try {
      for (let i = 0; i < 3; i++) {
        const started = Date.now();
        const error = await store.findBuyerByTokenHash('x').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect((error as Error).message).toMatch(/^postgresStore: database unavailable: /);
        expect(Date.now() - started).toBeLessThan(2000);
      }
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^warn postgresStore: PostgreSQL unavailable \(.*\): requests answer INTERNAL_ERROR until it is back$/);
    } finally {
      await store.close();
    }
  });

  it('validates the timeout options', () => {
    expect(() => postgresStore({ connectionString: testDatabaseUrl, queryTimeoutMs: 0 })).toThrow(
      'postgresStore: options.queryTimeoutMs must be a positive integer (ms), got 0',
    );
    expect(() => postgresStore({ connectionString: testDatabaseUrl, connectionTimeoutMs: 1.5 })).toThrow(
      'postgresStore: options.connectionTimeoutMs must be a positive integer (ms), got 1.5',
    );
  });

  it('a store on the real database logs the outage and its end, once each, and the next request succeeds', async () => {
    const lines: string[] = [];
    const logger: Logger = { info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
    const name = `ahchat_faults_${randomBytes(4).toString('hex')}`;
    const ownSchema = freshSchemaName();
    const store = postgresStore({ connectionString: withAppName(testDatabaseUrl, name), schema: ownSchema, logger });
    try {
      await store.migrate();
      const { rows } = await admin.query<{ killed: boolean }>(
        'SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name = $1',
        [name],
      );
      expect(rows.length).toBeGreaterThan(0);
      // The idle client's 'error' reaches the pool (no crash); the next request gets a new connection.
      await until(async () => lines.length > 0, 'the outage line');
      const buyer = await store.createBuyer({ name: 'Eve', tokenHash: 'e' });
      expect(await store.findBuyerByTokenHash('e')).toEqual(buyer);
      // The end is logged at the first success once the failures have settled (a second).
      await until(async () => (await store.findBuyerByTokenHash('e')) && lines.length === 2, 'the end-of-outage line');
      expect(lines[0]).toMatch(/^warn postgresStore: PostgreSQL unavailable \(.*\)/);
      expect(lines[1]).toMatch(/^info postgresStore: PostgreSQL available again after \d+ ms/);
    } finally {
      await store.close();
      await dropSchema(admin, ownSchema);
    }
  });
});
