/** The frames the server builds: their bytes, and the types a client switches on. */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { errorFrame, serverFrame, type ServerMessage, type WireMessage } from '../../lib/wire/index.js';

describe('server frames', () => {
  it('serialise as {command, data} and {command, error[, data]}, in that key order', () => {
    expect(JSON.stringify(serverFrame('status', { chatId: 7, status: true }))).toBe('{"command":"status","data":{"chatId":7,"status":true}}');
    expect(JSON.stringify(errorFrame('message', 'TEXT_IS_REQUIRED'))).toBe('{"command":"message","error":"TEXT_IS_REQUIRED"}');
    expect(JSON.stringify(errorFrame('message', 'RATE_LIMITED', { clientId: 'k' }))).toBe('{"command":"message","error":"RATE_LIMITED","data":{"clientId":"k"}}');
  });

  it('type the data by command, for the server and for a client', () => {
    // @ts-expect-error: a status push carries a boolean status
    serverFrame('status', { chatId: 7, status: 'online' });
    // @ts-expect-error: no such frame
    serverFrame('nonsense', {});
    const frame = JSON.parse('{"command":"message","data":{"id":1,"chatId":7,"text":"hi","date":1,"my":true}}') as ServerMessage;
    if (!frame.error && frame.command === 'message') expectTypeOf(frame.data).toEqualTypeOf<WireMessage>();
    expect(frame.command).toBe('message');
  });
});
