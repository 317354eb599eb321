/**
 * Allowed origins: normalising configured ones to what a browser sends, and logging refusals.
 * (Which request passes is `originAllowed` in upgrade.ts.)
 */
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../logger.js';
import type { OriginsOption } from '../options.js';
import { OncePerKey, RateLimiter } from './rate-limiter.js';


/** At most this many refusal lines per minute in all (an attacker may send a new Origin each time). */
const LINES_PER_MINUTE = 10;
/** One line per origin per this period. */
const PER_ORIGIN_MS = 10 * 60_000;

/** Logs refused Origins: one line per origin per 10 minutes, at most 10 lines a minute, naming what to set. */
export class OriginRefusals {
  private readonly lines = new RateLimiter(LINES_PER_MINUTE, 60_000);
  private readonly logged: OncePerKey;
  private unlogged = 0;

  constructor(
    private readonly origins: OriginsOption | undefined,
    private readonly logger: Logger,
    now: () => number = () => performance.now(),
  ) {
    this.logged = new OncePerKey(PER_ORIGIN_MS, 1000, now);
    if (origins === '*') {
      logger.warn("origins '*' (AHCHAT_ORIGINS='*'): pages on any site may open sockets and sign buyers up; list your shop's origins instead");
    }
  }

  refused(request: IncomingMessage): void {
    const origin = String(request.headers.origin).slice(0, 200);
    if (!this.logged.due(origin)) return;
    if (!this.lines.take()) {
      this.unlogged++;
      return;
    }
    this.logged.mark(origin);
    const allowed = Array.isArray(this.origins) ? `the allowed origins are ${this.origins.join(', ')}` : "only this server's own origin is allowed";
    const more = this.unlogged > 0 ? ` (${this.unlogged} other refusals not logged)` : '';
    this.unlogged = 0;
    this.logger.warn(
      `refused a socket from Origin ${JSON.stringify(origin)} (Host ${JSON.stringify(String(request.headers.host ?? '').slice(0, 200))}): ` +
        `${allowed}; if the page is yours, add its origin to the "origins" option (AHCHAT_ORIGINS for the standalone server)${more}`,
    );
  }
}
