/** The store's schema: versioned migrations, applied in order under an advisory lock. */
import type { Sql } from './sql.js';

/** Two-key advisory lock namespace: "AHCH" in ASCII, so our lock does not collide with the host's. */
export const LOCK_NAMESPACE = 0x41484348;

/** Each migration runs once, in order, inside the migrating transaction. `s` is the quoted schema. */
export const MIGRATIONS: { version: number; name: string; sql: (s: string) => string }[] = [
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

/**
 * Brings the schema up to the latest version, inside the caller's transaction: under a
 * transaction-scoped advisory lock, so instances starting together apply each migration exactly once.
 * `s` is the quoted schema, `lockKey` the schema's own key in LOCK_NAMESPACE.
 */
export async function applyMigrations(sql: Sql, schema: string, s: string, lockKey: number): Promise<void> {
  await sql('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, lockKey]);
  await sql(`CREATE SCHEMA IF NOT EXISTS ${s}`, []);
  await sql(
    `CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
       version integer PRIMARY KEY,
       name text NOT NULL,
       applied_at timestamptz NOT NULL DEFAULT now()
     )`,
    [],
  );
  const rows = await sql<{ version: number }>(`SELECT coalesce(max(version), 0) AS version FROM ${s}.schema_migrations`, []);
  const current = rows[0]!.version;
  const latest = MIGRATIONS[MIGRATIONS.length - 1]!.version;
  if (current > latest) {
    throw new Error(`postgresStore: schema ${schema} is at version ${current}, newer than this AH Chat knows (${latest}); upgrade AH Chat`);
  }
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue;
    await sql(migration.sql(s), []);
    await sql(`INSERT INTO ${s}.schema_migrations (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
  }
}
