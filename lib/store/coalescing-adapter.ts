/**
 * Wraps a lowdb adapter so that at most one write is in flight; the writes asked for meanwhile are
 * merged into one, made with the newest data when the current one completes. Every caller resolves
 * after a write that carries its data (or rejects with that write's error).
 *
 * Why not rely on steno (inside lowdb's JSONFile), which also coalesces? It coalesces the disk
 * writes but JSONFile serialises at every call: a burst of 50 appends to one chat serialised its
 * segment 50 times in one tick (measured: ~26 ms of blocked event loop with 1000-message segments).
 * Here the inner adapter is called once per batch, so a burst costs one serialisation.
 *
 * The data passed to write() may be the same object each time (lowdb's `db.data`): a batch writes
 * whatever it holds when the batch starts, which includes every earlier caller's change.
 */
import type { Adapter } from 'lowdb';

interface Batch<T> {
  data: T;
  waiters: { resolve: () => void; reject: (error: unknown) => void }[];
}

export class CoalescingAdapter<T> implements Adapter<T> {
  #inner: Adapter<T>;
  #next: Batch<T> | null = null;
  #running = false;

  constructor(inner: Adapter<T>) {
    this.#inner = inner;
  }

  read(): Promise<T | null> {
    return this.#inner.read();
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
    // Start on the next microtask: calls made in the same tick join the first batch.
    await Promise.resolve();
    while (this.#next) {
      const batch = this.#next;
      this.#next = null;
      try {
        await this.#inner.write(batch.data);
        for (const waiter of batch.waiters) waiter.resolve();
      } catch (error) {
        for (const waiter of batch.waiters) waiter.reject(error);
      }
    }
    this.#running = false;
  }
}
