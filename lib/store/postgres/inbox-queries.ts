/** The seller's inbox on PostgreSQL: findChats (filters, search by name and message words) and quick replies. */
import { MAX_REPLIES, ReplyLimitError, searchWords, type Store } from '../store.js';
import type { Database } from './database.js';
import { bound, toChat, toReply, type ChatRow, type ReplyRow } from './rows.js';

export function inboxQueries(db: Database): Pick<Required<Store>, 'findChats' | 'listReplies' | 'saveReply' | 'deleteReply'> {
  const chats = `${db.s}.chats`;
  const messages = `${db.s}.messages`;
  return {
    async findChats(sellerId, options) {
      const limit = Math.floor(options.limit);
      if (!(limit > 0)) return { chats: [], next: null };
      const search = options.query?.trim().toLowerCase() ?? '';
      const words = searchWords(search);
      const where = [`c.seller_id = $1`, `c.last_message_id > 0`];
      const values: unknown[] = [sellerId];
      const add = (value: unknown) => `$${values.push(value)}`;
      where.push(options.filter === 'closed' ? 'c.closed_at IS NOT NULL' : 'c.closed_at IS NULL');
      if (options.filter === 'unread') where.push('c.unread_seller > 0');
      if (options.filter === 'waiting') {
        where.push(`EXISTS (SELECT 1 FROM ${messages} m WHERE m.chat_id = c.id AND m.id = c.last_message_id AND m.from_side = 'buyer')`);
      }
      if (options.after) where.push(`(c.last_activity, c.id) < (${add(options.after.lastActivity)}::bigint, ${add(options.after.id)}::bigint)`);
      if (search) {
        const name = `lower(c.chatter) LIKE ${add(`%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)}`;
        // Served by messages_text_search: the words as prefixes (they hold letters and digits only).
        const text = words.length
          ? ` OR c.id IN (SELECT m.chat_id FROM ${messages} m WHERE to_tsvector('simple', m.text) @@ to_tsquery('simple', ${add(words.map((w) => `${w}:*`).join(' & '))}))`
          : '';
        where.push(`(${name}${text})`);
      }
      const rows = await db.query<ChatRow>(
        `SELECT c.* FROM ${chats} c WHERE ${where.join(' AND ')} ORDER BY c.last_activity DESC, c.id DESC LIMIT ${add(limit + 1)}`,
        values,
      );
      const more = rows.length > limit;
      const page = rows.slice(0, limit).map(toChat);
      const last = page[page.length - 1];
      return { chats: page, next: more && last ? { lastActivity: last.lastActivity, id: last.id } : null };
    },

    async listReplies(sellerId) {
      const rows = await db.query<ReplyRow>(`SELECT id, text FROM ${db.s}.quick_replies WHERE seller_id = $1 ORDER BY id`, [sellerId]);
      return rows.map(toReply);
    },

    async saveReply(sellerId, reply) {
      if (reply.id !== undefined) {
        const rows = await db.query<ReplyRow>(`UPDATE ${db.s}.quick_replies SET text = $3 WHERE seller_id = $1 AND id = $2 RETURNING id, text`, [
          sellerId,
          bound(reply.id),
          reply.text,
        ]);
        return rows[0] ? toReply(rows[0]) : null;
      }
      const rows = await db.query<ReplyRow>(
        `INSERT INTO ${db.s}.quick_replies (seller_id, text, created_at)
         SELECT $1, $2, $3 WHERE (SELECT count(*) FROM ${db.s}.quick_replies WHERE seller_id = $1) < $4
         RETURNING id, text`,
        [sellerId, reply.text, Date.now(), MAX_REPLIES],
      );
      if (!rows[0]) throw new ReplyLimitError();
      return toReply(rows[0]);
    },

    async deleteReply(sellerId, id) {
      const rows = await db.query<ReplyRow>(`DELETE FROM ${db.s}.quick_replies WHERE seller_id = $1 AND id = $2 RETURNING id, text`, [sellerId, bound(id)]);
      return rows.length > 0;
    },
  };
}
