/** findChats by a scan of a seller's chats in activity order (StoreState's inbox search). */
import { searchWords, type ChatCursor, type Chat, type FindChatsOptions, type Message } from './store.js';

/** How many messages a search reads, at most, for one page (the bound of the scan). */
const SEARCH_SCAN = 20_000;

/**
 * Chats of `records` (the seller's open or closed chats in activity order, from the cursor on) that
 * match the filter and query, until the page is full or SEARCH_SCAN messages were read (then the
 * page ends early, with a cursor to go on from). Returns the stored chats: the caller copies them.
 */
export function searchChats(
  records: Iterable<{ chat: Chat; messages: Message[] }>,
  options: FindChatsOptions,
): { chats: Chat[]; next: ChatCursor | null } {
  const limit = Math.floor(options.limit);
  if (!(limit > 0)) return { chats: [], next: null };
  const { filter, after } = options;
  const query = options.query?.trim().toLowerCase() ?? '';
  const words = searchWords(query);
  const chats: Chat[] = [];
  const page = (next: Chat | null) => ({ chats, next: next && { lastActivity: next.lastActivity, id: next.id } });
  let scanned = 0;
  let examined: Chat | null = null;
  for (const { chat, messages } of records) {
    if (after && (chat.lastActivity > after.lastActivity || (chat.lastActivity === after.lastActivity && chat.id >= after.id))) continue;
    // The bound: go on from the last chat looked at, next time.
    if (scanned >= SEARCH_SCAN) return page(examined);
    examined = chat;
    if (chat.lastMessageId === 0) continue;
    const closed = chat.closedAt !== undefined;
    if (filter === 'closed' ? !closed : closed) continue;
    if (filter === 'unread' && chat.unread.seller === 0) continue;
    if (filter === 'waiting' && messages[messages.length - 1]?.from !== 'buyer') continue;
    if (query && !chat.chatter.toLowerCase().includes(query)) {
      if (words.length === 0) continue;
      let found = false;
      for (let i = messages.length - 1; i >= 0 && !found; i--) found = matches((messages[i] as Message).text, words);
      scanned += messages.length;
      if (!found) continue;
    }
    // One more match than fits: there is a next page.
    if (chats.length === limit) return page(chats[limit - 1] as Chat);
    chats.push(chat);
  }
  return page(null);
}

/** Whether every search word starts one of the words of the text. */
function matches(text: string, words: string[]): boolean {
  const own = searchWords(text);
  return words.every((w) => own.some((o) => o.startsWith(w)));
}
