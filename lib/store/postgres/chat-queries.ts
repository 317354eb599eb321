/** The chats' and messages' part of the Store on PostgreSQL (appendMessage is append-batcher.ts). */
import { ChatOpenError, otherSide, type Message, type Side, type Store } from '../store.js';
import type { Database } from './database.js';
import { bound, toChat, toMessage, type ChatRow, type MessageRow } from './rows.js';

export function chatQueries(db: Database): Pick<Required<Store>, 'setChatContext' | 'openChat' | 'getChat' | 'listChats' | 'listMessages' | 'listRecentMessages' | 'markRead' | 'closeChat' | 'reopenChat' | 'markUnread'> {
  const chats = `${db.s}.chats`;
  const messages = `${db.s}.messages`;
  return {
    async setChatContext(chatId, context) {
      const rows = await db.query<ChatRow>(`UPDATE ${chats} SET context = $2 WHERE id = $1 RETURNING *`, [chatId, JSON.stringify(context)]);
      return rows[0] ? toChat(rows[0]) : null;
    },

    async openChat(input) {
      // Insert-or-find; the find misses only if the open chat was closed in between, so try again.
      for (;;) {
        const now = Date.now();
        const inserted = await db.query<ChatRow>(
          `INSERT INTO ${chats} (seller_id, buyer_id, chatter, created_at, last_activity)
           VALUES ($1, $2, $3, $4, $4)
           ON CONFLICT (buyer_id, seller_id) WHERE closed_at IS NULL DO NOTHING
           RETURNING *`,
          [input.sellerId, input.buyerId, input.chatter, now],
        );
        if (inserted[0]) return { chat: toChat(inserted[0]), created: true };
        const found = await db.query<ChatRow>(
          `SELECT * FROM ${chats} WHERE buyer_id = $1 AND seller_id = $2 AND closed_at IS NULL`,
          [input.buyerId, input.sellerId],
        );
        if (found[0]) return { chat: toChat(found[0]), created: false };
      }
    },

    async getChat(chatId) {
      const rows = await db.query<ChatRow>(`SELECT * FROM ${chats} WHERE id = $1`, [chatId]);
      return rows[0] ? toChat(rows[0]) : null;
    },

    async listChats(sellerId, options) {
      const limit = Math.floor(options.limit);
      if (!(limit > 0)) return [];
      const rows = await db.query<ChatRow>(
        `SELECT * FROM ${chats}
         WHERE seller_id = $1 ${options.includeClosed ? '' : 'AND closed_at IS NULL'}
         ORDER BY last_activity DESC, id DESC
         LIMIT $2`,
        [sellerId, limit],
      );
      return rows.map(toChat);
    },

    async listMessages(chatId, options) {
      const limit = Math.floor(options.limit);
      if (!(limit > 0)) return [];
      // Whole-number bounds meaning the same (id > 2.5 ⇔ id > 2; id < 3.5 ⇔ id < 4), compared as
      // integers so that the (chat_id, id) key serves the range: walked backwards, then ascending.
      const after = bound(Math.floor(options.after ?? 0));
      const before = options.before === undefined ? null : bound(Math.ceil(options.before));
      const rows = await db.query<MessageRow>(
        `SELECT * FROM (
           SELECT * FROM ${messages}
           WHERE chat_id = $1 AND id > $2::bigint AND ($3::bigint IS NULL OR id < $3::bigint)
           ORDER BY id DESC
           LIMIT $4
         ) newest ORDER BY id`,
        [chatId, after, before, limit],
      );
      return rows.map(toMessage);
    },

    async listRecentMessages(chatIds, options) {
      const limit = Math.floor(options.limit);
      if (!(limit > 0) || chatIds.length === 0) return chatIds.map(() => []);
      const ids = chatIds.map((id) => bound(Math.floor(id)));
      const after = chatIds.map((id) => bound(Math.floor(options.after?.get(id) ?? 0)));
      // One query for every chat: per chat, the newest `limit` by the (chat_id, id) key, walked
      // backwards, and sent as one JSON array per chat (parsed natively rather than field by field:
      // a seller's sign-in reads thousands of messages).
      const rows = await db.query<{ list: [number, Side, string, number, number, string | null][] }>(
        `SELECT m.list FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS q (chat_id, after, ord)
         CROSS JOIN LATERAL (
           SELECT coalesce(json_agg(json_build_array(r.id, r.from_side, r.text, r.created_at, r.client_date, r.client_id) ORDER BY r.id), '[]') AS list
           FROM (
             SELECT id, from_side, text, created_at, client_date, client_id FROM ${messages}
             WHERE chat_id = q.chat_id AND id > q.after
             ORDER BY id DESC
             LIMIT $3
           ) r
         ) m
         ORDER BY q.ord`,
        [ids, after, limit],
        'ahchat-recent',
      );
      return rows.map(({ list }, i) =>
        list.map(([id, from, text, createdAt, clientDate, clientId]) => {
          const message: Message = { id, chatId: ids[i]!, from, text, createdAt: Number(createdAt), clientDate };
          if (clientId !== null) message.clientId = clientId;
          return message;
        }),
      );
    },

    async markRead(chatId, side, messageId) {
      const read = side === 'buyer' ? 'read_buyer' : 'read_seller';
      const unread = side === 'buyer' ? 'unread_buyer' : 'unread_seller';
      return db.transaction(async (sql) => {
        // Lock first: the count below must see every message committed before the marker moves,
        // including one whose append was holding the chat row when we arrived.
        const locked = await sql<ChatRow>(`SELECT * FROM ${chats} WHERE id = $1 FOR UPDATE`, [chatId]);
        const row = locked[0];
        if (!row) return { value: null };
        const readId = Math.min(Math.floor(messageId), row.last_message_id);
        if (!(readId > row[read])) return { value: toChat(row) };
        const updated = await sql<ChatRow>(
          `UPDATE ${chats}
           SET ${read} = $2,
               ${unread} = (SELECT count(*) FROM ${messages} WHERE chat_id = $1 AND from_side = $3 AND id > $2)
           WHERE id = $1
           RETURNING *`,
          [chatId, readId, otherSide(side)],
        );
        return { value: toChat(updated[0]!) };
      });
    },

    async closeChat(chatId) {
      const closedNow = await db.query<ChatRow>(
        `UPDATE ${chats} SET closed_at = $2 WHERE id = $1 AND closed_at IS NULL RETURNING *`,
        [chatId, Date.now()],
      );
      if (closedNow[0]) return toChat(closedNow[0]);
      // Already closed (unchanged) or no such chat.
      const rows = await db.query<ChatRow>(`SELECT * FROM ${chats} WHERE id = $1`, [chatId]);
      return rows[0] ? toChat(rows[0]) : null;
    },

    async reopenChat(chatId) {
      try {
        const rows = await db.query<ChatRow>(`UPDATE ${chats} SET closed_at = NULL WHERE id = $1 AND closed_at IS NOT NULL RETURNING *`, [chatId]);
        if (rows[0]) return toChat(rows[0]);
      } catch (error) {
        // chats_open_pair: the buyer has another open chat with this seller.
        if ((error as { code?: string }).code === '23505') throw new ChatOpenError(chatId);
        throw error;
      }
      const rows = await db.query<ChatRow>(`SELECT * FROM ${chats} WHERE id = $1`, [chatId]);
      return rows[0] ? toChat(rows[0]) : null;
    },

    async markUnread(chatId, side) {
      const read = side === 'buyer' ? 'read_buyer' : 'read_seller';
      const unread = side === 'buyer' ? 'unread_buyer' : 'unread_seller';
      const other = otherSide(side);
      const rows = await db.query<ChatRow>(
        `UPDATE ${chats} c
         SET ${read} = n.id - 1,
             ${unread} = (SELECT count(*) FROM ${messages} WHERE chat_id = c.id AND from_side = $2 AND id >= n.id)
         FROM (SELECT max(id) AS id FROM ${messages} WHERE chat_id = $1 AND from_side = $2) n
         WHERE c.id = $1 AND n.id IS NOT NULL AND c.${read} >= n.id
         RETURNING c.*`,
        [chatId, other],
      );
      if (rows[0]) return toChat(rows[0]);
      const found = await db.query<ChatRow>(`SELECT * FROM ${chats} WHERE id = $1`, [chatId]);
      return found[0] ? toChat(found[0]) : null;
    },
  };
}
