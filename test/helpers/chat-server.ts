/** Starts a real Express app with the plugin on port 0, and signs people in over real sockets. */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { ahChat, type AhChat } from '../../lib/ah-chat.js';
import type { AhChatOptions, Seller } from '../../lib/options.js';
import { memoryStore } from '../../lib/store/memory-store.js';
import { afterEach, beforeEach } from 'vitest';
import { TestClient } from './client.js';

export const SELLERS: Record<string, Seller & { token: string }> = {
  '10': { id: 10, name: 'Shop Ten', token: 'iofh3498hwe' },
  '20': { id: 20, name: 'Shop Twenty', token: 'secret-twenty' },
};

export const testSellers: Pick<AhChatOptions, 'authSeller' | 'findSeller'> = {
  async authSeller({ id, token }) {
    const seller = Object.hasOwn(SELLERS, String(id)) ? SELLERS[String(id)] : undefined;
    return seller && seller.token === token ? { id: seller.id, name: seller.name } : null;
  },
  async findSeller(id) {
    const seller = Object.hasOwn(SELLERS, String(id)) ? SELLERS[String(id)] : undefined;
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

/** Our extended shapes (protocol 2, as the widget speaks); test/protocol-versions.test.ts covers protocol 1. */
export const PROTOCOL = 2;

export async function signUpBuyer(url: string, name = 'Alice', sellerId: number | string = 10) {
  const client = await TestClient.connect(url);
  const auth = await client.request('auth', { name, sellerId, protocol: PROTOCOL });
  if (auth.error) throw new Error(`buyer sign-up failed: ${auth.error}`);
  await client.next('status');
  return { client, token: auth.data.token as string, chatId: auth.data.chatId as number, auth };
}

export async function signInSeller(url: string, id: number | string = 10) {
  const client = await TestClient.connect(url);
  const auth = await client.request('auth', { id, token: SELLERS[String(id)]!.token, protocol: PROTOCOL });
  if (auth.error) throw new Error(`seller sign-in failed: ${auth.error}`);
  return { client, auth };
}

/**
 * A fresh server per test (beforeEach/afterEach), with clients closed after each test.
 * `restart(options)` swaps in a server with other options within a test.
 */
export function useChatServer(options: Partial<AhChatOptions> = {}) {
  let current: RunningChat | undefined;
  const clients: TestClient[] = [];
  beforeEach(async () => {
    current = await startChat(options);
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await current?.stop();
    current = undefined;
  });
  return {
    get running(): RunningChat {
      if (!current) throw new Error('useChatServer: no server outside a test');
      return current;
    },
    get url(): string {
      return this.running.url;
    },
    /** Closes the client (or the `client` of a sign-in result) after the test. */
    track<T extends TestClient | { client: TestClient }>(value: T): T {
      clients.push(value instanceof TestClient ? value : value.client);
      return value;
    },
    async restart(other: Partial<AhChatOptions>): Promise<RunningChat> {
      await current?.stop();
      current = await startChat({ ...options, ...other });
      return current;
    },
  };
}

/** Wraps a store so that the next call of `method` rejects once (a disk or network failure). */
export function failingOnce<S extends object>(store: S, method: keyof S & string, message = 'store failure'): S {
  let failNext = true;
  return new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key !== method || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (!failNext) return value.apply(target, args);
        failNext = false;
        return Promise.reject(new Error(message));
      };
    },
  });
}
