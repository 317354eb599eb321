/**
 * One log line when a backing system (PostgreSQL, Redis) stops answering and one when it answers
 * again, however many requests fail in between: an outage is an incident, not a flood of lines.
 */
import type { Logger } from './logger.js';

/**
 * An outage ends at the first success at least `settleMs` after its last failure: a restart kills
 * every connection, and their errors arrive spread over a moment, between successes on new ones.
 */
export class OutageLog {
  private downSince: number | null = null;
  private lastFailure = 0;
  private failures = 0;

  constructor(
    private readonly logger: Logger,
    /** What is away, e.g. "postgresStore: PostgreSQL". */
    private readonly what: string,
    /** What that means meanwhile, in a few words. */
    private readonly effect: string,
    private readonly settleMs = 1000,
  ) {}

  get down(): boolean {
    return this.downSince !== null;
  }

  /** A failure: logged only if it starts an outage. */
  failed(reason: string): void {
    this.failures++;
    this.lastFailure = Date.now();
    if (this.downSince !== null) return;
    this.downSince = Date.now();
    this.logger.warn(`${this.what} unavailable (${reason}): ${this.effect}`);
  }

  /**
   * A success: ends the outage, if there was one and it has settled (`force`: it has, whatever the
   * time), with one line giving its length. Returns that length in ms, or null.
   */
  recovered(detail = '', force = false): number | null {
    if (this.downSince === null) return null;
    if (!force && Date.now() - this.lastFailure < this.settleMs) return null;
    const ms = Date.now() - this.downSince;
    const failures = this.failures;
    this.downSince = null;
    this.failures = 0;
    this.logger.info(`${this.what} available again after ${ms} ms (${failures} failed operation${failures === 1 ? '' : 's'})${detail}`);
    return ms;
  }
}
