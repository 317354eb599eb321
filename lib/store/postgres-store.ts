/**
 * A Store on PostgreSQL, for running several AH Chat instances on one database (see docs/SCALE-OUT.md).
 *
 * - Schema: created on first use by versioned migrations (a `schema_migrations` table in the store's
 *   schema), or up front by `await store.migrate()`. Migrations run under a transaction-scoped advisory
 *   lock, so instances starting together apply each one exactly once.
 * - Message ids: appendMessage bumps `chats.last_message_id` and inserts the message in one
 *   transaction; the UPDATE row-locks the chat, so concurrent writers on any number of instances
 *   queue on that row and get ids 1, 2, 3, … in commit order.
 * - clientId dedupe: a unique constraint on (chat_id, from_side, client_id); the loser of a race
 *   rolls back and returns the stored message with duplicate: true.
 * - openChat: a partial unique index on (buyer_id, seller_id) WHERE closed_at IS NULL makes
 *   "one open chat per buyer and seller" the database's job, not a read-then-write race.
 * - Durability: a promise resolves after COMMIT, i.e. as durable as the server's synchronous_commit.
 *
 * - Faults: no error of a pooled or checked-out client can crash the process (listeners on the pool
 *   and on every client while we hold it). A lost connection, a refused one or a timeout rejects the
 *   request with StoreUnavailableError (the client gets INTERNAL_ERROR); a broken client is
 *   destroyed, not reused, so the pool opens a new connection for the next request. Every wait is
 *   bounded: connectionTimeoutMs for a connection, queryTimeoutMs per statement (on the server, and
 *   on the client so that a silent network is bounded too). One log line per outage, one when the
 *   database answers again.
 *
 * Times are stored as bigint Unix milliseconds, exactly as the contract carries them.
 * `pg` is an optional peer dependency: this module is reached only through `ah-chat/postgres`.
 */
import pg from 'pg';
import type { Logger } from '../options.js';
import { consoleLogger, OutageLog } from '../outage-log.js';
import { ChatClosedError, ChatOpenError, MAX_REPLIES, ReplyLimitError, StoreUnavailableError, searchWords, type Buyer, type Chat, type Message, type PageContext, type QuickReply, type Side, type Store } from './store.js';

export interface PostgresStoreOptions {
  /** A postgres:// URL; the store creates (and on close, ends) its own pool. */
  connectionString?: string;
  /** A pool the host owns: used as is, and left open on close. */
  pool?: pg.Pool;
  /** The schema holding AH Chat's tables (created if missing). Default 'ahchat'. */
  schema?: string;
  /**
   * Longest wait for a connection (a new one, or a free one from a busy pool), ms. Default 5000.
   * Applies to the pool made from connectionString; a host's pool keeps its own connectionTimeoutMillis.
   */
  connectionTimeoutMs?: number;
  /**
   * Longest a statement may run, waiting on a row lock included, ms. Default 10000. With
   * connectionString it is also the server's statement_timeout and idle_in_transaction_session_timeout;
   * on any pool the client gives up 1 s after it (a database that stopped answering).
   */
  queryTimeoutMs?: number;
  /** Where the one line per outage goes. Default console. Never receives message text. */
  logger?: Logger;
}

export type PostgresStore = Store & {
  /** Creates or upgrades the tables. Runs by itself before the first query; call it to fail early. */
  migrate(): Promise<void>;
};

/** Two-key advisory lock namespace: "AHCH" in ASCII, so our lock does not collide with the host's. */
const LOCK_NAMESPACE = 0x41484348;

/** appendMessage's transaction found the chat closed. */
const CLOSED: unique symbol = Symbol('closed');

