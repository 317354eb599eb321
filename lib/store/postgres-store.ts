// The PostgreSQL store is postgres/postgres-store.ts; this path stays for the modules and tests that import it.
export { postgresStore, type PostgresStore, type PostgresStoreOptions } from './postgres/postgres-store.js';
