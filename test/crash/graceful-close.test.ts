/**
 * close() (what SIGTERM runs): a message in flight is stored and confirmed before the 1001 close;
 * a frame that arrives while the server is closing is not taken at all, so nothing is ever stored
 * without its confirmation reaching the sender.
 */
import { afterEach, expect, it } from 'vitest';
import { memoryStore } from '../../lib/store/memory-store.js';
import type { NewMessage, Store } from '../../lib/store/store.js';
import { type RunningChat, signUpBuyer, startChat } from '../helpers/chat-server.js';
import { serverSockets } from '../security/server-sockets.js';

/** A memory store whose appendMessage waits for open(), and that records every append it was asked for. */
function gatedStore() {
  const inner = memoryStore();
  const appends: NewMessage[] = [];
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let entered!: () => void;
  const firstAppend = new Promise<void>((resolve) => (entered = resolve));
  const store: Store = {
    ...inner,
    async appendMessage(input) {
      appends.push(input);
      entered();
      await gate;
      return inner.appendMessage(input);
    },
  };
  return { store, appends, open, firstAppend };
}

let running: RunningChat | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

it('confirms the message in flight, takes no frame that arrives while closing, then closes 1001', async () => {
  const gated = gatedStore();
  running = await startChat({ store: gated.store });
  const sockets = serverSockets(running.server);
  const { client, chatId } = await signUpBuyer(running.url);
  const serverSide = sockets.of(client.socket);

  client.send('message', { text: 'in flight', clientDate: 1, chatId, clientId: 'c1' });
  await gated.firstAppend;
  const closing = running.chat.close();
  client.send('message', { text: 'too late', clientDate: 2, chatId, clientId: 'c2' });
  // The server has read (and ws has parsed) the late frame once its socket emitted the bytes.
  await new Promise((resolve) => serverSide.once('data', resolve));
  gated.open();
  await closing;

  expect((await client.next('message')).data).toMatchObject({ id: 1, text: 'in flight', clientId: 'c1', my: true });
  expect(await client.closed).toEqual({ code: 1001, reason: 'server closing' });
  expect(client.frames).toEqual([]);
  expect(gated.appends.map((m) => m.clientId)).toEqual(['c1']);
});
