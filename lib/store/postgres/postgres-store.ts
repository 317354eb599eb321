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
import { consoleLogger, type Logger } from '../../logger.js';
import { SettingChecks } from '../../wire/validate.js';
import type { Store } from '../store.js';
import { AppendBatcher } from './append-batcher.js';
import { buyerQueries } from './buyer-queries.js';
import { chatQueries } from './chat-queries.js';
import { Database } from './database.js';
import { inboxQueries } from './inbox-queries.js';

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

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

const check = new SettingChecks((name) => `postgresStore: options.${name}`, TypeError, RangeError);

export function postgresStore(options: PostgresStoreOptions): PostgresStore {
  if (options === null || typeof options !== 'object') throw new TypeError('postgresStore: options must be an object');
  const { connectionString, schema = 'ahchat' } = options;
  if ((connectionString === undefined) === (options.pool === undefined)) {
    throw new TypeError('postgresStore: give exactly one of options.connectionString and options.pool');
  }
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) check.fail('schema', 'a lower-case SQL identifier', schema);
  const connectionTimeoutMs = check.positiveInt('connectionTimeoutMs', options.connectionTimeoutMs, 5000, 'a positive integer (ms)');
  const queryTimeoutMs = check.positiveInt('queryTimeoutMs', options.queryTimeoutMs, 10_000, 'a positive integer (ms)');
  const logger = options.logger ?? consoleLogger;
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
  const db = new Database({ pool, ownPool, schema, queryTimeoutMs, logger });
  const batcher = new AppendBatcher(db);

  return {
    migrate: () => db.migrate(false),
    ...buyerQueries(db),
    ...chatQueries(db),
    ...inboxQueries(db),

    appendMessage(input) {
      // Queued at once (the batch's query waits for the migration), so that close() finds it.
      if (db.closed) return Promise.reject(new Error('postgresStore: the store is closed'));
      return batcher.append(input);
    },

    async close() {
      if (db.closed) return;
      // Messages already accepted are written (or fail) before the pool goes.
      await batcher.drain();
      await db.close();
    },

    /** Readiness: one round trip on the pool. */
    async ping() {
      await pool.query('SELECT 1');
    },
  };
}
