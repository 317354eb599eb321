/** Token buckets: bursts, refill, a clock that steps back; per-key buckets with bounded memory. */
import { describe, expect, it } from 'vitest';
import { KeyedRateLimiter, RateLimiter } from '../lib/rate-limiter.js';

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
