/**
 * lib/wire/parse.ts on its own: parseFrame turns one text frame into a request or the exact error
 * code to answer with (and the command and clientId that answer names), without ever throwing.
 */
import { describe, expect, it } from 'vitest';
import { hasVisible, isEmail, isName, LATEST_PROTOCOL, MAX_COMBINING_RUN, MAX_NAME, parseFrame, protocolFor, toWireSellerId } from '../../lib/wire/index.js';

const parse = (command: string, data?: unknown) => parseFrame(JSON.stringify(data === undefined ? { command } : { command, data }));
const message = (data: Record<string, unknown>) => parse('message', { chatId: 7, text: 'hi', clientDate: 1, ...data });

describe('parseFrame: the frame itself', () => {
  it.each([
    ['not JSON', '{"command":'],
    ['JSON but not an object', '"auth"'],
    ['an array', '[{"command":"auth"}]'],
    ['null', 'null'],
    ['no command', '{"data":{}}'],
    ['a command that is no string', '{"command":7}'],
    ['a command over 32 characters', JSON.stringify({ command: 'x'.repeat(33) })],
  ])('%s: BAD_REQUEST, answered as command "error"', (_, raw) => {
    expect(parseFrame(raw)).toEqual({ ok: false, command: 'error', error: 'BAD_REQUEST' });
  });

  it('an unknown command: UNKNOWN_COMMAND under its own name, inherited names included', () => {
    for (const command of ['hello', 'x'.repeat(32), '__proto__', 'toString', 'constructor', 'hasOwnProperty', 'AUTH']) {
      expect(parse(command, {}), command).toEqual({ ok: false, command, error: 'UNKNOWN_COMMAND' });
    }
  });

  it('data that is not an object: BAD_REQUEST under the command; absent or null data counts as {}', () => {
    for (const data of [[], 'x', 3, true]) expect(parse('typing', data), JSON.stringify(data)).toEqual({ ok: false, command: 'typing', error: 'BAD_REQUEST' });
    expect(parse('replies')).toEqual({ ok: true, request: { command: 'replies', data: {} } });
    expect(parseFrame('{"command":"replies","data":null}')).toEqual({ ok: true, request: { command: 'replies', data: {} } });
    expect(parse('typing')).toEqual({ ok: false, command: 'typing', error: 'CHAT_ID_IS_REQUIRED' });
  });
});

describe('parseFrame: message', () => {
  it('parses a message, dropping fields it does not know (my, id, date of the original client)', () => {
    expect(message({ my: true, id: 0, date: 0, clientId: 'c1' })).toEqual({
      ok: true,
      request: { command: 'message', data: { chatId: 7, text: 'hi', clientDate: 1, clientId: 'c1' } },
    });
  });

  it.each([
    [{ chatId: undefined }, 'CHAT_ID_IS_REQUIRED'],
    [{ chatId: null }, 'CHAT_ID_IS_REQUIRED'],
    [{ chatId: -1 }, 'BAD_REQUEST'],
    [{ chatId: 1.5 }, 'BAD_REQUEST'],
    [{ chatId: '07' }, 'BAD_REQUEST'],
    [{ chatId: ' 7' }, 'BAD_REQUEST'],
    [{ text: undefined }, 'TEXT_IS_REQUIRED'],
    [{ text: '' }, 'TEXT_IS_REQUIRED'],
    [{ text: ' \n\t' }, 'TEXT_IS_REQUIRED'],
    [{ text: '\u200b\u202e' }, 'TEXT_IS_REQUIRED'],
    [{ text: 5 }, 'BAD_REQUEST'],
    [{ text: 'a\0b' }, 'BAD_REQUEST'],
    [{ text: 'a\ud800b' }, 'BAD_REQUEST'],
    [{ text: `a${'\u0301'.repeat(MAX_COMBINING_RUN + 1)}` }, 'BAD_REQUEST'],
    [{ clientDate: undefined }, 'DATE_IS_REQUIRED'],
    [{ clientDate: '1' }, 'BAD_REQUEST'],
    [{ clientId: '' }, 'BAD_REQUEST'],
    [{ clientId: 'x'.repeat(65) }, 'BAD_REQUEST'],
  ])('%j: %s', (change, error) => {
    expect(message(change)).toMatchObject({ ok: false, command: 'message', error });
  });

  it('takes a mark run at the cap, chat id 0 (which nobody owns) and the canonical string of an id', () => {
    expect(message({ text: `a${'\u0301'.repeat(MAX_COMBINING_RUN)}` }).ok).toBe(true);
    expect(message({ chatId: 0 })).toMatchObject({ ok: true, request: { data: { chatId: 0 } } });
    expect(message({ chatId: '0' })).toMatchObject({ ok: true, request: { data: { chatId: 0 } } });
  });

  it('names the refused message by its clientId when that is usable, and only then', () => {
    expect(message({ text: '', clientId: 'c9' })).toEqual({ ok: false, command: 'message', error: 'TEXT_IS_REQUIRED', clientId: 'c9' });
    expect(message({ text: '', clientId: 'x'.repeat(65) })).toEqual({ ok: false, command: 'message', error: 'TEXT_IS_REQUIRED' });
    expect(message({ text: '', clientId: 12 })).toEqual({ ok: false, command: 'message', error: 'TEXT_IS_REQUIRED' });
  });
});

