/**
 * Standalone server processes on one throwaway PostgreSQL schema and data directory, shared by the
 * tests of a file and torn down after them all: the set-up of the suites that break what lies under
 * real instances (PostgreSQL backends, Redis).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { TestClient } from './client.js';
import { connectTestDatabase, dropSchema, freshSchemaName, testDatabaseUrl } from './postgres.js';
import { type ServerProcess, startServerProcess } from './server-process.js';

/** The one page origin the suite's servers allow. */
export const SHOP_ORIGIN = 'http://shop.example';

export function useStandaloneSuite(dirPrefix: string) {
  const schema = freshSchemaName();
  const dataDir = mkdtempSync(join(tmpdir(), dirPrefix));
  const servers: ServerProcess[] = [];
  const clients: TestClient[] = [];
  let database: pg.Pool | undefined;

  beforeAll(async () => {
    database = await connectTestDatabase();
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await Promise.all(servers.map((s) => s.kill('SIGKILL')));
    if (database) {
      await dropSchema(database, schema);
      await database.end();
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  return {
    schema,
    dataDir,
    servers,
    /** A pool on the test database (an admin's view of the servers' schema). */
    get database(): pg.Pool {
      if (!database) throw new Error('useStandaloneSuite: no database outside the suite');
      return database;
    },
    /** Starts a server on the suite's schema and data directory; `env` adds to (or overrides) that. */
    async start(env: Record<string, string> = {}): Promise<ServerProcess> {
      const server = await startServerProcess({
        AHCHAT_DATABASE_URL: testDatabaseUrl,
        AHCHAT_DATABASE_SCHEMA: schema,
        AHCHAT_DB: dataDir,
        AHCHAT_ORIGINS: SHOP_ORIGIN,
        ...env,
      });
      servers.push(server);
      return server;
    },
    /** A socket to server from the shop's page, closed after the suite. */
    async connect(server: ServerProcess): Promise<TestClient> {
      const client = await TestClient.connect(`ws://127.0.0.1:${server.port}/ahchat`, { origin: SHOP_ORIGIN });
      clients.push(client);
      return client;
    },
  };
}
