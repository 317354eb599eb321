/** What the widget keeps in localStorage, per server and per buyer-of-seller or seller, and that refused storage never throws. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Preferences } from '../../widget/preferences.js';

function stubStorage(fail = false): Map<string, string> {
  const items = new Map<string, string>();
  const refuse = () => {
    throw new DOMException('refused', 'SecurityError');
  };
  vi.stubGlobal('localStorage', {
    getItem: (key: string) => (fail ? refuse() : (items.get(key) ?? null)),
    setItem: (key: string, value: string) => (fail ? refuse() : void items.set(key, value)),
    removeItem: (key: string) => (fail ? refuse() : void items.delete(key)),
  });
  return items;
}

afterEach(() => vi.unstubAllGlobals());

describe('Preferences', () => {
  it('keys each value by server and by who the widget is; null removes it', () => {
    const items = stubStorage();
    const buyer = new Preferences('ws://chat.test/ahchat', 'buyer:10');
    const other = new Preferences('ws://chat.test/ahchat', 'buyer:11');
    buyer.write('token', 'tok');
    expect([...items.keys()]).toEqual(['ahchat:ws://chat.test/ahchat:buyer:10:token']);
    expect(buyer.read('token')).toBe('tok');
    expect(other.read('token')).toBeNull();
    buyer.write('token', null);
    expect(items.size).toBe(0);
  });

  it('restores the outbox: well-formed items only, their retries counted anew; anything unreadable is an empty outbox', () => {
    const items = stubStorage();
    const prefs = new Preferences('ws://chat.test/ahchat', 'buyer:10');
    const good = { clientId: 'c1', chatId: 7, text: 'hi', clientDate: 1, retries: 4 };
    prefs.write('outbox', JSON.stringify([good, { clientId: 2, chatId: 7 }, null]));
    expect(prefs.outbox()).toEqual([{ ...good, retries: 0 }]);
    items.set('ahchat:ws://chat.test/ahchat:buyer:10:outbox', '{not json');
    expect(prefs.outbox()).toEqual([]);
    prefs.write('outbox', JSON.stringify({ clientId: 'c1' }));
    expect(prefs.outbox()).toEqual([]);
  });

  it('never throws where storage is refused (private mode, sandboxed frames): nothing is remembered', () => {
    stubStorage(true);
    const prefs = new Preferences('ws://chat.test/ahchat', 'seller:10');
    expect(() => prefs.write('sound', '0')).not.toThrow();
    expect(prefs.read('sound')).toBeNull();
    expect(prefs.outbox()).toEqual([]);
    // Without localStorage at all (Node, some embedded browsers) the same.
    vi.unstubAllGlobals();
    expect(prefs.read('notify')).toBeNull();
  });
});
