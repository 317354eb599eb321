/**
 * A lowdb adapter like lowdb's JSONFile, but a write resolves only once it would survive a power
 * loss: temp file → fsync → rename over the file → fsync the directory (which makes the rename
 * itself durable).
 *
 * Writes run one after another (they share the temp file); each serialises its data when called.
 */
import { open, readFile, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';
import { syncDirectory } from './sync-directory.js';

export class FsyncJSONFile<T> implements Adapter<T> {
  #file: string;
  #temp: string;
  #last: Promise<void> = Promise.resolve();

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
    const text = JSON.stringify(data, null, 2);
    const write = (): Promise<void> => this.#writeDurably(text);
    const done = this.#last.then(write, write);
    this.#last = done;
    return done;
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
