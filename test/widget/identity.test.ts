/** The widget's side of issue 16 that needs no browser: options, and what the state keeps. */
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../widget/options.js';
import { initialState, reducer, type Action } from '../../widget/state.js';

const KETTLE = { title: 'Blue kettle', url: 'https://shop.example/kettle' };

describe('options', () => {
  it('lets a seller the shop identifies (identified, or a signed identity) go without a token', () => {
    expect(resolveOptions({ url: 'ws://h', id: 10, identified: true })).toMatchObject({ role: 'seller', who: 'seller:10' });
    expect(resolveOptions({ url: 'ws://h', id: 10, identity: () => 'signed' })).toMatchObject({ role: 'seller' });
    expect(() => resolveOptions({ url: 'ws://h', id: 10 })).toThrow('AHChat: options.token is required with options.id');
    expect(resolveOptions({ url: 'ws://h', sellerId: 10, identified: true, context: KETTLE, askEmail: 'required', nameRequired: false })).toMatchObject({
      role: 'buyer',
      context: KETTLE,
    });
  });
});

describe('state', () => {
  const auth = (data: object): Action => ({ type: 'auth', data: { name: 'Guest 1234', chats: [], ...data } as never });
  it('keeps the guest mark from the auth answer until the guest gives a name', () => {
    const guest = [auth({ chatId: 7, guest: true, chats: [] })].reduce(reducer, initialState('buyer'));
    expect(guest.guest).toBe(true);
    expect(reducer(guest, { type: 'set', patch: { guest: false } }).guest).toBe(false);
    expect([auth({ chatId: 7, chats: [] })].reduce(reducer, initialState('buyer')).guest).toBeUndefined();
  });

  it("keeps a chat's page context and each message's (the seller's card and markers)", () => {
    const wire = { id: 7, chatter: 'Ann', sellerId: 10, online: true, more: false, unread: 0, readId: 0, context: KETTLE,
      messages: [{ id: 1, chatId: 7, text: 'hi', date: 1, my: false, context: KETTLE }] };
    const seller = [auth({ chats: [wire] })].reduce(reducer, initialState('seller'));
    expect(seller.chats[7]?.context).toEqual(KETTLE);
    expect(seller.chats[7]?.messages[0]?.context).toEqual(KETTLE);
    const pushed = reducer(seller, { type: 'message', message: { id: 2, chatId: 7, text: 'and?', date: 2, my: false, context: { ...KETTLE, title: 'Red' } } });
    expect(pushed.chats[7]?.messages.map((m) => m.context?.title)).toEqual(['Blue kettle', 'Red']);
  });
});
