/**
 * The lowdb data directory against real processes and real file systems: two processes on one
 * directory, a directory that cannot be written, and a full disk. The standalone server
 * (dist/server/index.js) refuses to start with exit 1 and one line naming the directory.
 *
 * Tests run as root, where chmod 0555 stops no write. What really fails for root: a file where a
 * subdirectory must be created (everywhere), and, where this machine lets the test mount (it needs
 * CAP_SYS_ADMIN), a tmpfs remounted read-only and a small tmpfs filled up (a real ENOSPC). Without
 * mounting, those two are left out and test/store/lowdb-store-faults.test.ts (a simulated ENOSPC)
 * is what covers a full disk.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DirectoryLockedError } from '../../lib/store/lowdb/directory-lock.js';
import { lowdbStore } from '../../lib/store/lowdb-store.js';
import { TestClient } from '../helpers/client.js';
import { runServerExpectingFailure, SELLERS_ENV, type ServerProcess, startServerProcess } from '../helpers/server-process.js';
import { tmpDir } from '../helpers/tmp-dir.js';

const SELLER = { id: 10, token: 'iofh3498hwe' };
const ENV = { AHCHAT_SELLERS: SELLERS_ENV, AHCHAT_ORIGINS: 'http://shop.example' };

let dir: string;
let removeDir: () => Promise<void>;
const processes: ServerProcess[] = [];
const clients: TestClient[] = [];
const mounts: string[] = [];

beforeEach(async () => {
  ({ path: dir, remove: removeDir } = await tmpDir('ahchat-dir-'));
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(processes.splice(0).map((p) => p.kill('SIGKILL')));
  for (const mount of mounts.splice(0)) unmount(mount);
  await removeDir();
});

async function start(at = dir): Promise<ServerProcess> {
  const server = await startServerProcess({ ...ENV, AHCHAT_DB: at });
  processes.push(server);
  return server;
}

async function connect(server: ServerProcess): Promise<TestClient> {
  const client = await TestClient.connect(`ws://127.0.0.1:${server.port}/ahchat`, { origin: 'http://shop.example' });
  clients.push(client);
  return client;
}

/** The standalone server's start-up failure: exit code and its AHCHAT_DB line (there must be exactly one). */
async function failedStart(at: string): Promise<{ code: number | null; line: string }> {
  const { code, output } = await runServerExpectingFailure({ ...ENV, AHCHAT_DB: at });
  const lines = output.split('\n').filter((l) => l.includes('AHCHAT_DB'));
  expect(lines, output).toHaveLength(1);
  expect(output, 'no stack trace').not.toMatch(/\n\s+at /);
  return { code, line: lines[0]! };
}

const lockMessage = (at: string, pid: number) => `lowdbStore: data directory ${at} is in use by process ${pid} on host ${hostname()} since `;

describe('two processes on one data directory', () => {
  it('the second refuses to start (standalone: exit 1, one line naming the directory); after a SIGKILL of the first, a new one starts at once with its data', async () => {
    const first = await start();
    const pid = first.child.pid!;
    const buyer = await connect(first);
    const auth = await buyer.request('auth', { protocol: 2, name: 'Ann', sellerId: SELLER.id });
    expect((await buyer.request('message', { text: 'kept', clientDate: 1, chatId: auth.data.chatId, clientId: 'c1' })).data.id).toBe(1);

    const second = await failedStart(dir);
    expect(second.code).toBe(1);
    expect(second.line.startsWith(`ahchat: AHCHAT_DB: ${lockMessage(dir, pid)}`), second.line).toBe(true);
    expect(second.line).toContain(`(lock file ${join(dir, 'lock')}); one process per directory: stop the other one, or delete the lock file if that process is gone`);
    // The plugin's store (lowdbStore(), so ahChat() with the default store) throws the same, before anything listens.
    expect(() => lowdbStore({ dir })).toThrow(DirectoryLockedError);
    expect(() => lowdbStore({ dir })).toThrow(lockMessage(dir, pid));
    // The first one never noticed: it still works.
    expect((await buyer.request('message', { text: 'still', clientDate: 2, chatId: auth.data.chatId, clientId: 'c2' })).data.id).toBe(2);

    expect(await first.kill('SIGKILL')).toBe('SIGKILL');
    const third = await start();
    const again = await connect(third);
    const back = await again.request('auth', { protocol: 2, token: auth.data.token, sellerId: SELLER.id });
    expect(back.data.chats[0].messages.map((m: { text: string }) => m.text)).toEqual(['kept', 'still']);
    // A clean stop deletes the lock: the directory is free, for this process too.
    expect(await third.kill('SIGTERM')).toBe(0);
    expect(existsSync(join(dir, 'lock'))).toBe(false);
    await lowdbStore({ dir }).close();
  });
});

