/** SignInThrottle on a fake clock: free failures, doubling waits up to the cap, forgetting, one line per burst. */
import { describe, expect, it } from 'vitest';
import { FORGET_AFTER_MS, SignInThrottle } from '../../lib/chat/sign-in-throttle.js';

function throttle(limit = { failures: 3, maxDelayMs: 8000 }) {
  let now = 0;
  const lines: string[] = [];
  const t = new SignInThrottle(limit, { info() {}, warn: (m) => lines.push(m), error() {} }, () => now);
  return { t, lines, advance: (ms: number) => (now += ms) };
}

describe('SignInThrottle', () => {
  it('lets `failures` failures through, then makes each further attempt wait 1 s, doubling up to maxDelayMs', () => {
    const { t, advance } = throttle();
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      const wait = t.retryAfter('203.0.113.1', '10');
      waits.push(wait);
      advance(wait);
      t.failed('203.0.113.1', '10');
    }
    expect(waits).toEqual([0, 0, 0, 1000, 2000, 4000, 8000, 8000]);
    expect(t.retryAfter('203.0.113.1', '10')).toBe(8000);
    advance(7999);
    expect(t.retryAfter('203.0.113.1', '10')).toBe(1);
  });

  it('counts per address and per seller id: another address is held by the seller id, another seller by the address', () => {
    const { t } = throttle();
    for (let i = 0; i < 3; i++) t.failed('203.0.113.1', '10');
    expect(t.retryAfter('203.0.113.1', '20')).toBe(1000);
    expect(t.retryAfter('198.51.100.7', '10')).toBe(1000);
    expect(t.retryAfter('198.51.100.7', '20')).toBe(0);
  });

  it('four addresses taking turns at one seller share its budget', () => {
    const { t } = throttle();
    t.failed('127.0.0.1', '10');
    t.failed('127.0.0.2', '10');
    t.failed('127.0.0.3', '10');
    for (const ip of ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4']) expect(t.retryAfter(ip, '10')).toBe(1000);
  });

  it("exempts an address that signed in as the seller from that seller's lock, not from its own", () => {
    const { t } = throttle();
    t.succeeded('192.0.2.5', '10');
    for (let i = 0; i < 3; i++) t.failed('203.0.113.1', '10');
    expect(t.retryAfter('192.0.2.5', '10')).toBe(0);
    for (let i = 0; i < 3; i++) t.failed('192.0.2.5', '10');
    expect(t.retryAfter('192.0.2.5', '10')).toBe(1000);
  });

  it('forgets a key after a quiet period, and logs one line per burst naming address and seller id', () => {
    const { t, lines, advance } = throttle();
    for (let i = 0; i < 6; i++) t.failed('203.0.113.1', '10');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^seller sign-in throttled for seller id "10" from 203\.0\.113\.1: 3 failed attempts from this address, 3 for this seller id from 1 address;/);
    advance(FORGET_AFTER_MS + 1);
    expect(t.retryAfter('203.0.113.1', '10')).toBe(0);
    for (let i = 0; i < 3; i++) t.failed('203.0.113.1', '10');
    expect(lines).toHaveLength(2);
  });
});
