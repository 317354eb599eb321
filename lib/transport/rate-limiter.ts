import { BoundedMap } from './bounded-map.js';

/**
 * A token bucket: `capacity` frames at once, refilled evenly over `intervalMs`.
 * A bucket allows short bursts (a pasted paragraph split into lines) while holding the average.
 */
export class RateLimiter {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly capacity: number,
    private readonly intervalMs: number,
    // Monotonic: a wall-clock step back (NTP, a resumed VM) must not empty every bucket.
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = capacity;
    this.updatedAt = now();
  }

  /** Takes one token; false when the bucket is empty. */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Gives back a token taken for an action that turned out to cost nothing. */
  refund(): void {
    this.tokens = Math.min(this.capacity, this.tokens + 1);
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + (Math.max(0, now - this.updatedAt) * this.capacity) / this.intervalMs);
    this.updatedAt = now;
  }
}

/**
 * One token bucket per key (a client IP), for actions that cost storage (sign-ups, new chats).
 * The least recently used buckets are forgotten beyond `maxKeys`, so memory stays bounded however
 * many addresses show up (a forgotten key starts again with a full bucket).
 */
export class KeyedRateLimiter {
  private readonly buckets: BoundedMap<string, RateLimiter>;

  constructor(
    private readonly capacity: number,
    private readonly intervalMs: number,
    maxKeys = 10_000,
  ) {
    this.buckets = new BoundedMap(maxKeys);
  }

  take(key: string): boolean {
    const bucket = this.buckets.get(key) ?? new RateLimiter(this.capacity, this.intervalMs);
    // Set on every use, so the map's oldest entries are the least recently active keys.
    this.buckets.set(key, bucket);
    return bucket.take();
  }

  /** Gives back a token taken with take(key) (the action did not happen after all). */
  refund(key: string): void {
    this.buckets.get(key)?.refund();
  }
}

/**
 * Remembers when each key last did something (at most `size` keys, the oldest forgotten first), so
 * that a log line or a notice goes out at most once per key per `intervalMs`.
 */
export class OncePerKey {
  private readonly last: BoundedMap<string, number>;

  constructor(
    private readonly intervalMs: number,
    size = 1000,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.last = new BoundedMap(size);
  }

  /** Whether the key's interval has passed since it was last marked (or it never was). */
  due(key: string): boolean {
    const last = this.last.get(key);
    return last === undefined || this.now() - last >= this.intervalMs;
  }

  mark(key: string): void {
    this.last.set(key, this.now());
  }
}
