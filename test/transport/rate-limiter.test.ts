/** Token buckets: bursts, refill, a clock that steps back; per-key buckets with bounded memory; once-per-key intervals. */
import { describe, expect, it } from 'vitest';
import { KeyedRateLimiter, OncePerKey, RateLimiter } from '../../lib/transport/rate-limiter.js';

describe('RateLimiter', () => {
  it('allows a burst of capacity, then refills evenly over the interval', () => {
    let now = 1000;
    const limiter = new RateLimiter(3, 3000, () => now);
    expect([limiter.take(), limiter.take(), limiter.take(), limiter.take()]).toEqual([true, true, true, false]);
    now += 1000;
    expect([limiter.take(), limiter.take()]).toEqual([true, false]);
  });

  it('does not empty the bucket when the clock steps back', () => {
    let now = 10_000;
    const limiter = new RateLimiter(2, 1000, () => now);
    expect(limiter.take()).toBe(true);
    now -= 60_000;
    expect(limiter.take()).toBe(true);
    expect(limiter.take()).toBe(false);
  });
});

describe('KeyedRateLimiter', () => {
  it('keeps one bucket per key', () => {
    const limiter = new KeyedRateLimiter(1, 60_000);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('b')]).toEqual([true, false, true]);
  });

  it('forgets the least recently used key beyond maxKeys', () => {
    const limiter = new KeyedRateLimiter(1, 60_000, 2);
    limiter.take('a');
    limiter.take('b');
    expect(limiter.take('a')).toBe(false); // 'a' is now the most recent; 'b' the oldest
    limiter.take('c'); // evicts 'b'
    expect(limiter.take('a')).toBe(false);
    expect(limiter.take('b')).toBe(true);
  });
});

describe('OncePerKey', () => {
  it('is due for a new key, not again within the interval, and again after it; keys are apart', () => {
    let now = 0;
    const once = new OncePerKey(1000, 2, () => now);
    expect(once.due('a')).toBe(true);
    once.mark('a');
    now = 999;
    expect(once.due('a')).toBe(false);
    expect(once.due('b')).toBe(true);
    now = 1000;
    expect(once.due('a')).toBe(true);
  });

  it('forgets the oldest key beyond its size (so it is due again)', () => {
    const now = 0;
    const once = new OncePerKey(1000, 2, () => now);
    for (const key of ['a', 'b', 'c']) once.mark(key);
    expect(once.due('a')).toBe(true);
    expect(once.due('c')).toBe(false);
  });
});