/** Each migration runs once, in order, inside the migrating transaction. `s` is the quoted schema. */
const MIGRATIONS: { version: number; name: string; sql: (s: string) => string }[] = [
  {
    version: 1,
    name: 'buyers, chats, messages',
    sql: (s) => `
      CREATE TABLE ${s}.buyers (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name text NOT NULL,
        token_hash text NOT NULL UNIQUE,
        created_at bigint NOT NULL
      );
      CREATE TABLE ${s}.chats (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        seller_id text NOT NULL,
        buyer_id bigint NOT NULL REFERENCES ${s}.buyers (id),
        chatter text NOT NULL,
        created_at bigint NOT NULL,
        last_activity bigint NOT NULL,
        last_message_id integer NOT NULL DEFAULT 0,
        read_buyer integer NOT NULL DEFAULT 0,
        read_seller integer NOT NULL DEFAULT 0,
        unread_buyer integer NOT NULL DEFAULT 0,
        unread_seller integer NOT NULL DEFAULT 0,
        closed_at bigint
      );
      -- At most one open chat per buyer and seller; openChat's ON CONFLICT relies on it.
      CREATE UNIQUE INDEX chats_open_pair ON ${s}.chats (buyer_id, seller_id) WHERE closed_at IS NULL;
      -- listChats: a seller's chats, newest activity first.
      CREATE INDEX chats_seller_activity ON ${s}.chats (seller_id, last_activity DESC, id DESC);
      CREATE TABLE ${s}.messages (
        chat_id bigint NOT NULL REFERENCES ${s}.chats (id),
        id integer NOT NULL,
        from_side text NOT NULL CHECK (from_side IN ('buyer', 'seller')),
        text text NOT NULL,
        created_at bigint NOT NULL,
        client_date double precision NOT NULL,
        client_id text,
        -- The primary key is also the history paging index.
        PRIMARY KEY (chat_id, id),
        -- NULL client ids never conflict, so only messages that carry one are deduplicated.
        CONSTRAINT messages_client_id UNIQUE (chat_id, from_side, client_id)
      );`,
  },
  {
    version: 2,
    name: 'inbox: message search, quick replies',
    sql: (s) => `
      -- findChats' text search: the words of every message ('simple': no stemming, no stop words,
      -- so a search for part of a word as its start, "deliv", finds "delivery" in any language).
      CREATE INDEX messages_text_search ON ${s}.messages USING gin (to_tsvector('simple', text));
      CREATE TABLE ${s}.quick_replies (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        seller_id text NOT NULL,
        text text NOT NULL,
        created_at bigint NOT NULL
      );
      CREATE INDEX quick_replies_seller ON ${s}.quick_replies (seller_id, id);`,
  },
  {
    version: 3,
    name: 'host identities, e-mail, guests, page context',
    sql: (s) => `
      ALTER TABLE ${s}.buyers
        ADD COLUMN external_id text UNIQUE,
        ADD COLUMN email text,
        ADD COLUMN guest boolean NOT NULL DEFAULT false;
      ALTER TABLE ${s}.chats ADD COLUMN context jsonb;
      ALTER TABLE ${s}.messages ADD COLUMN context jsonb;`,
  },
];

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** How much longer than queryTimeoutMs the client waits: the server's own timeout should answer first. */
const CLIENT_TIMEOUT_SLACK_MS = 1000;

/** SQLSTATEs of a database that is away or gave up, not of a wrong query. */
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300', '57014', '25P03']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const UNAVAILABLE_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Client was closed)/;

/** Whether error means "the database did not answer" (retry later) rather than a bug in a query. */
function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('08') || UNAVAILABLE_CODES.has(code) || NETWORK_CODES.has(code))) return true;
  return UNAVAILABLE_MESSAGES.test(error.message);
}

