/**
 * A Store on PostgreSQL, for running several AH Chat instances on one database (see docs/SCALE-OUT.md).
 *
 * - Schema: created on first use by versioned migrations (a `schema_migrations` table in the store's
 *   schema), or up front by `await store.migrate()`. Migrations run under a transaction-scoped advisory
 *   lock, so instances starting together apply each one exactly once.
 * - Group commit: appendMessage calls of one event-loop turn go to the database together, as one
 *   call of the `append_messages` function (one round trip, one statement, so one transaction), at
 *   most MAX_BATCH messages each and at most WRITE_BATCHES batches in flight; what arrives while
 *   they are all busy waits for the next one. Each promise resolves after the COMMIT that holds its
 *   message, and a batch that fails rejects exactly its own messages.
 * - Message ids: the function row-locks the batch's chats (in id order, so batches never deadlock),
 *   then numbers each chat's new messages from `chats.last_message_id` in arrival order and bumps
 *   it, so writers on any number of instances queue on a chat's row and get ids 1, 2, 3, … in
 *   commit order.
 * - clientId dedupe: looked up after the lock, so a message the lock's previous holder committed is
 *   seen and returned with duplicate: true (the same key twice in flight here shares one write); a
 *   unique constraint on (chat_id, from_side, client_id) backs it.
 * - CHAT_CLOSED: read under the same lock, so a close that committed first is always seen.
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
import { ChatClosedError, ChatOpenError, MAX_REPLIES, ReplyLimitError, StoreUnavailableError, searchWords, type Buyer, type Chat, type Message, type PageContext, type NewMessage, type QuickReply, type Side, type Store } from './store.js';

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

/** Most messages one append_messages call carries. */
const MAX_BATCH = 500;
/**
 * Batches in flight at once: enough to overlap one batch's round trip and commit with the next
 * one's work, few enough that under load messages gather into large batches (one transaction for
 * many), and that the pool keeps connections for reads.
 */
const WRITE_BATCHES = 3;

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
    name: 'append_messages: a batch of messages in one statement',
    // A function rather than one plain statement: after the lock, its next statement takes a new
    // snapshot (READ COMMITTED), so it sees what the lock's previous holder committed.
    sql: (s) => `
      CREATE FUNCTION ${s}.append_messages(
        p_chat bigint[], p_from text[], p_text text[], p_client_date double precision[], p_client_id text[], p_now bigint
      ) RETURNS TABLE (
        o_ord bigint, o_outcome text, o_chat_id bigint, o_id integer, o_from text, o_text text,
        o_created_at bigint, o_client_date double precision, o_client_id text
      ) LANGUAGE plpgsql AS $fn$
      BEGIN
        PERFORM 1 FROM ${s}.chats c WHERE c.id = ANY (p_chat) ORDER BY c.id FOR UPDATE;
        RETURN QUERY
        WITH input AS (
          SELECT t.ord, t.chat_id, t.from_side, t.text, t.client_date, t.client_id
          FROM unnest(p_chat, p_from, p_text, p_client_date, p_client_id)
            WITH ORDINALITY AS t (chat_id, from_side, text, client_date, client_id, ord)
        ),
        dup AS (
          SELECT i.ord, m.chat_id, m.id, m.from_side, m.text, m.created_at, m.client_date, m.client_id
          FROM input i JOIN ${s}.messages m
            ON m.chat_id = i.chat_id AND m.from_side = i.from_side AND m.client_id = i.client_id
        ),
        fresh AS (
          SELECT i.*, (c.last_message_id + row_number() OVER (PARTITION BY i.chat_id ORDER BY i.ord))::integer AS new_id,
                 greatest(c.last_activity, p_now) AS at
          FROM input i JOIN ${s}.chats c ON c.id = i.chat_id
          WHERE c.closed_at IS NULL AND NOT EXISTS (SELECT 1 FROM dup d WHERE d.ord = i.ord)
        ),
        stored AS (
          INSERT INTO ${s}.messages (chat_id, id, from_side, text, created_at, client_date, client_id)
          SELECT f.chat_id, f.new_id, f.from_side, f.text, f.at, f.client_date, f.client_id FROM fresh f
          RETURNING 1
        ),
        bumped AS (
          UPDATE ${s}.chats c
          SET last_message_id = c.last_message_id + b.n,
              last_activity = b.at,
              unread_seller = c.unread_seller + b.from_buyer,
              unread_buyer = c.unread_buyer + b.n - b.from_buyer
          FROM (
            SELECT f.chat_id, count(*)::integer AS n, max(f.at) AS at,
                   (count(*) FILTER (WHERE f.from_side = 'buyer'))::integer AS from_buyer
            FROM fresh f GROUP BY f.chat_id
          ) b
          WHERE c.id = b.chat_id
          RETURNING 1
        )
        SELECT f.ord, 'stored', f.chat_id, f.new_id, f.from_side, f.text, f.at, f.client_date, f.client_id FROM fresh f
        UNION ALL
        SELECT d.ord, 'duplicate', d.chat_id, d.id, d.from_side, d.text, d.created_at, d.client_date, d.client_id FROM dup d
        UNION ALL
        SELECT i.ord, CASE WHEN c.id IS NULL THEN 'missing' ELSE 'closed' END, i.chat_id, NULL, NULL, NULL, NULL, NULL, NULL
        FROM input i LEFT JOIN ${s}.chats c ON c.id = i.chat_id
        WHERE (c.id IS NULL OR c.closed_at IS NOT NULL) AND NOT EXISTS (SELECT 1 FROM dup d WHERE d.ord = i.ord);
      END
      $fn$;`,
  },
  {
    version: 4,
    name: 'host identities, e-mail, guests, page context',
    sql: (s) => `
      ALTER TABLE ${s}.buyers
        ADD COLUMN external_id text UNIQUE,
        ADD COLUMN email text,
        ADD COLUMN guest boolean NOT NULL DEFAULT false;
      ALTER TABLE ${s}.chats ADD COLUMN context jsonb;
      ALTER TABLE ${s}.messages ADD COLUMN context jsonb;`
      // The same batch with each message's page context (append_messages stays for older instances).
      + appendWithContext(s),
  },
];

