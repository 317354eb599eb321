/** The standalone server as an operator meets it: --help, --version, and the operator variables. */
import { execFile } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { TestClient } from './helpers/client.js';
import { runServerExpectingFailure, SERVER_JS, SELLERS_ENV, startServerProcess, type ServerProcess } from './helpers/server-process.js';
import { tmpDir } from './helpers/tmp-dir.js';
import { VARIABLES } from '../lib/server/variables.js';
import { signIdentity } from '../lib/chat/identity.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const servers: ServerProcess[] = [];
const dirs: { remove: () => Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.kill()));
  await Promise.all(dirs.splice(0).map((d) => d.remove()));
});

async function start(env: Record<string, string>): Promise<ServerProcess> {
  const dir = await tmpDir();
  dirs.push(dir);
  const server = await startServerProcess({ AHCHAT_DB: dir.path, AHCHAT_ORIGINS: 'https://shop.example', ...env });
  servers.push(server);
  return server;
}

describe('ah-chat --help and --version', () => {
  it('lists every variable the server reads, each with its default', async () => {
    const { stdout } = await run(process.execPath, [SERVER_JS, '--help'], { env: {} });
    const sources = await Promise.all((await readdir(join(root, 'lib', 'server'))).map((f) => readFile(join(root, 'lib', 'server', f), 'utf8')));
    const read = new Set(sources.join('\n').match(/\bAHCHAT_[A-Z_]+[A-Z]\b/g));
    expect(read.size).toBeGreaterThan(20);
    for (const name of [...read, 'PORT']) expect(stdout, name).toMatch(new RegExp(`^  ${name} +.*\\[default: [^\\]]+\\]$`, 'm'));
    expect(stdout).toMatch(/^ {2}AHCHAT_RATE_LIMIT_FRAMES +.*\[default: 20\]$/m);
    expect(stdout).toMatch(/^ {2}AHCHAT_HOST +.*\[default: 0\.0\.0\.0\]$/m);
    expect(VARIABLES.map((v) => v.name).sort()).toEqual([...read, 'PORT'].sort());
  });

  it('prints the package version', async () => {
    const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
    const { stdout } = await run(process.execPath, [SERVER_JS, '--version']);
    expect(stdout).toBe(`${version}\n`);
  });

  it('refuses an unknown argument', async () => {
    const failed = await run(process.execPath, [SERVER_JS, '--port=1']).catch((e: { code: number; stderr: string }) => e);
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toMatch(/unknown argument "--port=1"/);
  });
});

describe('operator variables', () => {
  it('binds to AHCHAT_HOST', async () => {
    const server = await start({ AHCHAT_HOST: '127.0.0.1' });
    expect((await fetch(`http://127.0.0.1:${server.port}/ahchat/health`)).status).toBe(200);
    // Bound to IPv4 loopback only: the IPv6 loopback has nobody listening on that port.
    await expect(fetch(`http://[::1]:${server.port}/ahchat/health`)).rejects.toThrow();
  });

  it('applies AHCHAT_MAX_CONNECTIONS_PER_IP and AHCHAT_MAX_TEXT_LENGTH', async () => {
    const server = await start({ AHCHAT_HOST: '127.0.0.1', AHCHAT_MAX_CONNECTIONS_PER_IP: '1', AHCHAT_MAX_TEXT_LENGTH: '5' });
    const first = await TestClient.connect(`ws://127.0.0.1:${server.port}/ahchat`);
    await expect(TestClient.connect(`ws://127.0.0.1:${server.port}/ahchat`)).rejects.toThrow('HTTP 429');
    const auth = await first.request('auth', { name: 'Ann', sellerId: 10 });
    first.send('message', { chatId: auth.data.chatId, text: 'too long', clientDate: 1 });
    expect((await first.next('message')).error).toBe('TEXT_TOO_LONG');
    first.close();
  });

  it('serves metrics with AHCHAT_METRICS=1, and none without', async () => {
    const on = await start({ AHCHAT_METRICS: '1' });
    const text = await (await fetch(`http://127.0.0.1:${on.port}/ahchat/metrics`)).text();
    expect(text).toContain('ahchat_sockets_open{side="buyer"} 0');
    expect(text).toContain('ahchat_process_nodejs_version_info');
    const off = await start({});
    expect((await fetch(`http://127.0.0.1:${off.port}/ahchat/metrics`)).status).toBe(404);
  });

  it('checks signed identities with AHCHAT_IDENTITY_SECRET, and refuses them without', async () => {
    const secret = 'an-identity-secret-of-32-characters!!';
    const identity = await signIdentity({ id: 'cust-1', name: 'Ann' }, secret);
    const on = await start({ AHCHAT_HOST: '127.0.0.1', AHCHAT_IDENTITY_SECRET: secret });
    const buyer = await TestClient.connect(`ws://127.0.0.1:${on.port}/ahchat`);
    expect((await buyer.request('auth', { sellerId: 10, identity, protocol: 2 })).data).toMatchObject({ name: 'Ann', identified: true });
    buyer.close();
    const off = await start({ AHCHAT_HOST: '127.0.0.1' });
    const refused = await TestClient.connect(`ws://127.0.0.1:${off.port}/ahchat`);
    expect((await refused.request('auth', { sellerId: 10, identity })).error).toBe('IDENTITY_INVALID');
    refused.close();
  });

  it.each([
    [{ AHCHAT_IDENTITY_SECRET: 'short' }, /^ahchat: AHCHAT_IDENTITY_SECRET must be at least 32 characters/m],
    [{ AHCHAT_RATE_LIMIT_FRAMES: '0' }, /^ahchat: AHCHAT_RATE_LIMIT_FRAMES must be a positive integer, got "0"$/m],
    [{ AHCHAT_JOURNAL_LIMIT: 'big' }, /^ahchat: AHCHAT_JOURNAL_LIMIT must be a positive integer, got "big"$/m],
    [{ AHCHAT_HOST: 'http://x/' }, /^ahchat: AHCHAT_HOST must be an address/m],
  ])('exits 1 naming a bad variable (%o)', async (env, message) => {
    const dir = await tmpDir();
    dirs.push(dir);
    const { code, output } = await runServerExpectingFailure({ AHCHAT_DB: dir.path, AHCHAT_SELLERS: SELLERS_ENV, ...env });
    expect(code).toBe(1);
    expect(output).toMatch(message);
  });
});
