/**
 * The hub with a bus that carries nothing back: local pushes come from the hub itself, a late
 * offline announcement cannot contradict a socket here, and a resync makes clients resume.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Bus, HubEvent } from '../../lib/bus/bus.js';
import { localBus } from '../../lib/bus/local-bus.js';
import { CLOSE_CODES } from '../../lib/wire/index.js';
import { type RunningChat, signInSeller, signUpBuyer, startChat } from '../helpers/chat-server.js';

/** A bus that never delivers anything by itself, hangs on every publish, and lets the test deliver. */
function remoteBus(): Bus & { deliver(event: HubEvent): void } {
  const inner = localBus();
  let onEvent: ((event: HubEvent) => void) | undefined;
  return {
    ...inner,
    async start(listener) {
      onEvent = listener;
    },
    publish: () => new Promise<void>(() => {}),
    deliver: (event) => onEvent?.(event),
  };
}

let running: RunningChat | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe('hub', () => {
  it('pushes to sockets on this instance without waiting on the bus', async () => {
    running = await startChat({ bus: remoteBus() });
    const buyer = await signUpBuyer(running.url);
    const seller = await signInSeller(running.url);
    buyer.client.send('message', { chatId: buyer.chatId, text: 'hello', clientDate: 1, clientId: 'h1' });
    expect((await buyer.client.next('message')).data).toMatchObject({ id: 1, clientId: 'h1' });
    expect((await seller.client.next('message')).data).toMatchObject({ id: 1, text: 'hello', my: false });
    seller.client.send('typing', { chatId: buyer.chatId });
    expect((await buyer.client.next('typing')).data).toEqual({ chatId: buyer.chatId });
    buyer.client.close();
    seller.client.close();
  });

  it('ignores another instance’s offline announcement for someone with a socket here', async () => {
    const bus = remoteBus();
    running = await startChat({ bus });
    const buyer = await signUpBuyer(running.url);
    const seller = await signInSeller(running.url);
    bus.deliver({ type: 'buyer-presence', sellerId: '10', chatId: buyer.chatId, online: false });
    bus.deliver({ type: 'buyer-presence', sellerId: '10', chatId: buyer.chatId + 1, online: false });
    // The second (someone not here) is pushed; the first is not.
    expect((await seller.client.next('status')).data).toEqual({ chatId: buyer.chatId + 1, status: false });
    await seller.client.barrier(buyer.chatId);
    expect(seller.client.buffered('status')).toEqual([]);
    buyer.client.close();
    seller.client.close();
  });

  it('closes every signed-in socket with 1012 on a resync, so that clients resume with since', async () => {
    const bus = remoteBus();
    running = await startChat({ bus });
    const buyer = await signUpBuyer(running.url);
    const seller = await signInSeller(running.url);
    bus.deliver({ type: 'resync' });
    expect((await buyer.client.closed).code).toBe(CLOSE_CODES.SERVICE_RESTART);
    expect((await seller.client.closed).code).toBe(1012);
  });
});
