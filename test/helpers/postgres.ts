/** The PostgreSQL that store and scale-out tests use, and throwaway schemas in it. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const testDatabaseUrl = process.env.AHCHAT_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** A pool on the test database; rejects with a message saying what to do when nobody answers. */
export async function connectTestDatabase(): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: testDatabaseUrl, connectionTimeoutMillis: 3000 });
  pool.on('error', () => {});
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => {});
    throw new Error(
      `PostgreSQL not reachable at ${testDatabaseUrl} — start it or set AHCHAT_TEST_DATABASE_URL (${(error as Error).message})`,
    );
  }
  return pool;
}

/** A schema name nobody else uses; drop it with dropSchema. */
export const freshSchemaName = (): string => `ahchat_test_${randomBytes(6).toString('hex')}`;

export async function dropSchema(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}
