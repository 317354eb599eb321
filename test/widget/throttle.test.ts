import { describe, expect, it } from 'vitest';
import { Throttle } from '../../widget/throttle.js';

describe('Throttle (the typing signal)', () => {
  it('lets one call through per key every `every` ms', () => {
    let now = 1_000;
    const typing = new Throttle(2_000, () => now);
    expect(typing.due(7)).toBe(true);
    now += 500;
    expect(typing.due(7)).toBe(false);
    now += 1_499;
    expect(typing.due(7)).toBe(false);
    now += 1;
    expect(typing.due(7)).toBe(true);
    expect(typing.due(7)).toBe(false);
  });

  it('keeps keys apart, and the first call at time 0 passes', () => {
    let now = 0;
    const typing = new Throttle(2_000, () => now);
    expect(typing.due(1)).toBe(true);
    expect(typing.due(2)).toBe(true);
    expect(typing.due(1)).toBe(false);
    now = 2_000;
    expect(typing.due(1)).toBe(true);
  });

  it('typing all the time sends every 2 s, never more often', () => {
    let now = 0;
    const typing = new Throttle(2_000, () => now);
    let sent = 0;
    for (; now < 10_000; now += 100) if (typing.due(7)) sent++;
    expect(sent).toBe(5);
  });

  it('reset (a message was sent) lets the next signal through at once, for that key only', () => {
    const typing = new Throttle(2_000, () => 5_000);
    expect(typing.due(1)).toBe(true);
    expect(typing.due(2)).toBe(true);
    typing.reset(1);
    expect(typing.due(1)).toBe(true);
    expect(typing.due(2)).toBe(false);
  });
});
