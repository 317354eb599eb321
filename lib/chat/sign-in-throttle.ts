import { BoundedMap } from '../transport/bounded-map.js';
import type { Logger } from '../logger.js';

/** How many failed seller sign-ins a key may have before it must wait, and the longest wait. */
export interface SellerSignInLimit {
  failures: number;
  maxDelayMs: number;
}

/** The first wait once a key has used its free failures; it doubles with each further failure. */
const FIRST_DELAY_MS = 1000;
/** A key with no failure for this long starts again with its free failures (and a new burst is logged). */
export const FORGET_AFTER_MS = 15 * 60_000;

/** The log line counts the addresses failing for a seller id up to this (memory stays small per key). */
const MAX_ADDRESSES_SHOWN = 32;

interface Failures {
  count: number;
  /** No attempt is checked before this (monotonic ms). */
  until: number;
  last: number;
  /** Addresses seen failing for a seller id (for the log line), at most MAX_ADDRESSES_SHOWN. */
  from?: Set<string>;
}

/**
 * Failed seller sign-ins, counted per client address and per seller id. After `failures` failures a
 * key must wait 1 s before its next checked attempt, twice as long after each further failure, up to
 * `maxDelayMs`; an attempt while either key waits is answered RATE_LIMITED without asking
 * authSeller, so a guesser learns nothing from it. Per address it stops one machine; per seller id
 * it stops many machines taking turns at one seller. An address that signed in as a seller before is
 * exempt from that seller's lock (not from its own), so a seller's usual browser is not locked out
 * while someone elsewhere guesses its token. One log line per burst names the address and seller id.
 */
export class SignInThrottle {
  private readonly keys = new BoundedMap<string, Failures>(20_000);
  private readonly trusted = new BoundedMap<string, true>(20_000);

  constructor(
    private readonly limit: SellerSignInLimit,
    private readonly logger: Logger,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Milliseconds before an attempt from `ip` as seller `sellerId` may be checked; 0: now. */
  retryAfter(ip: string, sellerId: string): number {
    const now = this.now();
    const address = this.current(`ip ${ip}`, now);
    const seller = this.trusted.get(`${sellerId}\n${ip}`) ? undefined : this.current(`seller ${sellerId}`, now);
    return Math.max(0, (address?.until ?? 0) - now, (seller?.until ?? 0) - now);
  }

  failed(ip: string, sellerId: string): void {
    const now = this.now();
    const address = this.count(`ip ${ip}`, now);
    const seller = this.count(`seller ${sellerId}`, now);
    if (seller.from && seller.from.size < MAX_ADDRESSES_SHOWN) seller.from.add(ip);
    // Each key reaches its limit once per burst: that is when the burst is logged, once for both.
    const first = this.limit.failures;
    if (address.count !== first && seller.count !== first) return;
    const size = seller.from?.size ?? 1;
    const addresses = size >= MAX_ADDRESSES_SHOWN ? `${size}+` : String(size);
    this.logger.warn(
      `seller sign-in throttled for seller id ${JSON.stringify(sellerId)} from ${ip}: ${address.count} failed attempts from this address, ` +
        `${seller.count} for this seller id from ${addresses} address${size === 1 ? '' : 'es'}; further attempts wait ` +
        `(1 s, doubling up to ${Math.max(1, Math.round(this.limit.maxDelayMs / 1000))} s) and get RATE_LIMITED meanwhile`,
    );
  }

  /** A good sign-in: this address is exempt from the seller id's lock from now on. Failures still count. */
  succeeded(ip: string, sellerId: string): void {
    this.trusted.set(`${sellerId}\n${ip}`, true);
  }

  private current(key: string, now: number): Failures | undefined {
    const entry = this.keys.get(key);
    if (entry && now - entry.last > FORGET_AFTER_MS) {
      this.keys.delete(key);
      return undefined;
    }
    return entry;
  }

  private count(key: string, now: number): Failures {
    const entry = this.current(key, now) ?? { count: 0, until: 0, last: now, ...(key.startsWith('seller ') ? { from: new Set<string>() } : {}) };
    entry.count++;
    entry.last = now;
    const over = entry.count - this.limit.failures;
    if (over >= 0) entry.until = now + Math.min(this.limit.maxDelayMs, FIRST_DELAY_MS * 2 ** Math.min(over, 30));
    this.keys.set(key, entry);
    return entry;
  }
}
