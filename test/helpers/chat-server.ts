/** Starts a real Express app with the plugin on port 0, and signs people in over real sockets. */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { ahChat, type AhChat } from '../../lib/ah-chat.js';
import type { AhChatOptions, Seller } from '../../lib/options.js';
import { memoryStore } from '../../lib/store/memory-store.js';
import { TestClient } from './client.js';

export const SELLERS: Record<string, Seller & { token: string }> = {
  '10': { id: 10, name: 'Shop Ten', token: 'iofh3498hwe' },
  '20': { id: 20, name: 'Shop Twenty', token: 'secret-twenty' },
};

export const testSellers: Pick<AhChatOptions, 'authSeller' | 'findSeller'> = {
  async authSeller({ id, token }) {
    const seller = SELLERS[String(id)];
    return seller && seller.token === token ? { id: seller.id, name: seller.name } : null;
  },
  async findSeller(id) {
    const seller = SELLERS[String(id)];
    return seller ? { id: seller.id, name: seller.name } : null;
  },
};

export const silentLogger = { info() {}, warn() {}, error() {} };

export interface RunningChat {
  chat: AhChat;
  server: Server;
  port: number;
  url: string;
  stop(): Promise<void>;
}

export async function startChat(options: Partial<AhChatOptions> = {}): Promise<RunningChat> {
  const chat = ahChat({ ...testSellers, store: memoryStore(), logger: silentLogger, ...options });
  const app = express();
  app.use(chat);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  return {
    chat,
    server,
    port,
    url: `ws://127.0.0.1:${port}/ahchat`,
    async stop() {
      await chat.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function signUpBuyer(url: string, name = 'Alice', sellerId: number | string = 10) {
  const client = await TestClient.connect(url);
  const auth = await client.request('auth', { name, sellerId });
  if (auth.error) throw new Error(`buyer sign-up failed: ${auth.error}`);
  await client.next('status');
  return { client, token: auth.data.token as string, chatId: auth.data.chatId as number, auth };
}

export async function signInSeller(url: string, id: number | string = 10) {
  const client = await TestClient.connect(url);
  const auth = await client.request('auth', { id, token: SELLERS[String(id)]!.token });
  if (auth.error) throw new Error(`seller sign-in failed: ${auth.error}`);
  return { client, auth };
}
