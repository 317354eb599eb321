/**
 * Health probes under the plugin's path: `GET …/health` (liveness: the process answers HTTP) and
 * `GET …/ready` (readiness: started, not closing, store and bus answer). Cheap enough for a load
 * balancer every second: one store and one bus round trip (none for memory, lowdb and the local
 * bus), and callers that arrive while a check runs share it.
 */
import type { Request, Response } from 'express';

/** A check resolves when its part is ready and rejects with the reason when not. */
export type ReadinessCheck = () => Promise<void>;

/** How long one part may take to answer before it counts as not ready. */
export const READY_TIMEOUT_MS = 2000;

export function health(_request: Request, response: Response): void {
  response.set('Cache-Control', 'no-store').json({ status: 'ok' });
}

/** A readiness handler over named checks; the 503 names the first part that is not ready, and why. */
export function readiness(checks: Record<string, ReadinessCheck>): (request: Request, response: Response) => void {
  let running: Promise<string | null> | null = null;
  const run = async (): Promise<string | null> => {
    const results = await Promise.allSettled(Object.entries(checks).map(([name, check]) => within(name, check)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    return failed ? String((failed.reason as Error)?.message ?? failed.reason) : null;
  };
  return (_request, response) => {
    running ??= run().finally(() => {
      running = null;
    });
    void running.then((reason) => {
      response.set('Cache-Control', 'no-store');
      if (reason === null) response.json({ status: 'ready' });
      else response.status(503).json({ status: 'unavailable', reason });
    });
  };
}

/** Runs a check with a deadline; its error message is prefixed with the part's name. */
async function within(name: string, check: ReadinessCheck): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), deadline]);
  } catch (error) {
    throw new Error(`${name}: ${(error as Error)?.message ?? String(error)}`);
  } finally {
    clearTimeout(timer);
  }
}