describe('parseFrame: auth', () => {
  it('parses the fields it knows and sets the extension fields only when sent', () => {
    expect(parse('auth', { token: 't', sellerId: 10, since: { '3': 0, '4': 12 }, protocol: 2, extra: 1 })).toEqual({
      ok: true,
      request: { command: 'auth', data: { token: 't', name: undefined, sellerId: 10, id: undefined, since: { '3': 0, '4': 12 }, protocol: 2 } },
    });
    const withAll = parse('auth', { name: 'Ann', sellerId: 'shop-a', email: 'ann@example.org', identity: 'jwt', context: { title: 't' } });
    expect(withAll).toMatchObject({ ok: true, request: { data: { email: 'ann@example.org', identity: 'jwt', context: { title: 't' } } } });
  });

  it('drops a name nobody could see (the sign-up then answers NAME_IS_REQUIRED) but refuses one over the cap', () => {
    expect(parse('auth', { name: '\u200b ', sellerId: 10 })).toMatchObject({ ok: true, request: { data: { name: undefined } } });
    expect(parse('auth', { name: 'x'.repeat(MAX_NAME + 1), sellerId: 10 })).toMatchObject({ ok: false, error: 'BAD_REQUEST' });
    expect(parse('auth', { token: 'x'.repeat(257) })).toMatchObject({ ok: false, error: 'BAD_REQUEST' });
  });

  it.each([
    [{ since: [] }],
    [{ since: { '0': 1 } }],
    [{ since: { '07': 1 } }],
    [{ since: { '7': -1 } }],
    [{ since: { '7': 1.5 } }],
    [{ protocol: 0 }],
    [{ protocol: 1.5 }],
    [{ sellerId: '' }],
    [{ sellerId: 'x'.repeat(65) }],
    [{ sellerId: 0 }],
    [{ email: 'not an address' }],
    [{ email: 'a@b' }],
    [{ identity: '' }],
  ])('refuses %j with BAD_REQUEST', (data) => {
    expect(parse('auth', { name: 'Ann', sellerId: 10, ...data })).toEqual({ ok: false, command: 'auth', error: 'BAD_REQUEST' });
  });
});

