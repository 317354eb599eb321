/**
 * The store's hold on PostgreSQL: statements on the pool or in a transaction, each bounded by a
 * client-side timeout; the migration run once before the first query; and the fault handling. No
 * error of a pooled or checked-out client can crash the process (listeners on the pool and on every
 * client while we hold it). A lost connection, a refused one or a timeout becomes
 * StoreUnavailableError (the client gets INTERNAL_ERROR); a broken client is destroyed, not reused.
 * One log line per outage, one when the database answers again.
 */
import type pg from 'pg';
import type { Logger } from '../../logger.js';
import { OutageLog } from '../../outage-log.js';
import { StoreUnavailableError } from '../store.js';
import { applyMigrations } from './migrations.js';
import { hashKey } from './rows.js';
import type { Sql } from './sql.js';

/** Runs one statement (in a transaction: on its client). */

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

export interface DatabaseOptions {
  pool: pg.Pool;
  /** Whether the store made the pool (and ends it on close). */
  ownPool: boolean;
  /** The schema's name (a checked lower-case identifier). */
  schema: string;
  queryTimeoutMs: number;
  logger: Logger;
}

export class Database {
  readonly pool: pg.Pool;
  /** The quoted schema, for statements. */
  readonly s: string;
  #schema: string;
  #ownPool: boolean;
  #clientTimeoutMs: number;
  #outage: OutageLog;
  #lockKey: number;
  /** Prepared statements are per connection and a host's pool may serve several schemas: names carry the schema. */
  #statementTag: string;
  #onPoolError: (error: Error) => void;
  #ready: Promise<void> | null = null;
  #closed = false;

  constructor(options: DatabaseOptions) {
    this.pool = options.pool;
    this.#schema = options.schema;
    this.s = `"${options.schema}"`;
    this.#ownPool = options.ownPool;
    this.#clientTimeoutMs = options.queryTimeoutMs + CLIENT_TIMEOUT_SLACK_MS;
    this.#outage = new OutageLog(options.logger, 'postgresStore: PostgreSQL', 'requests answer INTERNAL_ERROR until it is back');
    this.#lockKey = hashKey(options.schema);
    this.#statementTag = (this.#lockKey >>> 0).toString(36);
    // An idle client that loses its connection emits 'error' on the pool; unheard, that kills the
    // process. The pool already dropped the client, and the next query opens a new one.
    this.#onPoolError = (error: Error) => this.#outage.failed(describe(error));
    this.pool.on('error', this.#onPoolError);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** `name`: a prepared statement (parsed once per connection), for the statements of the hot path. */
  async query<R extends pg.QueryResultRow>(text: string, values: unknown[], name?: string): Promise<R[]> {
    await this.#ensureReady();
    try {
      // pool.query destroys the client when the query fails with a connection error.
      const rows = await this.#run<R>(this.pool, text, values, name ? `${name}-${this.#statementTag}` : undefined);
      this.#outage.recovered();
      return rows;
    } catch (error) {
      throw this.#unavailable(error);
    }
  }

  /**
   * Runs fn in a transaction on one client. fn returns rollback: true to undo its writes and give
   * back its value anyway; a throw rolls back and rethrows.
   */
  async transaction<T>(fn: (sql: Sql) => Promise<{ value: T; rollback?: boolean }>): Promise<T> {
    await this.#ensureReady();
    return this.#inTransaction(true, fn);
  }

  /** Creates or upgrades the tables now. `log`: false when the caller reports the failure itself. */
  async migrate(log = true): Promise<void> {
    if (this.#closed) throw new Error('postgresStore: the store is closed');
    await this.#migrate(log);
    this.#ready = Promise.resolve();
  }

  /** After every pending write: no query from now on; a pool the store made is ended. */
  async close(): Promise<void> {
    this.#closed = true;
    // Queries already running finish first: pool.end() waits for checked-out clients.
    if (this.#ownPool) await this.pool.end();
    else this.pool.removeListener('error', this.#onPoolError);
  }

  #migrate(log: boolean): Promise<void> {
    return this.#inTransaction(log, async (sql) => {
      await applyMigrations(sql, this.#schema, this.s, this.#lockKey);
      return { value: undefined };
    });
  }

  /** Runs the migration once per store; a failed one is retried by the next call. */
  #ensureReady(): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('postgresStore: the store is closed'));
    this.#ready ??= this.#migrate(true).catch((error: unknown) => {
      this.#ready = null;
      throw error;
    });
    return this.#ready;
  }

  async #inTransaction<T>(log: boolean, fn: (sql: Sql) => Promise<{ value: T; rollback?: boolean }>): Promise<T> {
    const { client, release } = await this.#checkOut(log);
    let broken: Error | undefined;
    try {
      await this.#run(client, 'BEGIN');
      const { value, rollback } = await fn((text, values) => this.#run(client, text, values));
      await this.#run(client, rollback ? 'ROLLBACK' : 'COMMIT');
      this.#outage.recovered();
      return value;
    } catch (error) {
      // A killed backend (e.g. while this waited on a chat's row lock) fails the ROLLBACK too.
      await this.#run(client, 'ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw this.#unavailable(error, log);
    } finally {
      // A client whose ROLLBACK failed is in an unknown state: destroy it rather than reuse it.
      release(broken);
    }
  }

  /** A failure of the database itself becomes StoreUnavailableError (logged once per outage); others pass. */
  #unavailable(error: unknown, log = true): unknown {
    if (error instanceof StoreUnavailableError || !isUnavailable(error)) return error;
    if (log) this.#outage.failed(describe(error));
    return new StoreUnavailableError(`postgresStore: database unavailable: ${describe(error)}`, { cause: error });
  }

  /** Runs one statement on a client we hold (or the pool), bounded by the client-side timeout. */
  async #run<R extends pg.QueryResultRow>(on: pg.Pool | pg.PoolClient, text: string, values: unknown[] = [], name?: string): Promise<R[]> {
    return (await on.query<R>({ text, values, query_timeout: this.#clientTimeoutMs, ...(name ? { name } : {}) } as pg.QueryConfig)).rows;
  }

  /**
   * A client of our own for a transaction. While we hold it the pool does not listen to it, and an
   * unheard 'error' (the backend killed, the socket reset) would crash the process: we listen, and
   * a client that failed is destroyed on release instead of going back to the pool.
   */
  async #checkOut(log: boolean): Promise<{ client: pg.PoolClient; release(error?: Error): void }> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw this.#unavailable(error, log);
    }
    let failure: Error | undefined;
    const onError = (error: Error) => {
      failure ??= error;
      this.#outage.failed(describe(error));
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
}
