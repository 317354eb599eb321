/** The buyers' part of the Store on PostgreSQL: sign-up, token and host-identity look-ups, renames. */
import type { Store } from '../store.js';
import type { Database } from './database.js';
import { toBuyer, type BuyerRow } from './rows.js';

export function buyerQueries(db: Database): Pick<Required<Store>, 'createBuyer' | 'getBuyer' | 'findBuyerByExternalId' | 'upsertBuyer' | 'updateBuyer' | 'findBuyerByTokenHash'> {
  const buyers = `${db.s}.buyers`;
  const chats = `${db.s}.chats`;
  return {
    async createBuyer(input) {
      const rows = await db.query<BuyerRow>(
        `INSERT INTO ${buyers} (name, token_hash, created_at, email, guest) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
        [input.name, input.tokenHash, Date.now(), input.email ?? null, input.guest === true],
      );
      return toBuyer(rows[0]!);
    },

    async getBuyer(buyerId) {
      const rows = await db.query<BuyerRow>(`SELECT * FROM ${buyers} WHERE id = $1`, [buyerId]);
      return rows[0] ? toBuyer(rows[0]) : null;
    },

    async findBuyerByExternalId(externalId) {
      const rows = await db.query<BuyerRow>(`SELECT * FROM ${buyers} WHERE external_id = $1`, [externalId]);
      return rows[0] ? toBuyer(rows[0]) : null;
    },

    async upsertBuyer(input) {
      return db.transaction(async (sql) => {
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
      return db.transaction(async (sql) => {
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

    async findBuyerByTokenHash(tokenHash) {
      const rows = await db.query<BuyerRow>(`SELECT * FROM ${buyers} WHERE token_hash = $1`, [tokenHash]);
      return rows[0] ? toBuyer(rows[0]) : null;
    },
  };
}
