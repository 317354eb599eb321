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

  isFull(): boolean {
    this.refill();
    return this.tokens >= this.capacity;
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + (Math.max(0, now - this.updatedAt) * this.capacity) / this.intervalMs);
    this.updatedAt = now;
  }
}

/**
 * One token bucket per key (a client IP), for actions that cost storage (sign-ups, new chats).
 * Buckets that have filled up again are forgotten when the map grows, so memory stays bounded by
 * the keys active within one interval.
 */
export class KeyedRateLimiter {
  private readonly buckets = new Map<string, RateLimiter>();

  constructor(
    private readonly capacity: number,
    private readonly intervalMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  take(key: string): boolean {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.prune();
      bucket = new RateLimiter(this.capacity, this.intervalMs);
      this.buckets.set(key, bucket);
    }
    return bucket.take();
  }

  /** Drops the buckets that are full again (their keys have been quiet for a whole interval). */
  private prune(): void {
    for (const [key, bucket] of this.buckets) if (bucket.isFull()) this.buckets.delete(key);
  }
}
