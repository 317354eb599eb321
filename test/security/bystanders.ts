/** A well-behaved buyer + seller pair, whose service the hostile-input tests check after every attack. */
import { expect } from 'vitest';
import type { TestClient } from '../helpers/client.js';
import { signInSeller, signUpBuyer } from '../helpers/chat-server.js';

export interface Bystanders {
  buyer: TestClient;
  seller: TestClient;
  chatId: number;
  /** A message each way between the pair, each confirmed to its sender and pushed to the other. */
  served(): Promise<void>;
  close(): void;
}

let round = 0;

/** A buyer of seller 10 and seller 10 itself, both signed in on their own sockets. */
export async function bystanders(url: string): Promise<Bystanders> {
  const seller = (await signInSeller(url, 10)).client;
  const { client: buyer, chatId } = await signUpBuyer(url, 'Bystander', 10);
  return {
    buyer,
    seller,
    chatId,
    async served() {
      const n = ++round;
      const ask = await buyer.request('message', { text: `still there? ${n}`, clientDate: n, chatId });
      expect(ask.error).toBeUndefined();
      expect((await pushIn(seller, chatId)).data).toMatchObject({ id: ask.data.id, text: `still there? ${n}`, my: false });
      const answer = await seller.request('message', { text: `yes ${n}`, clientDate: n, chatId });
      expect(answer.error).toBeUndefined();
      expect((await pushIn(buyer, chatId)).data).toMatchObject({ id: answer.data.id, text: `yes ${n}`, my: false });
      // Pushes about other people's chats pile up at the seller; they are not what we check here.
      seller.frames.splice(0);
    },
    close() {
      buyer.close();
      seller.close();
    },
  };
}

/** The next message pushed to `client` in chat `chatId`, skipping those of other chats. */
async function pushIn(client: TestClient, chatId: number) {
  for (;;) {
    const frame = await client.next('message');
    if (frame.data?.chatId === chatId) return frame;
  }
}
