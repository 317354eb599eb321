/**
 * StoreState's ordered index of each seller's chats (what listChats reads instead of sorting):
 * checked against a plain sort of the same chats after every kind of change, for many chats.
 */
import { describe, expect, it } from 'vitest';
import { StoreState } from '../../lib/store/store-state.js';
import type { Chat } from '../../lib/store/store.js';

/** What listChats must return: the seller's chats sorted newest activity first, newer id first on a tie. */
function sorted(chats: Chat[], sellerId: string, limit: number, includeClosed = false): number[] {
  return chats
    .filter((c) => c.sellerId === sellerId && (includeClosed || c.closedAt === undefined))
    .sort((a, b) => b.lastActivity - a.lastActivity || b.id - a.id)
    .slice(0, limit)
    .map((c) => c.id);
}

describe('StoreState.listChats (ordered index)', () => {
  it('matches a full sort after messages, closes, equal times and a clock that steps back', () => {
    const state = new StoreState();
    const ids: number[] = [];
    // 3,000 chats over three sellers, created at a few distinct times (many ties).
    for (let i = 0; i < 3000; i++) ids.push(state.openChat({ buyerId: i + 1, sellerId: String(i % 3), chatter: `b${i}` }, 1000 + Math.floor(i / 100)).chat.id);
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    let now = 2000;
    for (let step = 0; step < 5000; step++) {
      const chatId = ids[random(ids.length)]!;
      const chat = state.getChat(chatId)!;
      if (step % 97 === 0 && chat.closedAt === undefined) {
        state.closeChat(chatId, now);
        continue;
      }
      if (chat.closedAt !== undefined) continue;
      // Mostly forward, sometimes the same millisecond, now and then a clock that stepped back.
      now += step % 13 === 0 ? -500 : random(3);
      state.appendMessage({ chatId, from: step % 2 ? 'buyer' : 'seller', text: 'x', clientDate: now }, now);
      if (step % 500 === 0) {
        const all = ids.map((id) => state.getChat(id)!);
        for (const sellerId of ['0', '1', '2']) {
          expect(state.listChats(sellerId, { limit: 50 }).map((c) => c.id)).toEqual(sorted(all, sellerId, 50));
          expect(state.listChats(sellerId, { limit: 2000, includeClosed: true }).map((c) => c.id)).toEqual(sorted(all, sellerId, 2000, true));
        }
      }
    }
    const all = ids.map((id) => state.getChat(id)!);
    expect(state.listChats('1', { limit: 5000, includeClosed: true }).map((c) => c.id)).toEqual(sorted(all, '1', 5000, true));
    expect(state.listChats('1', { limit: 5000 }).map((c) => c.id)).toEqual(sorted(all, '1', 5000));
    expect(state.listChats('nobody', { limit: 10 })).toEqual([]);
  });

  it('leaves out what `include` refuses and still returns `limit` chats, asking only as far as needed', () => {
    const state = new StoreState();
    for (let i = 0; i < 100; i++) state.openChat({ buyerId: i + 1, sellerId: '10', chatter: `b${i}` }, i);
    const asked: number[] = [];
    const chats = state.listChats('10', { limit: 5 }, (chat) => {
      asked.push(chat.id);
      return chat.id % 2 === 0;
    });
    expect(chats.map((c) => c.id)).toEqual([100, 98, 96, 94, 92]);
    expect(asked).toEqual([100, 99, 98, 97, 96, 95, 94, 93, 92]);
  });

  it('gives copies: changing one changes neither the store nor its order', () => {
    const state = new StoreState();
    state.openChat({ buyerId: 1, sellerId: '10', chatter: 'a' }, 1);
    state.openChat({ buyerId: 2, sellerId: '10', chatter: 'b' }, 2);
    const [top] = state.listChats('10', { limit: 1 });
    top!.lastActivity = 0;
    expect(state.listChats('10', { limit: 2 }).map((c) => [c.id, c.lastActivity])).toEqual([
      [2, 2],
      [1, 1],
    ]);
  });
});
