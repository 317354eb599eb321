import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, backoffDelay } from '../../widget/backoff.js';

describe('backoffDelay', () => {
  it('doubles the ceiling per attempt and keeps half of it fixed', () => {
    expect(backoffDelay(0, 0)).toBe(250);
    expect(backoffDelay(0, 0.999999)).toBe(500);
    expect(backoffDelay(1, 0)).toBe(500);
    expect(backoffDelay(3, 0)).toBe(2000);
    expect(backoffDelay(3, 0.5)).toBe(3000);
  });

  it('never exceeds the cap, however many attempts', () => {
    for (const attempt of [10, 20, 100, 10_000]) {
      expect(backoffDelay(attempt, 0.999999)).toBeLessThanOrEqual(DEFAULT_BACKOFF.max);
      expect(backoffDelay(attempt, 0)).toBe(DEFAULT_BACKOFF.max / 2);
    }
  });

  it('spreads clients: different random draws give different delays within [ceiling/2, ceiling]', () => {
    const delays = new Set<number>();
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(4, i / 100);
      expect(d).toBeGreaterThanOrEqual(4000);
      expect(d).toBeLessThanOrEqual(8000);
      delays.add(d);
    }
    expect(delays.size).toBe(100);
  });

  it('takes custom options', () => {
    expect(backoffDelay(2, 0, { base: 100, max: 300 })).toBe(150);
  });
});
