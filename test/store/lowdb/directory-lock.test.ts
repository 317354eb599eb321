/**
 * DirectoryLock: one holder per directory, stale locks of processes that are gone taken over at
 * once (a real child process holds the lock and is SIGKILLed), live or foreign ones refused.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DirectoryLock, DirectoryLockedError } from '../../../lib/store/lowdb/directory-lock.js';
import { tmpDir } from '../../helpers/tmp-dir.js';

const LOCK_JS = fileURLToPath(new URL('../../../dist/store/lowdb/directory-lock.js', import.meta.url));

let dir: string;
let remove: () => Promise<void>;
const locks: DirectoryLock[] = [];
beforeEach(async () => {
  ({ path: dir, remove } = await tmpDir('ahchat-lock-'));
});
afterEach(async () => {
  for (const lock of locks.splice(0)) lock.release();
  await remove();
});

const acquire = (at = dir): DirectoryLock => {
  const lock = DirectoryLock.acquire(at);
  locks.push(lock);
  return lock;
};
const lockFile = () => join(dir, 'lock');
const writeLock = (owner: Record<string, unknown>) =>
  writeFileSync(lockFile(), JSON.stringify({ since: Date.UTC(2026, 0, 2, 3, 4, 5), nonce: 'n0', ...owner }));

/** A child process that takes the lock (built module), says so, and waits to be killed. */
async function childHoldingLock(): Promise<{ pid: number; kill: () => Promise<void> }> {
  expect(existsSync(LOCK_JS), `${LOCK_JS} is missing: run "npm run build" first (npm test does)`).toBe(true);
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', `const { DirectoryLock } = await import(process.env.LOCK_JS); DirectoryLock.acquire(process.env.DIR); console.log('locked'); setInterval(() => {}, 1000);`],
    { env: { ...process.env, LOCK_JS, DIR: dir }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => String(chunk).includes('locked') && resolve());
    void exited.then(() => reject(new Error('the child exited before taking the lock')));
  });
  return {
    pid: child.pid!,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

describe('DirectoryLock', () => {
  it('writes pid and host, refuses a second holder in this process with one line naming the directory, and is free after release', () => {
    const lock = acquire();
    const owner = JSON.parse(readFileSync(lockFile(), 'utf8'));
    expect(owner).toMatchObject({ pid: process.pid, host: hostname(), since: expect.any(Number) });
    let error: unknown;
    try {
      DirectoryLock.acquire(dir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DirectoryLockedError);
    expect((error as Error).message).toBe(
      `lowdbStore: data directory ${dir} is in use by this process since ${new Date(owner.since).toISOString()} (lock file ${lockFile()}); ` +
        'one process per directory: stop the other one, or delete the lock file if that process is gone',
    );
    lock.release();
    expect(existsSync(lockFile())).toBe(false);
    acquire();
    // Nothing else left behind: no temp file of either attempt.
    expect(readdirSync(dir)).toEqual(['lock']);
  });

  it('refuses while another process holds it, and takes it over at once after that process was SIGKILLed', async () => {
    const child = await childHoldingLock();
    try {
      expect(() => DirectoryLock.acquire(dir)).toThrow(`lowdbStore: data directory ${dir} is in use by process ${child.pid} on host ${hostname()} since `);
    } finally {
      await child.kill();
    }
    const lock = acquire();
    expect(JSON.parse(readFileSync(lockFile(), 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('never takes over a lock of another host', () => {
    writeLock({ pid: 1, host: 'other-host.example' });
    expect(() => DirectoryLock.acquire(dir)).toThrow(
      `lowdbStore: data directory ${dir} is in use by process 1 on host other-host.example since 2026-01-02T03:04:05.000Z (lock file ${lockFile()})`,
    );
  });

  it('takes over a lock whose pid is not running', () => {
    // Pids are below 2^22 on Linux: this one runs nowhere.
    writeLock({ pid: 2 ** 22 + 17, host: hostname() });
    acquire();
    expect(JSON.parse(readFileSync(lockFile(), 'utf8')).pid).toBe(process.pid);
  });

  it.runIf(process.platform === 'linux')('takes over a lock whose pid runs but is another process (reused pid), or is of another boot', () => {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    // Our parent runs, but started long before this "lock" says its owner did.
    writeLock({ pid: process.ppid, host: hostname(), boot, start: '1' });
    acquire().release();
    writeLock({ pid: process.ppid, host: hostname(), boot: 'another-boot' });
    acquire().release();
    // The same pid, same start, same boot: alive, refused.
    const stat = readFileSync(`/proc/${process.ppid}/stat`, 'utf8');
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    writeLock({ pid: process.ppid, host: hostname(), boot, start });
    expect(() => DirectoryLock.acquire(dir)).toThrow(DirectoryLockedError);
  });

  it('takes over a lock with this process\'s pid that it does not hold (a restart with the same pid, or a copy)', () => {
    writeLock({ pid: process.pid, host: hostname(), nonce: 'not-one-of-ours' });
    acquire();
  });

  it('takes over a damaged lock file', () => {
    writeFileSync(lockFile(), '{"pid": 12');
    acquire();
  });

  it('release() leaves a lock that is no longer its own', () => {
    const lock = acquire();
    writeLock({ pid: 1, host: 'other-host.example' });
    lock.release();
    expect(JSON.parse(readFileSync(lockFile(), 'utf8')).host).toBe('other-host.example');
  });
});
