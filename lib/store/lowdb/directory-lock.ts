/**
 * One process per data directory: a lock file `<dir>/lock` holding the owner's pid and host.
 *
 * Hand-written rather than proper-lockfile: that one decides staleness by an mtime it refreshes on a
 * timer, so after a SIGKILL the next start has to wait out the stale period (or fails), and a busy
 * event loop can lose a live lock. Here a lock is stale at once when its owner is provably gone: same
 * host and the pid is not running (or is running but started after the lock was taken: the pid was
 * reused), or it is this very process's pid but none of its own locks (a container restarted with
 * the same pid, or a copy of a directory it holds). A lock of another host is never taken over: we cannot see
 * its processes (a shared network directory); the error says which host and pid to check.
 *
 * The file is created complete in one step (written to a temp name, then hard-linked to `lock`,
 * which fails if it exists), so nobody ever reads a half-written lock.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';

export interface LockOwner {
  pid: number;
  host: string;
  /** Unix ms when the lock was taken. */
  since: number;
  /** Random, per lock: tells this process's own locks from a copy with the same pid. */
  nonce: string;
  /** Linux: the boot and the process start time, so a reused pid or a reboot is seen as stale. */
  boot?: string;
  start?: string;
}

/** The directory is locked by a live process (the message is one line, naming the directory). */
export class DirectoryLockedError extends Error {
  constructor(
    message: string,
    readonly owner: LockOwner,
  ) {
    super(message);
    this.name = 'DirectoryLockedError';
  }
}

/** The locks this process holds: nonce → lock file. */
const held = new Map<string, string>();

export class DirectoryLock {
  readonly path: string;
  readonly #owner: LockOwner;
  readonly #text: string;
  #released = false;

  private constructor(path: string, owner: LockOwner, text: string) {
    this.path = path;
    this.#owner = owner;
    this.#text = text;
  }

  /**
   * Takes the lock of `dir` (which must exist), taking over a stale one.
   * @throws DirectoryLockedError when a live process holds it; the fs error (e.g. EROFS, EACCES) when
   *   the lock file cannot be written.
   */
  static acquire(dir: string, describe = 'lowdbStore'): DirectoryLock {
    const path = join(dir, 'lock');
    const owner: LockOwner = { pid: process.pid, host: hostname(), since: Date.now(), nonce: randomBytes(8).toString('hex'), ...processIdentity(process.pid) };
    const text = `${JSON.stringify(owner)}\n`;
    const temp = join(dir, `.lock.${process.pid}.${owner.nonce}.tmp`);
    writeFileSync(temp, text, { flag: 'wx' });
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          linkSync(temp, path);
          held.set(owner.nonce, path);
          return new DirectoryLock(path, owner, text);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
        const current = readLock(path);
        if (current === null) continue; // removed meanwhile: try again
        if (current.owner && !isStale(current.owner, path)) throw lockedError(dir, path, current.owner, describe);
        if (attempt >= 3) throw new Error(`${describe}: cannot take the lock ${path}: it keeps changing`);
        breakStale(path, current.text);
      }
    } finally {
      unlinkSync(temp);
    }
  }

  /** Deletes the lock file, if it is still ours. Idempotent. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    held.delete(this.#owner.nonce);
    try {
      if (readFileSync(this.path, 'utf8') === this.#text) unlinkSync(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

function lockedError(dir: string, path: string, owner: LockOwner, describe: string): DirectoryLockedError {
  const who = owner.pid === process.pid && owner.host === hostname() ? 'this process' : `process ${owner.pid} on host ${owner.host}`;
  return new DirectoryLockedError(
    `${describe}: data directory ${dir} is in use by ${who} since ${new Date(owner.since).toISOString()} ` +
      `(lock file ${path}); one process per directory: stop the other one, or delete the lock file if that process is gone`,
    owner,
  );
}

/** The lock file's text and owner; owner undefined when it is not a lock we can read (damaged: stale). */
function readLock(path: string): { text: string; owner: LockOwner | undefined } | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    const ok = Number.isInteger(value.pid) && typeof value.host === 'string' && typeof value.nonce === 'string' && typeof value.since === 'number';
    return { text, owner: ok ? (value as LockOwner) : undefined };
  } catch {
    return { text, owner: undefined };
  }
}

/** Whether the owner of the lock file at `path` is provably gone. */
function isStale(owner: LockOwner, path: string): boolean {
  if (owner.host !== hostname()) return false;
  // Ours only if we took it for this very file (not a copy of a directory we hold elsewhere).
  if (owner.pid === process.pid) return held.get(owner.nonce) !== path;
  const now = processIdentity(owner.pid);
  // Another boot: every process of the lock's boot is gone.
  if (owner.boot && now.boot && owner.boot !== now.boot) return true;
  if (!isRunning(owner.pid)) return true;
  // The pid runs, but it is another process than the one that took the lock.
  return owner.start !== undefined && now.start !== undefined && owner.start !== now.start;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes a stale lock, unless someone replaced it meanwhile: it is renamed away first (atomic), and
 * put back if what was renamed is not the stale lock we looked at.
 */
function breakStale(path: string, staleText: string): void {
  const grave = `${path}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, grave);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    if (readFileSync(grave, 'utf8') !== staleText) {
      try {
        linkSync(grave, path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
  } finally {
    unlinkSync(grave);
  }
}

/** Linux only: the boot id and the process's start time in clock ticks since boot (each absent when unknown). */
function processIdentity(pid: number): { boot?: string; start?: string } {
  if (process.platform !== 'linux') return {};
  const identity: { boot?: string; start?: string } = {};
  try {
    identity.boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    // no /proc: the pid check alone
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; counted after the command name in parentheses, which may hold spaces.
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    if (start) identity.start = start;
  } catch {
    // not running, or no /proc
  }
  return identity;
}
