/** What every server child reports about itself: CPU time, memory after GC, event-loop stalls. */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

const gc = (globalThis as { gc?: () => void }).gc;

async function collect(): Promise<void> {
  if (!gc) return;
  // Several rounds with turns of the loop between them, so weak callbacks and finalizers run too.
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function serverStats() {
  let loop: IntervalHistogram | null = null;
  return {
    /** CPU time used so far by all threads (µs; user part apart) and a wall-clock stamp (ms), for CPU per message. */
    cpu: () => {
      const { user, system } = process.cpuUsage();
      return { cpuMicros: user + system, userMicros: user, wallMs: performance.now() };
    },
    /** Memory after a full GC (needs --expose-gc). */
    mem: async () => {
      await collect();
      const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
      return { rss, heapUsed, external, arrayBuffers, gc: gc !== undefined };
    },
    loopStart: () => {
      loop = monitorEventLoopDelay({ resolution: 1 });
      loop.enable();
    },
    /** Worst and 99th percentile event-loop delay (ms) since loopStart. */
    loopStop: () => {
      if (!loop) return null;
      loop.disable();
      const result = { maxMs: loop.max / 1e6, p99Ms: loop.percentile(99) / 1e6 };
      loop = null;
      return result;
    },
  };
}
