/**
 * A per-key rate limit: `due(key)` is true at most once every `every` ms for the same key (the
 * typing signal: one per chat every 2 s while the user types). `now` is injected for tests.
 */
export class Throttle {
  readonly #last = new Map<number, number>();
  readonly #every: number;
  readonly #now: () => number;

  constructor(every: number, now: () => number = Date.now) {
    this.#every = every;
    this.#now = now;
  }

  due(key: number): boolean {
    const t = this.#now();
    if (t - (this.#last.get(key) ?? -this.#every) < this.#every) return false;
    this.#last.set(key, t);
    return true;
  }

  /** The next due(key) is true again (a sent message ended the other side's "typing…"). */
  reset(key: number): void {
    this.#last.delete(key);
  }
}
