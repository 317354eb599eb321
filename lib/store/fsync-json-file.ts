/**
 * A lowdb adapter like lowdb's JSONFile, but a write resolves only once it would survive a power
 * loss: temp file → fsync → rename over the file → fsync the directory (which makes the rename
 * itself durable).
 *
 * Writes are coalesced as steno's Writer does: while one is in flight, later calls wait for the next
 * one, which carries the newest data; every caller resolves after a write containing its data.
 * The JSON is made when the write starts, not at each call, so a burst costs one stringify.
 */
import { open, readFile, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';

interface Batch<T> {
  data: T;
  waiters: { resolve: () => void; reject: (error: unknown) => void }[];
}

export class FsyncJSONFile<T> implements Adapter<T> {
  #file: string;
  #temp: string;
  #next: Batch<T> | null = null;
  #running = false;

  constructor(file: string) {
    this.#file = file;
    // The same temp name as steno, so a store's loader skips leftovers of either adapter alike.
    this.#temp = join(dirname(file), `.${basename(file)}.tmp`);
  }

  async read(): Promise<T | null> {
    try {
      return JSON.parse(await readFile(this.#file, 'utf8')) as T;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  write(data: T): Promise<void> {
    const batch = (this.#next ??= { data, waiters: [] });
    batch.data = data;
    const done = new Promise<void>((resolve, reject) => batch.waiters.push({ resolve, reject }));
    if (!this.#running) void this.#drain();
    return done;
  }

  async #drain(): Promise<void> {
    this.#running = true;
    while (this.#next) {
      const batch = this.#next;
      this.#next = null;
      try {
        await this.#writeDurably(JSON.stringify(batch.data, null, 2));
        for (const waiter of batch.waiters) waiter.resolve();
      } catch (error) {
        for (const waiter of batch.waiters) waiter.reject(error);
      }
    }
    this.#running = false;
  }

  async #writeDurably(text: string): Promise<void> {
    const file = await open(this.#temp, 'w');
    try {
      await file.writeFile(text, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(this.#temp, this.#file);
    await syncDirectory(dirname(this.#file));
  }
}

async function syncDirectory(dir: string): Promise<void> {
  // Windows cannot open a directory to fsync it; its rename is already as durable as it gets there.
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
