/**
 * `ah-chat/postgres`: the PostgreSQL store. A separate entry so that `pg` (an optional peer
 * dependency) is loaded only by hosts that use it.
 */
export { postgresStore, type PostgresStore, type PostgresStoreOptions } from './store/postgres/postgres-store.js';
