/**
 * lib/chat/hub.ts: which sockets of this instance each event reaches (the other side's tabs, the
 * sender's other tabs, never the sending socket twice), presence counted per person across tabs;
 * and with a bus that carries nothing back: local pushes come from the hub itself, a late offline
 * announcement cannot contradict a socket here, and a resync makes clients resume.
 */
import { describe, expect, it } from 'vitest';
import type { Bus, HubEvent } from '../../lib/bus/bus.js';
import { localBus } from '../../lib/bus/local-bus.js';
import { CLOSE_CODES } from '../../lib/wire/index.js';
import { PROTOCOL, signInSeller, signUpBuyer, startChat } from '../helpers/chat-server.js';
import { TestClient } from '../helpers/client.js';
import { useTeardown } from '../helpers/teardown.js';

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

const scene = useTeardown();

/** A server on `bus`, with a buyer and the seller 10 signed in to it. */
async function buyerAndSeller(bus: Bus) {
  scene.running = await startChat({ bus });
  const buyer = await signUpBuyer(scene.running.url);
  const seller = await signInSeller(scene.running.url);
  scene.clients.push(buyer.client, seller.client);
  return { buyer, seller };
}

describe('hub', () => {
  it('pushes to sockets on this instance without waiting on the bus', async () => {
    const { buyer, seller } = await buyerAndSeller(remoteBus());
    buyer.client.send('message', { chatId: buyer.chatId, text: 'hello', clientDate: 1, clientId: 'h1' });
    expect((await buyer.client.next('message')).data).toMatchObject({ id: 1, clientId: 'h1' });
    expect((await seller.client.next('message')).data).toMatchObject({ id: 1, text: 'hello', my: false });
    seller.client.send('typing', { chatId: buyer.chatId });
    expect((await buyer.client.next('typing')).data).toEqual({ chatId: buyer.chatId });
  });

  it('ignores another instance’s offline announcement for someone with a socket here', async () => {
    const bus = remoteBus();
    const { buyer, seller } = await buyerAndSeller(bus);
    bus.deliver({ type: 'buyer-presence', sellerId: '10', chatId: buyer.chatId, online: false });
    bus.deliver({ type: 'buyer-presence', sellerId: '10', chatId: buyer.chatId + 1, online: false });
    // The second (someone not here) is pushed; the first is not.
    expect((await seller.client.next('status')).data).toEqual({ chatId: buyer.chatId + 1, status: false });
    await seller.client.barrier(buyer.chatId);
    expect(seller.client.buffered('status')).toEqual([]);
  });

  it('closes every signed-in socket with 1012 on a resync, so that clients resume with since', async () => {
    const bus = remoteBus();
    const { buyer, seller } = await buyerAndSeller(bus);
    bus.deliver({ type: 'resync' });
    expect((await buyer.client.closed).code).toBe(CLOSE_CODES.SERVICE_RESTART);
    expect((await seller.client.closed).code).toBe(1012);
  });
});

/** Signs a buyer in again with the token from its sign-up: another tab of the same person. */
async function buyerTab(token: string) {
  const client = await TestClient.connect(scene.running.url);
  scene.clients.push(client);
  const auth = await client.request('auth', { token, sellerId: 10, protocol: PROTOCOL });
  expect(auth.error).toBeUndefined();
  await client.next('status');
  return client;
}

async function sellerTab(id = 10) {
  const { client } = await signInSeller(scene.running.url, id);
  scene.clients.push(client);
  return client;
}