/** A short, text-free description of a failure for the outage line: the code and pg's message. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${code} ${error.message}` : error.message;
}

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw new RangeError(`postgresStore: options.${name} must be a positive integer (ms), got ${JSON.stringify(value)}`);
  }
  return value as number;
}

export function postgresStore(options: PostgresStoreOptions): PostgresStore {
  if (options === null || typeof options !== 'object') throw new TypeError('postgresStore: options must be an object');
  const { connectionString, schema = 'ahchat' } = options;
  if ((connectionString === undefined) === (options.pool === undefined)) {
    throw new TypeError('postgresStore: give exactly one of options.connectionString and options.pool');
  }
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw new TypeError(`postgresStore: options.schema must be a lower-case SQL identifier, got ${JSON.stringify(schema)}`);
  }
  const connectionTimeoutMs = positiveInteger('connectionTimeoutMs', options.connectionTimeoutMs, 5000);
  const queryTimeoutMs = positiveInteger('queryTimeoutMs', options.queryTimeoutMs, 10_000);
  const logger = options.logger ?? consoleLogger;
  const outage = new OutageLog(logger, 'postgresStore: PostgreSQL', 'requests answer INTERNAL_ERROR until it is back');
  const ownPool = options.pool === undefined;
  const pool =
    options.pool ??
    new pg.Pool({
      connectionString,
      connectionTimeoutMillis: connectionTimeoutMs,
      statement_timeout: queryTimeoutMs,
      // A paused instance must not hold a chat's row lock (every writer of that chat waits on it).
      idle_in_transaction_session_timeout: queryTimeoutMs,
      // Notices a dead peer on an idle connection; pg_stat_activity shows who we are (the URL may override).
      keepAlive: true,
      application_name: 'ahchat',
    });
  if (!ownPool && !((pool.options.connectionTimeoutMillis ?? 0) > 0)) {
    logger.warn('postgresStore: the given pool has no connectionTimeoutMillis: while the database is away, requests wait for a connection without bound');
  }
  const clientTimeoutMs = queryTimeoutMs + CLIENT_TIMEOUT_SLACK_MS;
  // An idle client that loses its connection emits 'error' on the pool; unheard, that kills the
  // process. The pool already dropped the client, and the next query opens a new one.
  const onPoolError = (error: Error) => outage.failed(describe(error));
  pool.on('error', onPoolError);

  /** A failure of the database itself becomes StoreUnavailableError (logged once per outage); others pass. */
  function unavailable(error: unknown, log = true): unknown {
    if (error instanceof StoreUnavailableError || !isUnavailable(error)) return error;
    if (log) outage.failed(describe(error));
    return new StoreUnavailableError(`postgresStore: database unavailable: ${describe(error)}`, { cause: error });
  }

  /** Runs one statement on a client we hold (or the pool), bounded by the client-side timeout. */
  async function run<R extends pg.QueryResultRow>(on: pg.Pool | pg.PoolClient, text: string, values: unknown[] = []): Promise<R[]> {
    return (await on.query<R>({ text, values, query_timeout: clientTimeoutMs } as pg.QueryConfig)).rows;
  }

  /**
   * A client of our own for a transaction. While we hold it the pool does not listen to it, and an
   * unheard 'error' (the backend killed, the socket reset) would crash the process: we listen, and
   * a client that failed is destroyed on release instead of going back to the pool.
   */
  async function checkOut(log = true): Promise<{ client: pg.PoolClient; release(error?: Error): void }> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw unavailable(error, log);
    }
    let failure: Error | undefined;
    const onError = (error: Error) => {
      failure ??= error;
      outage.failed(describe(error));
    };
    client.on('error', onError);
    return {
      client,
      release(error) {
        client.removeListener('error', onError);
        client.release(error ?? failure);
      },
    };
  }

  const s = `"${schema}"`;
  const buyers = `${s}.buyers`;
  const chats = `${s}.chats`;
  const messages = `${s}.messages`;
  const lockKey = hashKey(schema);

  let closed = false;
  let ready: Promise<void> | null = null;

  /** `log`: false when the caller reports the failure itself (an explicit migrate() at start). */
  async function migrate(log = true): Promise<void> {
    const { client, release } = await checkOut(log);
    let broken: Error | undefined;
    try {
      await run(client, 'BEGIN');
      await run(client, 'SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, lockKey]);
      await run(client, `CREATE SCHEMA IF NOT EXISTS ${s}`);
      await run(
        client,
        `CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
           version integer PRIMARY KEY,
           name text NOT NULL,
           applied_at timestamptz NOT NULL DEFAULT now()
         )`,
      );
      const rows = await run<{ version: number }>(client, `SELECT coalesce(max(version), 0) AS version FROM ${s}.schema_migrations`);
      const current = rows[0]!.version;
      const latest = MIGRATIONS[MIGRATIONS.length - 1]!.version;
      if (current > latest) {
        throw new Error(`postgresStore: schema ${schema} is at version ${current}, newer than this AH Chat knows (${latest}); upgrade AH Chat`);
      }
      for (const migration of MIGRATIONS) {
        if (migration.version <= current) continue;
        await run(client, migration.sql(s));
        await run(client, `INSERT INTO ${s}.schema_migrations (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
      }
      await run(client, 'COMMIT');
      outage.recovered();
    } catch (error) {
      await run(client, 'ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw unavailable(error, log);
    } finally {
      release(broken);
    }
  }

  /** Runs the migration once per store; a failed one is retried by the next call. */
  function ensureReady(): Promise<void> {
    if (closed) return Promise.reject(new Error('postgresStore: the store is closed'));
    ready ??= migrate().catch((error: unknown) => {
      ready = null;
      throw error;
    });
    return ready;
  }

  async function query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<R[]> {
    await ensureReady();
    try {
      // pool.query destroys the client when the query fails with a connection error.
      const rows = await run<R>(pool, text, values);
      outage.recovered();
      return rows;
    } catch (error) {
      throw unavailable(error);
    }
  }

  /**
   * Runs fn in a transaction on one client. fn returns 'rollback' to undo its writes and give back
   * its value anyway (appendMessage's duplicate path); a throw rolls back and rethrows.
   */
  async function transaction<T>(
    fn: (sql: <R extends pg.QueryResultRow>(text: string, values: unknown[]) => Promise<R[]>) => Promise<{ value: T; rollback?: boolean }>,
  ): Promise<T> {
    await ensureReady();
    const { client, release } = await checkOut();
    let broken: Error | undefined;
    try {
      await run(client, 'BEGIN');
      const { value, rollback } = await fn((text, values) => run(client, text, values));
      await run(client, rollback ? 'ROLLBACK' : 'COMMIT');
      outage.recovered();
      return value;
    } catch (error) {
      // A killed backend (e.g. while this waited on a chat's row lock) fails the ROLLBACK too.
      await run(client, 'ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw unavailable(error);
    } finally {
      // A client whose ROLLBACK failed is in an unknown state: destroy it rather than reuse it.
      release(broken);
    }
  }

  return {
    migrate: async () => {
      if (closed) throw new Error('postgresStore: the store is closed');
      await migrate(false);
      ready = Promise.resolve();
    },

    async createBuyer(input) {
      const rows = await query<BuyerRow>(
        `INSERT INTO ${buyers} (name, token_hash, created_at, email, guest) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
        [input.name, input.tokenHash, Date.now(), input.email ?? null, input.guest === true],
      );
      return toBuyer(rows[0]!);
    },

    async getBuyer(buyerId) {
      const rows = await query<BuyerRow>(`SELECT * FROM ${buyers} WHERE id = $1`, [buyerId]);
      return rows[0] ? toBuyer(rows[0]) : null;
    },

    async findBuyerByExternalId(externalId) {
      const rows = await query<BuyerRow>(`SELECT * FROM ${buyers} WHERE external_id = $1`, [externalId]);
      return rows[0] ? toBuyer(rows[0]) : null;
    },

    async upsertBuyer(input) {
      return transaction(async (sql) => {
        // The unique external_id makes concurrent first sign-ins one buyer; xmax = 0 tells an insert.
        const rows = await sql<BuyerRow & { inserted: boolean }>(
          `INSERT INTO ${buyers} (name, token_hash, created_at, external_id, email)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (external_id) DO UPDATE
             SET name = EXCLUDED.name, email = coalesce(EXCLUDED.email, ${buyers}.email), guest = false
           RETURNING *, (xmax = 0) AS inserted`,
          [input.name, input.tokenHash, Date.now(), input.externalId, input.email ?? null],
        );
        const row = rows[0]!;
        if (!row.inserted) {
          await sql(`UPDATE ${chats} SET chatter = $2 WHERE buyer_id = $1 AND closed_at IS NULL AND chatter <> $2`, [row.id, input.name]);
        }
        return { value: { buyer: toBuyer(row), created: row.inserted } };
      });
    },

    async updateBuyer(buyerId, change) {
      return transaction(async (sql) => {
        const rows = await sql<BuyerRow>(
          `UPDATE ${buyers}
           SET name = coalesce($2, name), email = coalesce($3, email), guest = guest AND $2::text IS NULL
           WHERE id = $1 RETURNING *`,
          [buyerId, change.name ?? null, change.email ?? null],
        );
        if (!rows[0]) return { value: null };
        if (change.name !== undefined) {
          await sql(`UPDATE ${chats} SET chatter = $2 WHERE buyer_id = $1 AND closed_at IS NULL`, [buyerId, change.name]);
        }
        return { value: toBuyer(rows[0]) };
      });
    },

    async setChatContext(chatId, context) {
      const rows = await query<ChatRow>(`UPDATE ${chats} SET context = $2 WHERE id = $1 RETURNING *`, [chatId, JSON.stringify(context)]);
      return rows[0] ? toChat(rows[0]) : null;
    },

    async findBuyerByTokenHash(tokenHash) {
      const rows = await query<BuyerRow>(`SELECT * FROM ${buyers} WHERE token_hash = $1`, [tokenHash]);
      return rows[0] ? toBuyer(rows[0]) : null;
    },

    async openChat(input) {
      // Insert-or-find; the find misses only if the open chat was closed in between, so try again.
      for (;;) {
        const now = Date.now();
        const inserted = await query<ChatRow>(
          `INSERT INTO ${chats} (seller_id, buyer_id, chatter, created_at, last_activity)
           VALUES ($1, $2, $3, $4, $4)
           ON CONFLICT (buyer_id, seller_id) WHERE closed_at IS NULL DO NOTHING
           RETURNING *`,
          [input.sellerId, input.buyerId, input.chatter, now],
        );
        if (inserted[0]) return { chat: toChat(inserted[0]), created: true };
        const found = await query<ChatRow>(
          `SELECT * FROM ${chats} WHERE buyer_id = $1 AND seller_id = $2 AND closed_at IS NULL`,
          [input.buyerId, input.sellerId],
        );
        if (found[0]) return { chat: toChat(found[0]), created: false };
      }
    },

    async getChat(chatId) {
      const rows = await query<ChatRow>(`SELECT * FROM ${chats} WHERE id = $1`, [chatId]);
      return rows[0] ? toChat(rows[0]) : null;
    },

    async listChats(sellerId, options) {
      const limit = Math.floor(options.limit);
      if (!(limit > 0)) return [];
      const rows = await query<ChatRow>(
        `SELECT * FROM ${chats}
         WHERE seller_id = $1 ${options.includeClosed ? '' : 'AND closed_at IS NULL'}
         ORDER BY last_activity DESC, id DESC
         LIMIT $2`,
        [sellerId, limit],
      );
      return rows.map(toChat);
    },

    async appendMessage(input) {
      const unread = input.from === 'buyer' ? 'unread_seller' : 'unread_buyer';
      const clientId = input.clientId ?? null;
      const result = await transaction<Message | null | typeof CLOSED>(async (sql) => {
        // Row-locks the chat until COMMIT: the next writer to this chat waits here, then sees our id.
        // The message's time is the new lastActivity, so createdAt never goes back as ids go up,
        // even when instances' clocks disagree or a writer waited for the lock.
        const bumped = await sql<{ last_message_id: number; last_activity: string; closed_at: string | null }>(
          `UPDATE ${chats}
           SET last_message_id = last_message_id + 1,
               last_activity = greatest(last_activity, $2),
               ${unread} = ${unread} + 1
           WHERE id = $1
           RETURNING last_message_id, last_activity, closed_at`,
          [input.chatId, Date.now()],
        );
        const bump = bumped[0];
        if (!bump) throw new Error(`appendMessage: no chat with id ${input.chatId}`);
        // Checked under the row lock, so a close that committed first is always seen.
        if (bump.closed_at !== null) return { value: CLOSED, rollback: true };
        const inserted = await sql<MessageRow>(
          `INSERT INTO ${messages} (chat_id, id, from_side, text, created_at, client_date, client_id, context)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (chat_id, from_side, client_id) DO NOTHING
           RETURNING *`,
          [input.chatId, bump.last_message_id, input.from, input.text, bump.last_activity, input.clientDate, clientId, input.context ? JSON.stringify(input.context) : null],
        );
        const row = inserted[0];
        // No row: this clientId is stored already. Undo the bump; the original is read below.
        return row ? { value: toMessage(row) } : { value: null, rollback: true };
      });
      if (result && result !== CLOSED) return { message: result, duplicate: false };
      // The original committed before our UPDATE got the row lock, so this read sees it.
      const rows = clientId === null ? [] : await query<MessageRow>(
        `SELECT * FROM ${messages} WHERE chat_id = $1 AND from_side = $2 AND client_id = $3`,
        [input.chatId, input.from, clientId],
      );
      if (rows[0]) return { message: toMessage(rows[0]), duplicate: true };
      throw new ChatClosedError(input.chatId);
    },

    async listMessages(chatId, options) {
      const limit = Math.floor(options.limit);
      if (!(limit > 0)) return [];
      // Whole-number bounds meaning the same (id > 2.5 ⇔ id > 2; id < 3.5 ⇔ id < 4), compared as
      // integers so that the (chat_id, id) key serves the range: walked backwards, then ascending.
      const after = bound(Math.floor(options.after ?? 0));
      const before = options.before === undefined ? null : bound(Math.ceil(options.before));
      const rows = await query<MessageRow>(
        `SELECT * FROM (
           SELECT * FROM ${messages}
           WHERE chat_id = $1 AND id > $2::bigint AND ($3::bigint IS NULL OR id < $3::bigint)
           ORDER BY id DESC
           LIMIT $4
         ) newest ORDER BY id`,
        [chatId, after, before, limit],
      );
      return rows.map(toMessage);
    },

    async markRead(chatId, side, messageId) {
      const read = side === 'buyer' ? 'read_buyer' : 'read_seller';
      const unread = side === 'buyer' ? 'unread_buyer' : 'unread_seller';
      return transaction(async (sql) => {
        // Lock first: the count below must see every message committed before the marker moves,
        // including one whose append was holding the chat row when we arrived.
        const locked = await sql<ChatRow>(`SELECT * FROM ${chats} WHERE id = $1 FOR UPDATE`, [chatId]);
        const row = locked[0];
        if (!row) return { value: null };
        const readId = Math.min(Math.floor(messageId), row.last_message_id);
        if (!(readId > row[read])) return { value: toChat(row) };
        const updated = await sql<ChatRow>(
          `UPDATE ${chats}
           SET ${read} = $2,
               ${unread} = (SELECT count(*) FROM ${messages} WHERE chat_id = $1 AND from_side = $3 AND id > $2)
           WHERE id = $1
           RETURNING *`,
          [chatId, readId, otherSide(side)],
        );
        return { value: toChat(updated[0]!) };
      });
    },

    async closeChat(chatId) {
      const closedNow = await query<ChatRow>(
        `UPDATE ${chats} SET closed_at = $2 WHERE id = $1 AND closed_at IS NULL RETURNING *`,
        [chatId, Date.now()],
      );
      if (closedNow[0]) return toChat(closedNow[0]);
      // Already closed (unchanged) or no such chat.
      const rows = await query<ChatRow>(`SELECT * FROM ${chats} WHERE id = $1`, [chatId]);
      return rows[0] ? toChat(rows[0]) : null;
    },

    async findChats(sellerId, options) {
      const limit = Math.floor(options.limit);
      if (!(limit > 0)) return { chats: [], next: null };
      const search = options.query?.trim().toLowerCase() ?? '';
      const words = searchWords(search);
      const where = [`c.seller_id = $1`, `c.last_message_id > 0`];
      const values: unknown[] = [sellerId];
      const add = (value: unknown) => `$${values.push(value)}`;
      where.push(options.filter === 'closed' ? 'c.closed_at IS NOT NULL' : 'c.closed_at IS NULL');
      if (options.filter === 'unread') where.push('c.unread_seller > 0');
      if (options.filter === 'waiting') {
        where.push(`EXISTS (SELECT 1 FROM ${messages} m WHERE m.chat_id = c.id AND m.id = c.last_message_id AND m.from_side = 'buyer')`);
      }
      if (options.after) where.push(`(c.last_activity, c.id) < (${add(options.after.lastActivity)}::bigint, ${add(options.after.id)}::bigint)`);
      if (search) {
        const name = `lower(c.chatter) LIKE ${add(`%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)}`;
        // Served by messages_text_search: the words as prefixes (they hold letters and digits only).
        const text = words.length
          ? ` OR c.id IN (SELECT m.chat_id FROM ${messages} m WHERE to_tsvector('simple', m.text) @@ to_tsquery('simple', ${add(words.map((w) => `${w}:*`).join(' & '))}))`
          : '';
        where.push(`(${name}${text})`);
      }
      const rows = await query<ChatRow>(
        `SELECT c.* FROM ${chats} c WHERE ${where.join(' AND ')} ORDER BY c.last_activity DESC, c.id DESC LIMIT ${add(limit + 1)}`,
        values,
      );
      const more = rows.length > limit;
      const page = rows.slice(0, limit).map(toChat);
      const last = page[page.length - 1];
      return { chats: page, next: more && last ? { lastActivity: last.lastActivity, id: last.id } : null };
    },

    async reopenChat(chatId) {
      try {
        const rows = await query<ChatRow>(`UPDATE ${chats} SET closed_at = NULL WHERE id = $1 AND closed_at IS NOT NULL RETURNING *`, [chatId]);
        if (rows[0]) return toChat(rows[0]);
      } catch (error) {
        // chats_open_pair: the buyer has another open chat with this seller.
        if ((error as { code?: string }).code === '23505') throw new ChatOpenError(chatId);
        throw error;
      }
      const rows = await query<ChatRow>(`SELECT * FROM ${chats} WHERE id = $1`, [chatId]);
      return rows[0] ? toChat(rows[0]) : null;
    },

    async markUnread(chatId, side) {
      const read = side === 'buyer' ? 'read_buyer' : 'read_seller';
      const unread = side === 'buyer' ? 'unread_buyer' : 'unread_seller';
      const other = otherSide(side);
      const rows = await query<ChatRow>(
        `UPDATE ${chats} c
         SET ${read} = n.id - 1,
             ${unread} = (SELECT count(*) FROM ${messages} WHERE chat_id = c.id AND from_side = $2 AND id >= n.id)
         FROM (SELECT max(id) AS id FROM ${messages} WHERE chat_id = $1 AND from_side = $2) n
         WHERE c.id = $1 AND n.id IS NOT NULL AND c.${read} >= n.id
         RETURNING c.*`,
        [chatId, other],
      );
      if (rows[0]) return toChat(rows[0]);
      const found = await query<ChatRow>(`SELECT * FROM ${chats} WHERE id = $1`, [chatId]);
      return found[0] ? toChat(found[0]) : null;
    },

    async listReplies(sellerId) {
      const rows = await query<ReplyRow>(`SELECT id, text FROM ${s}.quick_replies WHERE seller_id = $1 ORDER BY id`, [sellerId]);
      return rows.map(toReply);
    },

    async saveReply(sellerId, reply) {
      if (reply.id !== undefined) {
        const rows = await query<ReplyRow>(`UPDATE ${s}.quick_replies SET text = $3 WHERE seller_id = $1 AND id = $2 RETURNING id, text`, [
          sellerId,
          bound(reply.id),
          reply.text,
        ]);
        return rows[0] ? toReply(rows[0]) : null;
      }
      const rows = await query<ReplyRow>(
        `INSERT INTO ${s}.quick_replies (seller_id, text, created_at)
         SELECT $1, $2, $3 WHERE (SELECT count(*) FROM ${s}.quick_replies WHERE seller_id = $1) < $4
         RETURNING id, text`,
        [sellerId, reply.text, Date.now(), MAX_REPLIES],
      );
      if (!rows[0]) throw new ReplyLimitError();
      return toReply(rows[0]);
    },

    async deleteReply(sellerId, id) {
      const rows = await query<ReplyRow>(`DELETE FROM ${s}.quick_replies WHERE seller_id = $1 AND id = $2 RETURNING id, text`, [sellerId, bound(id)]);
      return rows.length > 0;
    },

    async close() {
      if (closed) return;
      closed = true;
      // Queries already running finish first: pool.end() waits for checked-out clients.
      if (ownPool) await pool.end();
      else pool.removeListener('error', onPoolError);
    },

    /** Readiness: one round trip on the pool. */
    async ping() {
      await pool.query('SELECT 1');
    },
  };
}

interface BuyerRow {
  id: string;
  name: string;
  token_hash: string;
  created_at: string;
  external_id: string | null;
  email: string | null;
  guest: boolean;
}

interface ChatRow {
  id: string;
  seller_id: string;
  buyer_id: string;
  chatter: string;
  created_at: string;
  last_activity: string;
  last_message_id: number;
  read_buyer: number;
  read_seller: number;
  unread_buyer: number;
  unread_seller: number;
  closed_at: string | null;
  context: PageContext | null;
}

interface ReplyRow {
  id: string;
  text: string;
}

const toReply = (row: ReplyRow): QuickReply => ({ id: Number(row.id), text: row.text });

interface MessageRow {
  chat_id: string;
  id: number;
  from_side: Side;
  text: string;
  created_at: string;
  client_date: number;
  client_id: string | null;
  context: PageContext | null;
}

// pg returns bigint columns as strings; our ids and Unix-ms times stay far below 2^53.
function toBuyer(row: BuyerRow): Buyer {
  const buyer: Buyer = { id: Number(row.id), name: row.name, tokenHash: row.token_hash, createdAt: Number(row.created_at) };
  if (row.external_id !== null) buyer.externalId = row.external_id;
  if (row.email !== null) buyer.email = row.email;
  if (row.guest) buyer.guest = true;
  return buyer;
}

function toChat(row: ChatRow): Chat {
  const chat: Chat = {
    id: Number(row.id),
    sellerId: row.seller_id,
    buyerId: Number(row.buyer_id),
    chatter: row.chatter,
    createdAt: Number(row.created_at),
    lastActivity: Number(row.last_activity),
    lastMessageId: row.last_message_id,
    readIds: { buyer: row.read_buyer, seller: row.read_seller },
    unread: { buyer: row.unread_buyer, seller: row.unread_seller },
  };
  if (row.closed_at !== null) chat.closedAt = Number(row.closed_at);
  if (row.context) chat.context = row.context;
  return chat;
}

function toMessage(row: MessageRow): Message {
  const message: Message = {
    id: row.id,
    chatId: Number(row.chat_id),
    from: row.from_side,
    text: row.text,
    createdAt: Number(row.created_at),
    clientDate: row.client_date,
  };
  if (row.client_id !== null) message.clientId = row.client_id;
  if (row.context) message.context = row.context;
  return message;
}

/** Keeps a bound within bigint (and NaN out): ids are far inside that range anyway. */
const bound = (n: number): number => (n > 0 ? Math.min(n, Number.MAX_SAFE_INTEGER) : Math.max(n || 0, -Number.MAX_SAFE_INTEGER));

const otherSide = (side: Side): Side => (side === 'buyer' ? 'seller' : 'buyer');

/** A stable 32-bit key per schema name (FNV-1a), so stores on different schemas do not wait on each other. */
function hashKey(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash | 0;
}
