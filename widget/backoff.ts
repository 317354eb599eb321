/**
 * The reconnect policy: exponential backoff with "equal jitter". Half of each delay is fixed so a
 * client never hammers the server, the other half is random so thousands of widgets that lost the
 * same server do not come back in lockstep.
 */
export interface BackoffOptions {
  /** First delay ceiling in ms. Default 500. */
  base: number;
  /** Largest delay ceiling in ms. Default 30 000. */
  max: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { base: 500, max: 30_000 };

/**
 * Delay in ms before reconnect attempt number `attempt` (0 = the first retry).
 * `random` is a number in [0, 1), injected so tests are deterministic.
 */
export function backoffDelay(attempt: number, random: number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  const ceiling = Math.min(options.max, options.base * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random * ceiling) / 2);
}