/**
 * append_messages_context: migration 3's append_messages with one more array, each message's page
 * context (jsonb), stored with it and returned. Made from migration 3's own text, so the two cannot
 * drift apart in anything but the context.
 */
function appendWithContext(s: string): string {
  const base = MIGRATIONS.find((m) => m.version === 3)!.sql(s);
  const edits: Array<[string, string]> = [
    ['CREATE FUNCTION ' + s + '.append_messages(', 'CREATE FUNCTION ' + s + '.append_messages_context('],
    ['p_client_id text[], p_now bigint', 'p_client_id text[], p_context jsonb[], p_now bigint'],
    ['o_client_date double precision, o_client_id text', 'o_client_date double precision, o_client_id text, o_context jsonb'],
    ['t.client_date, t.client_id\n', 't.client_date, t.client_id, t.context\n'],
    ['unnest(p_chat, p_from, p_text, p_client_date, p_client_id)', 'unnest(p_chat, p_from, p_text, p_client_date, p_client_id, p_context)'],
    ['(chat_id, from_side, text, client_date, client_id, ord)', '(chat_id, from_side, text, client_date, client_id, context, ord)'],
    ['m.created_at, m.client_date, m.client_id\n', 'm.created_at, m.client_date, m.client_id, m.context\n'],
    ['(chat_id, id, from_side, text, created_at, client_date, client_id)', '(chat_id, id, from_side, text, created_at, client_date, client_id, context)'],
    ['f.at, f.client_date, f.client_id FROM fresh f\n          RETURNING', 'f.at, f.client_date, f.client_id, f.context FROM fresh f\n          RETURNING'],
    ["f.at, f.client_date, f.client_id FROM fresh f\n        UNION", "f.at, f.client_date, f.client_id, f.context FROM fresh f\n        UNION"],
    ['d.created_at, d.client_date, d.client_id FROM dup d', 'd.created_at, d.client_date, d.client_id, d.context FROM dup d'],
    ['NULL, NULL, NULL, NULL, NULL, NULL\n', 'NULL, NULL, NULL, NULL, NULL, NULL, NULL\n'],
  ];
  let sql = base;
  for (const [from, to] of edits) {
    if (!sql.includes(from)) throw new Error(`postgresStore: migration 4 cannot find ${JSON.stringify(from)} in migration 3`);
    sql = sql.replace(from, to);
  }
  return sql;
}

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
  async function run<R extends pg.QueryResultRow>(on: pg.Pool | pg.PoolClient, text: string, values: unknown[] = [], name?: string): Promise<R[]> {
    return (await on.query<R>({ text, values, query_timeout: clientTimeoutMs, ...(name ? { name } : {}) } as pg.QueryConfig)).rows;
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
  /** Prepared statements are per connection and a host's pool may serve several schemas: names carry the schema. */
  const statementTag = (lockKey >>> 0).toString(36);

  // ---- group commit of appendMessage ----
  interface Pending {
    input: NewMessage;
    resolve(result: { message: Message; duplicate: boolean }): void;
    reject(error: unknown): void;
  }
  const queue: Pending[] = [];
  let batchesInFlight = 0;
  /** The batches in flight, for close() to wait for. */
  const writing = new Set<Promise<void>>();
  let flushScheduled = false;
  /** Appends with a clientId queued or in flight, by chat, side and clientId: a second one shares the first's write. */
  const appending = new Map<string, Promise<{ message: Message; duplicate: boolean }>>();

  function scheduleFlush(): void {
    if (flushScheduled || queue.length === 0 || batchesInFlight >= WRITE_BATCHES) return;
    flushScheduled = true;
    // After the current turn: everything that arrived in it goes in the same batch.
    setImmediate(flush);
  }

  function flush(): void {
    flushScheduled = false;
    while (queue.length > 0 && batchesInFlight < WRITE_BATCHES) {
      const batch = queue.splice(0, MAX_BATCH);
      batchesInFlight++;
      const written: Promise<void> = writeBatch(batch).finally(() => {
        batchesInFlight--;
        writing.delete(written);
        scheduleFlush();
      });
      writing.add(written);
    }
  }

  const APPEND = `SELECT * FROM ${s}.append_messages_context($1::bigint[], $2::text[], $3::text[], $4::float8[], $5::text[], $6::jsonb[], $7::bigint)`;

  /** One round trip for the whole batch; settles every promise of it. */
  async function writeBatch(batch: Pending[]): Promise<void> {
    let rows: AppendRow[];
    try {
      rows = await query<AppendRow>(
        APPEND,
        [
          batch.map((p) => p.input.chatId),
          batch.map((p) => p.input.from),
          batch.map((p) => p.input.text),
          batch.map((p) => p.input.clientDate),
          batch.map((p) => p.input.clientId ?? null),
          batch.map((p) => (p.input.context ? JSON.stringify(p.input.context) : null)),
          Date.now(),
        ],
        'ahchat-append',
      );
    } catch (error) {
      // The database is away: every message of this batch fails, none is confirmed. Any other
      // error is one message's fault (an input the database refuses): each goes again on its own,
      // so the others are not refused with it.
      if (error instanceof StoreUnavailableError || batch.length === 1) {
        for (const p of batch) p.reject(error);
      } else {
        await Promise.all(batch.map((p) => writeBatch([p])));
      }
      return;
    }
    const byOrd = new Map<number, AppendRow>();
    for (const row of rows) byOrd.set(Number(row.o_ord), row);
    batch.forEach((p, i) => {
      const row = byOrd.get(i + 1);
      if (!row) return p.reject(new Error(`appendMessage: no answer for message ${i + 1} of a batch`));
      if (row.o_outcome === 'missing') return p.reject(new Error(`appendMessage: no chat with id ${p.input.chatId}`));
      if (row.o_outcome === 'closed') return p.reject(new ChatClosedError(p.input.chatId));
      const message: Message = {
        id: row.o_id!,
        chatId: Number(row.o_chat_id),
        from: row.o_from!,
        text: row.o_text!,
        createdAt: Number(row.o_created_at),
        clientDate: row.o_client_date!,
      };
      if (row.o_client_id !== null) message.clientId = row.o_client_id;
      if (row.o_context) message.context = row.o_context;
      p.resolve({ message, duplicate: row.o_outcome === 'duplicate' });
    });
  }

  function enqueue(input: NewMessage): Promise<{ message: Message; duplicate: boolean }> {
    // A copy: the caller may change its object while the message waits for its batch.
    const copy: NewMessage = { chatId: input.chatId, from: input.from, text: input.text, clientDate: input.clientDate };
    if (input.clientId !== undefined) copy.clientId = input.clientId;
    if (input.context !== undefined) copy.context = input.context;
    return new Promise((resolve, reject) => {
      queue.push({ input: copy, resolve, reject });
      scheduleFlush();
    });
  }

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

  /** `name`: a prepared statement (parsed once per connection), for the statements of the hot path. */
  async function query<R extends pg.QueryResultRow>(text: string, values: unknown[], name?: string): Promise<R[]> {
    await ensureReady();
    try {
      // pool.query destroys the client when the query fails with a connection error.
      const rows = await run<R>(pool, text, values, name ? `${name}-${statementTag}` : undefined);
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

    appendMessage(input) {
      // Queued at once (the batch's query waits for the migration), so that close() finds it.
      if (closed) return Promise.reject(new Error('postgresStore: the store is closed'));
      if (input.clientId === undefined) return enqueue(input);
      const key = `${input.chatId}\u0000${input.from}\u0000${input.clientId}`;
      const first = appending.get(key);
      // The same key already on its way: its write is this one's, as a duplicate.
      if (first) return first.then(({ message }) => ({ message: { ...message }, duplicate: true }));
      const write = enqueue(input);
      appending.set(key, write);
      const forget = () => {
        if (appending.get(key) === write) appending.delete(key);
      };
      write.then(forget, forget);
      return write;
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

    async listRecentMessages(chatIds, options) {
      const limit = Math.floor(options.limit);
      if (!(limit > 0) || chatIds.length === 0) return chatIds.map(() => []);
      const ids = chatIds.map((id) => bound(Math.floor(id)));
      const after = chatIds.map((id) => bound(Math.floor(options.after?.get(id) ?? 0)));
      // One query for every chat: per chat, the newest `limit` by the (chat_id, id) key, walked
      // backwards, and sent as one JSON array per chat (parsed natively rather than field by field:
      // a seller's sign-in reads thousands of messages).
      const rows = await query<{ list: [number, Side, string, number, number, string | null][] }>(
        `SELECT m.list FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS q (chat_id, after, ord)
         CROSS JOIN LATERAL (
           SELECT coalesce(json_agg(json_build_array(r.id, r.from_side, r.text, r.created_at, r.client_date, r.client_id) ORDER BY r.id), '[]') AS list
           FROM (
             SELECT id, from_side, text, created_at, client_date, client_id FROM ${messages}
             WHERE chat_id = q.chat_id AND id > q.after
             ORDER BY id DESC
             LIMIT $3
           ) r
         ) m
         ORDER BY q.ord`,
        [ids, after, limit],
        'ahchat-recent',
      );
      return rows.map(({ list }, i) =>
        list.map(([id, from, text, createdAt, clientDate, clientId]) => {
          const message: Message = { id, chatId: ids[i]!, from, text, createdAt: Number(createdAt), clientDate };
          if (clientId !== null) message.clientId = clientId;
          return message;
        }),
      );
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
      // Messages already accepted are written (or fail) before the pool goes.
      while (queue.length > 0 || writing.size > 0) {
        flush();
        await Promise.allSettled([...writing]);
      }
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

interface AppendRow {
  o_ord: string;
  o_outcome: 'stored' | 'duplicate' | 'closed' | 'missing';
  o_chat_id: string;
  o_id: number | null;
  o_from: Side | null;
  o_text: string | null;
  o_created_at: string | null;
  o_client_date: number | null;
  o_client_id: string | null;
  o_context: PageContext | null;
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