describe('parseFrame: the other commands', () => {
  it('read needs an id; history takes optional before and limit as positive integers', () => {
    expect(parse('read', { chatId: 1 })).toEqual({ ok: false, command: 'read', error: 'BAD_REQUEST' });
    expect(parse('read', { chatId: 1, id: 0 })).toEqual({ ok: false, command: 'read', error: 'BAD_REQUEST' });
    expect(parse('history', { chatId: 1, before: 5, limit: 10 })).toEqual({ ok: true, request: { command: 'history', data: { chatId: 1, before: 5, limit: 10 } } });
    expect(parse('history', { chatId: 1, limit: 0 })).toEqual({ ok: false, command: 'history', error: 'BAD_REQUEST' });
  });

  it('profile: a name with nothing visible is NAME_IS_REQUIRED, nothing at all is BAD_REQUEST, a name is trimmed', () => {
    expect(parse('profile', { name: ' \u200b' })).toEqual({ ok: false, command: 'profile', error: 'NAME_IS_REQUIRED' });
    expect(parse('profile', {})).toEqual({ ok: false, command: 'profile', error: 'BAD_REQUEST' });
    expect(parse('profile', { name: '  Ann  ' })).toEqual({ ok: true, request: { command: 'profile', data: { name: 'Ann' } } });
  });

  it('chats: the filter defaults to open, a cursor is "<lastActivity>.<id>", a blank query is none', () => {
    expect(parse('chats', { query: '   ' })).toEqual({ ok: true, request: { command: 'chats', data: { filter: 'open', query: undefined, cursor: undefined, limit: undefined } } });
    expect(parse('chats', { filter: 'closed', cursor: '1700000000000.42' })).toMatchObject({
      ok: true,
      request: { data: { filter: 'closed', cursor: { lastActivity: 1_700_000_000_000, id: 42 } } },
    });
    for (const cursor of ['1.0', '.4', '1700000000000', 'a.b', 42]) {
      expect(parse('chats', { cursor }), String(cursor)).toEqual({ ok: false, command: 'chats', error: 'BAD_REQUEST' });
    }
    expect(parse('chats', { filter: 'all' })).toEqual({ ok: false, command: 'chats', error: 'BAD_REQUEST' });
  });

  it('saveReply: trimmed text, TEXT_IS_REQUIRED when blank, TEXT_TOO_LONG over 1000 characters (not UTF-16 units)', () => {
    expect(parse('saveReply', { text: '  ok ' })).toEqual({ ok: true, request: { command: 'saveReply', data: { id: undefined, text: 'ok' } } });
    expect(parse('saveReply', { text: '   ' })).toEqual({ ok: false, command: 'saveReply', error: 'TEXT_IS_REQUIRED' });
    expect(parse('saveReply', { text: '😀'.repeat(1000) }).ok).toBe(true);
    expect(parse('saveReply', { text: 'x'.repeat(1001) })).toEqual({ ok: false, command: 'saveReply', error: 'TEXT_TOO_LONG' });
  });

  it('deleteReply needs a positive integer id', () => {
    expect(parse('deleteReply', { id: 3 })).toEqual({ ok: true, request: { command: 'deleteReply', data: { id: 3 } } });
    expect(parse('deleteReply', {})).toEqual({ ok: false, command: 'deleteReply', error: 'BAD_REQUEST' });
  });
});

describe('the helpers beside parseFrame', () => {
  it('protocolFor: absent or below the latest is 1, anything from the latest on is the latest', () => {
    expect(LATEST_PROTOCOL).toBe(2);
    expect([undefined, 1, 2, 99].map(protocolFor)).toEqual([1, 1, 2, 2]);
  });

  it('toWireSellerId gives canonical decimal ids back as numbers and everything else as strings', () => {
    expect(['10', '010', '0', 'shop-a', '1000000000000000'].map(toWireSellerId)).toEqual([10, '010', '0', 'shop-a', '1000000000000000']);
  });

  it('isName, isEmail and hasVisible', () => {
    expect([isName('Ann'), isName(' '), isName('x'.repeat(MAX_NAME + 1)), isName(7)]).toEqual([true, false, false, false]);
    expect([isEmail('a@b.org'), isEmail('a@b'), isEmail('<a@b.org>'), isEmail('a b@c.org')]).toEqual([true, false, false, false]);
    expect([hasVisible('\u2800\u200b'), hasVisible(' a ')]).toEqual([false, true]);
  });
});
