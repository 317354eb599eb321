/**
 * postgresStore.listChats for a seller with 100,000 chats: the query the store sends is answered by
 * an index scan in activity order that stops at the limit (no sort of the seller's chats), with and
 * without closed chats. Checked on the plan PostgreSQL chooses, with real data and statistics.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresStore, type PostgresStore } from '../../../lib/store/postgres/postgres-store.js';
import { connectTestDatabase, dropSchema, freshSchemaName } from '../../helpers/postgres.js';

const CHATS = 100_000;
const schema = freshSchemaName();
let admin: pg.Pool;
let store: PostgresStore;
let pool: pg.Pool;
/** The store's own queries, as sent. */
const sent: { text: string; values: unknown[] }[] = [];

beforeAll(async () => {
  admin = await connectTestDatabase();
  // The store on a pool that records what it is asked.
  pool = new pg.Pool({ connectionString: process.env.AHCHAT_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test' });
  pool.on('error', () => {});
  // The store sends either (text, values) or a query config ({ text, values, query_timeout }).
  type Sent = string | { text: string; values?: unknown[] };
  const query = pool.query.bind(pool) as (q: Sent, values?: unknown[]) => Promise<pg.QueryResult>;
  (pool as unknown as { query: typeof query }).query = (q: Sent, values?: unknown[]) => {
    sent.push(typeof q === 'string' ? { text: q, values: values ?? [] } : { text: q.text, values: q.values ?? [] });
    return query(q, values);
  };
  store = postgresStore({ pool, schema });
  await store.migrate();
  const s = `"${schema}"`;
  await admin.query(`INSERT INTO ${s}.buyers (name, token_hash, created_at) SELECT 'b' || i, 'h' || i, i FROM generate_series(1, ${CHATS}) i`);
  // Seller 10: 100,000 chats, a third of them closed; other sellers a few each.
  await admin.query(
    `INSERT INTO ${s}.chats (seller_id, buyer_id, chatter, created_at, last_activity, closed_at)
     SELECT CASE WHEN i % 50 = 0 THEN 's' || (i % 7) ELSE '10' END, i, 'b' || i, i, (i * 7919) % ${CHATS} + 1, CASE WHEN i % 3 = 0 THEN i END
     FROM generate_series(1, ${CHATS}) i`,
  );
  await admin.query(`ANALYZE ${s}.chats`);
}, 60_000);

afterAll(async () => {
  await store?.close();
  await pool?.end();
  if (admin) {
    await dropSchema(admin, schema);
    await admin.end();
  }
});

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)];

describe.each([false, true])('postgresStore.listChats (includeClosed: %s) for a seller with 100,000 chats', (includeClosed) => {
  it('is an index scan in activity order under the LIMIT, no sort', async () => {
    sent.length = 0;
    const chats = await store.listChats('10', { limit: 200, includeClosed });
    expect(chats).toHaveLength(200);
    const activity = chats.map((c) => c.lastActivity);
    expect(activity).toEqual([...activity].sort((a, b) => b - a));
    const listing = sent.find((q) => /ORDER BY last_activity DESC/.test(q.text))!;
    expect(listing).toBeDefined();

    const { rows } = await admin.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${listing.text}`, listing.values);
    const plan = rows[0]['QUERY PLAN'][0].Plan as PlanNode;
    const all = nodes(plan);
    expect(plan['Node Type']).toBe('Limit');
    expect(all.map((n) => n['Node Type'])).not.toContain('Sort');
    const scan = all.find((n) => n['Node Type'] === 'Index Scan');
    expect(scan?.['Index Name']).toBe('chats_seller_activity');
    // It stopped at the limit: 200 rows out, and (open chats only) the closed ones among them
    // skipped, not the seller's 98,000 chats read.
    expect(scan?.['Actual Rows']).toBe(200);
    expect(scan?.['Rows Removed by Filter'] ?? 0).toBeLessThan(includeClosed ? 1 : 200);
  });
});
