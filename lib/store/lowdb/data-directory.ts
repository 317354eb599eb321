/**
 * Opens a data directory: creates it and its subdirectories, takes its lock, and checks that every
 * one of them takes a new file, so that a directory we could read but never write fails here, before
 * anything listens, and not at the first sign-up.
 */
import { mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DirectoryLock, DirectoryLockedError } from './directory-lock.js';
import type { DataDirs } from './segments.js';
import { syncDirectorySync } from './sync-directory.js';

const oneLine = (error: unknown): string => String((error as Error)?.message ?? error).replace(/\s*\n\s*/g, ' ');

/** The subdirectories of `dir`. */
export function dataDirs(dir: string): DataDirs {
  return { buyers: join(dir, 'buyers'), chats: join(dir, 'chats'), messages: join(dir, 'messages'), journal: join(dir, 'journal') };
}

/**
 * @throws DirectoryLockedError when another live process holds it; an Error naming the directory
 *   when it cannot be created or written.
 */
export function openDirectory(dir: string, subdirs: string[]): DirectoryLock {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new Error(`lowdbStore: data directory ${dir} cannot be created: ${oneLine(error)}`, { cause: error });
  }
  let lock: DirectoryLock;
  try {
    lock = DirectoryLock.acquire(dir);
  } catch (error) {
    if (error instanceof DirectoryLockedError) throw error;
    throw new Error(`lowdbStore: data directory ${dir} is not writable: ${oneLine(error)}`, { cause: error });
  }
  try {
    for (const path of subdirs) {
      mkdirSync(path, { recursive: true });
      // A temp-file name, which no loader takes for data should it stay behind.
      const probe = join(path, `.probe.${process.pid}.tmp`);
      writeFileSync(probe, '');
      unlinkSync(probe);
    }
  } catch (error) {
    lock.release();
    throw new Error(`lowdbStore: data directory ${dir} is not writable: ${oneLine(error)}`, { cause: error });
  }
  return lock;
}

/** With fsync: makes the directory itself durable once, before any file in it is. */
export function syncDataDirectory(dir: string): void {
  syncDirectorySync(dirname(dir));
  syncDirectorySync(dir);
}