describe('hub fan-out to the sockets of this instance', () => {
  it('sends a message to every tab of the other side and the sender’s other tabs (my: true), and the sending socket only its confirmation', async () => {
    scene.running = await startChat();
    const buyer = await signUpBuyer(scene.running.url, 'Ann');
    scene.clients.push(buyer.client);
    const secondTab = await buyerTab(buyer.token);
    const [shop1, shop2] = [await sellerTab(), await sellerTab()];
    buyer.client.send('message', { chatId: buyer.chatId, text: 'hi', clientDate: 5, clientId: 'c1' });
    expect((await buyer.client.next('message')).data).toMatchObject({ id: 1, text: 'hi', my: true, clientId: 'c1' });
    expect((await secondTab.next('message')).data).toMatchObject({ id: 1, text: 'hi', my: true, clientId: 'c1' });
    for (const shop of [shop1, shop2]) expect((await shop.next('message')).data).toMatchObject({ id: 1, chatId: buyer.chatId, text: 'hi', my: false });
    // Nothing else reached the sending socket: its history answer comes next, no second copy before it.
    await buyer.client.barrier(buyer.chatId);
    expect(buyer.client.buffered('message')).toEqual([]);
  });

  it('sends typing to the other side only, and read to the writer with unread to every tab of the reader', async () => {
    scene.running = await startChat();
    const buyer = await signUpBuyer(scene.running.url, 'Ann');
    scene.clients.push(buyer.client);
    const secondTab = await buyerTab(buyer.token);
    const shop = await sellerTab();
    buyer.client.send('typing', { chatId: buyer.chatId });
    expect((await shop.next('typing')).data).toEqual({ chatId: buyer.chatId });
    await secondTab.barrier(buyer.chatId);
    expect(secondTab.buffered('typing')).toEqual([]);

    const sent = await shop.request('message', { chatId: buyer.chatId, text: 'hello', clientDate: 1 });
    await buyer.client.next('message');
    await secondTab.next('message');
    buyer.client.send('read', { chatId: buyer.chatId, id: sent.data.id });
    expect((await shop.next('read')).data).toEqual({ chatId: buyer.chatId, id: sent.data.id });
    for (const tab of [buyer.client, secondTab]) expect((await tab.next('unread')).data).toEqual({ chatId: buyer.chatId, unread: 0 });
  });

  it('tells a seller’s tabs of a new chat, and both sides of a closed one', async () => {
    scene.running = await startChat();
    const [shop1, shop2] = [await sellerTab(), await sellerTab()];
    const other = await sellerTab(20);
    const buyer = await signUpBuyer(scene.running.url, 'Bea');
    scene.clients.push(buyer.client);
    for (const shop of [shop1, shop2]) expect((await shop.next('chat')).data).toEqual({ id: buyer.chatId, chatter: 'Bea', sellerId: 10 });
    shop1.send('close', { chatId: buyer.chatId });
    for (const socket of [buyer.client, shop1, shop2]) expect((await socket.next('close')).data).toEqual({ chatId: buyer.chatId });
    await other.barrier(buyer.chatId);
    expect([...other.buffered('chat'), ...other.buffered('close')]).toEqual([]);
  });
});

describe('hub presence', () => {
  it('counts a buyer’s tabs as one presence: status to the seller on the first open and the last close only', async () => {
    scene.running = await startChat();
    const shop = await sellerTab();
    const buyer = await signUpBuyer(scene.running.url, 'Ann');
    scene.clients.push(buyer.client);
    expect((await shop.next('status')).data).toEqual({ chatId: buyer.chatId, status: true });
    const secondTab = await buyerTab(buyer.token);
    buyer.client.close();
    await buyer.client.closed;
    // The barrier answers after the hub handled the first close: no status came for it.
    await secondTab.barrier(buyer.chatId);
    await shop.barrier(buyer.chatId);
    expect(shop.buffered('status')).toEqual([]);
    secondTab.close();
    expect((await shop.next('status')).data).toEqual({ chatId: buyer.chatId, status: false });
  });

  it('tells the buyers of a seller (and only them) when the seller’s first socket opens and its last one closes', async () => {
    scene.running = await startChat();
    const ann = await signUpBuyer(scene.running.url, 'Ann', 10);
    const zed = await signUpBuyer(scene.running.url, 'Zed', 20);
    scene.clients.push(ann.client, zed.client);
    const shop1 = await sellerTab();
    expect((await ann.client.next('status')).data).toEqual({ chatId: ann.chatId, status: true });
    const shop2 = await sellerTab();
    shop1.close();
    await shop1.closed;
    await shop2.barrier(ann.chatId);
    shop2.close();
    expect((await ann.client.next('status')).data).toEqual({ chatId: ann.chatId, status: false });
    await ann.client.barrier(ann.chatId);
    expect(ann.client.buffered('status')).toEqual([]);
    await zed.client.barrier(zed.chatId);
    expect(zed.client.buffered('status')).toEqual([]);
  });
});