describe('a data directory that cannot be written', () => {
  it('a file where the journal directory must be: refused at start, one line naming the directory (standalone: exit 1)', async () => {
    writeFileSync(join(dir, 'journal'), 'not a directory');
    const expected = `lowdbStore: data directory ${dir} is not writable: EEXIST: file already exists, mkdir '${join(dir, 'journal')}'`;
    expect(() => lowdbStore({ dir })).toThrow(new Error(expected));
    // The refused start leaves no lock behind.
    expect(readdirSync(dir).sort()).toEqual(['buyers', 'chats', 'journal', 'messages']);
    const { code, line } = await failedStart(dir);
    expect(code).toBe(1);
    expect(line).toBe(`ahchat: AHCHAT_DB: ${expected}`);
  });

  it('a data directory that cannot be created: refused at start with one line', async () => {
    writeFileSync(join(dir, 'file'), '');
    const at = join(dir, 'file', 'data');
    expect(() => lowdbStore({ dir: at })).toThrow(new Error(`lowdbStore: data directory ${at} cannot be created: ENOTDIR: not a directory, mkdir '${at}'`));
    const { code, line } = await failedStart(at);
    expect(code).toBe(1);
    expect(line).toBe(`ahchat: AHCHAT_DB: lowdbStore: data directory ${at} cannot be created: ENOTDIR: not a directory, mkdir '${at}'`);
  });
});

// ---- with real mounts, where this machine allows them ----

function tryMount(args: string[]): boolean {
  try {
    execFileSync('mount', args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function unmount(path: string): void {
  try {
    execFileSync('umount', [path], { stdio: 'ignore' });
  } catch {
    execFileSync('umount', ['-l', path], { stdio: 'ignore' });
  }
}

/** Whether the test may mount a tmpfs here (root with CAP_SYS_ADMIN, not in a locked-down container). */
const canMount = (() => {
  if (process.platform !== 'linux') return false;
  const probe = join(process.env.TMPDIR ?? '/tmp', `ahchat-mount-probe-${process.pid}`);
  mkdirSync(probe, { recursive: true });
  try {
    if (!tryMount(['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe])) return false;
    unmount(probe);
    return true;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
})();
afterAll(() => {
  if (!canMount) console.log('lowdb-directory: mounting is not allowed here: the read-only and full-tmpfs tests were left out');
});

/** A fresh tmpfs of `size` mounted at a new directory inside the test's temp dir. */
function mountTmpfs(size: string): string {
  const at = join(dir, 'mnt');
  mkdirSync(at);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', at]);
  mounts.push(at);
  return at;
}

describe.runIf(canMount)('with a real file system (tmpfs)', () => {
  it('read-only (mounted ro): refused at start with one line naming the directory (standalone: exit 1)', async () => {
    const mnt = mountTmpfs('4m');
    const data = join(mnt, 'data');
    // A directory with data in it, then the file system goes read-only (as a remount ro after errors does).
    const store = lowdbStore({ dir: data });
    await store.createBuyer({ name: 'Ann', tokenHash: 'h' });
    await store.close();
    execFileSync('mount', ['-o', 'remount,ro', mnt]);
    expect(() => lowdbStore({ dir: data })).toThrow(`lowdbStore: data directory ${data} is not writable: EROFS: read-only file system, open '${data}/.lock.`);
    const { code, line } = await failedStart(data);
    expect(code).toBe(1);
    expect(line).toMatch(new RegExp(`^ahchat: AHCHAT_DB: lowdbStore: data directory ${data} is not writable: EROFS: read-only file system, open '${data}/\\.lock\\.\\d+\\.[0-9a-f]+\\.tmp'$`));
  });

  it('a full disk: the server stays up, a message answers INTERNAL_ERROR, the seller signs in with what was confirmed; with space again the resend is confirmed once', async () => {
    const mnt = mountTmpfs('1m');
    const data = join(mnt, 'data');
    const server = await start(data);
    const buyer = await connect(server);
    const auth = await buyer.request('auth', { protocol: 2, name: 'Ann', sellerId: SELLER.id });
    const { chatId } = auth.data;
    expect((await buyer.request('message', { text: 'confirmed', clientDate: 1, chatId, clientId: 'c1' })).data.id).toBe(1);

    // Fill the file system: big chunks, then single bytes for the last partial page.
    const filler = join(mnt, 'filler');
    for (const size of [64 * 1024, 1]) {
      for (;;) {
        try {
          writeFileSync(filler, Buffer.alloc(size, 1), { flag: 'a' });
        } catch (error) {
          expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
          break;
        }
      }
    }

    // More than the journal file's last page can still take (tmpfs allocates pages of 4 KiB): 6,000 bytes.
    const long = 'é'.repeat(3000);
    expect(await buyer.request('message', { text: long, clientDate: 2, chatId, clientId: 'c2' })).toEqual({ command: 'message', error: 'INTERNAL_ERROR', data: { clientId: 'c2' } });
    const seller = await connect(server);
    const sellerAuth = await seller.request('auth', { protocol: 2, id: SELLER.id, token: SELLER.token });
    expect(sellerAuth.error).toBeUndefined();
    expect(sellerAuth.data.chats[0]).toMatchObject({ id: chatId, unread: 1 });
    expect(sellerAuth.data.chats[0].messages.map((m: { text: string }) => m.text)).toEqual(['confirmed']);

    rmSync(filler);
    const pushed = seller.next('message');
    expect((await buyer.request('message', { text: long, clientDate: 2, chatId, clientId: 'c2' })).data).toMatchObject({ id: 2, clientId: 'c2' });
    expect((await pushed).data).toMatchObject({ id: 2, chatId, my: false });
    expect(server.child.exitCode).toBeNull();
    expect(server.output()).toMatch(/ENOSPC/);
    expect(await server.kill('SIGTERM')).toBe(0);

    const reopened = lowdbStore({ dir: data });
    expect((await reopened.listMessages(chatId, { limit: 10 })).map((m) => m.id)).toEqual([1, 2]);
    await reopened.close();
  });
});
