/** The standalone server as a real process: configuration, endpoints, shutdown, persistence. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TestClient } from './helpers/client.js';
import { runServerExpectingFailure, type ServerProcess, startServerProcess } from './helpers/server-process.js';

const running: ServerProcess[] = [];
const dirs: string[] = [];
const clients: TestClient[] = [];

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ahchat-server-'));
  dirs.push(dir);
  return dir;
}

async function start(env: Record<string, string> = {}): Promise<ServerProcess> {
  const server = await startServerProcess({ AHCHAT_DB: dataDir(), ...env });
  running.push(server);
  return server;
}

async function connect(url: string, origin?: string): Promise<TestClient> {
  const client = await TestClient.connect(url, { origin });
  clients.push(client);
  return client;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(running.splice(0).map((s) => s.kill('SIGKILL')));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('standalone server configuration', () => {
  it.each([
    [{ AHCHAT_SELLERS: undefined }, /^ahchat: AHCHAT_SELLERS is required/],
    [{ AHCHAT_SELLERS: '{not json' }, /^ahchat: AHCHAT_SELLERS is not valid JSON/],
    [{ AHCHAT_SELLERS: '[{"id":10}]' }, /^ahchat: AHCHAT_SELLERS\[0\] must be/],
    [{ AHCHAT_SELLERS: '@/no/such/file.json' }, /^ahchat: AHCHAT_SELLERS: cannot read \/no\/such\/file.json/],
    [{ AHCHAT_SELLERS: '[{"id":1,"token":"t","name":"n"}]', PORT: 'eighty' }, /^ahchat: PORT must be an integer/],
    [{ AHCHAT_SELLERS: '[{"id":1,"token":"t","name":"n"}]', AHCHAT_ORIGINS: 'shop.example' }, /^ahchat: AHCHAT_ORIGINS: "shop.example" is not an origin/],
  ])('exits 1 with one line naming the variable for %j', async (env, message) => {
    const { code, output } = await runServerExpectingFailure({ AHCHAT_DB: dataDir(), ...env });
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toHaveLength(1);
    expect(output.trim()).toMatch(message);
  });
});

describe('standalone server', () => {
  it("serves the protocol at / (the original README's url) and at /ahchat, and says which origins it lets in", async () => {
    const server = await start();
    expect(server.output()).toMatch(/AHCHAT_ORIGINS is not set: only pages on this server's own origin/);
    const buyer = await connect(`ws://localhost:${server.port}`);
    // Without `protocol`, the original README's shapes: chats keyed by chat id.
    const auth = await buyer.request('auth', { name: 'shoom', sellerId: 10 });
    expect(auth.data).toMatchObject({ name: 'shoom', chats: { [auth.data.chatId]: { chatter: 'Shop', sellerId: 10 } } });
    const seller = await connect(`ws://localhost:${server.port}/ahchat`);
    expect((await seller.request('auth', { id: 10, token: 'iofh3498hwe' })).data.name).toBe('Shop');
    expect(await seller.request('auth', { id: 10, token: 'iofh3498hwe' })).toEqual({ command: 'auth', error: 'ALREADY_AUTHORIZED' });
    const wrong = await connect(`ws://localhost:${server.port}/ahchat`);
    expect(await wrong.request('auth', { id: 10, token: 'iofh3498hwX' })).toEqual({ command: 'auth', error: 'USER_IS_NOT_SELLER' });
  });

  it('refuses foreign origins with 403 when AHCHAT_ORIGINS is set', async () => {
    const server = await start({ AHCHAT_ORIGINS: 'https://shop.example' });
    await expect(connect(`ws://localhost:${server.port}/ahchat`, 'https://evil.example')).rejects.toThrow('HTTP 403');
    const ok = await connect(`ws://localhost:${server.port}/ahchat`, 'https://shop.example');
    expect((await ok.request('auth', { name: 'x', sellerId: 10 })).error).toBeUndefined();
  });

  it('keeps every confirmed message across SIGTERM and a restart, and exits 0', async () => {
    const dir = dataDir();
    const first = await start({ AHCHAT_DB: dir });
    const buyer = await connect(`ws://localhost:${first.port}`);
    const auth = await buyer.request('auth', { name: 'persistent', sellerId: 10, protocol: 2 });
    const chatId = auth.data.chatId;
    for (let i = 1; i <= 20; i++) await buyer.request('message', { text: `msg ${i}`, clientDate: i, chatId, clientId: `c${i}` });
    expect(await first.kill('SIGTERM')).toBe(0);

    const second = await start({ AHCHAT_DB: dir });
    const again = await connect(`ws://localhost:${second.port}`);
    const back = await again.request('auth', { token: auth.data.token, sellerId: 10, protocol: 2 });
    expect(back.data.chatId).toBe(chatId);
    expect(back.data.chats[0].messages.map((m: { text: string }) => m.text)).toEqual(Array.from({ length: 20 }, (_, i) => `msg ${i + 1}`));
    // A retry of an old clientId after the restart is still recognised.
    const retry = await again.request('message', { text: 'msg 3', clientDate: 3, chatId, clientId: 'c3' });
    expect(retry.data.id).toBe(3);
  });

  it('serves the widget bundle path (404 only when the widget is not built)', async () => {
    const server = await start();
    const res = await fetch(`http://localhost:${server.port}/`);
    expect(await res.text()).toMatch(/AH Chat server/);
  });
});

describe('standalone server with an unreachable Redis', () => {
  it('exits 1 with one line naming AHCHAT_REDIS_URL instead of hanging', async () => {
    // Port 1 on loopback refuses connections at once; ioredis would retry forever.
    const { code, output } = await runServerExpectingFailure({
      AHCHAT_DB: dataDir(),
      AHCHAT_SELLERS: '[{"id":1,"token":"t","name":"n"}]',
      AHCHAT_REDIS_URL: 'redis://127.0.0.1:1',
      AHCHAT_CONNECT_TIMEOUT_MS: '500',
    });
    expect(code).toBe(1);
    expect(output).toMatch(/^ahchat: AHCHAT_REDIS_URL: no connection to Redis within 500 ms$/m);
  });
});
