/** One query in a transaction: what the migrations and the store's transactions are given. */
import type pg from 'pg';

export type Sql = <R extends pg.QueryResultRow>(text: string, values: unknown[]) => Promise<R[]>;
