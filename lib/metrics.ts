/**
 * Metrics in the Prometheus text format (option `metrics`), on prom-client: it is the Node client
 * Prometheus users already run, it does the text format, histogram buckets and scrape-time gauges,
 * and a host can hand us its own Registry to serve everything on one endpoint.
 *
 * Cost when on: a counter increment per message and per error answer, and two clock reads per store
 * and bus call; socket counts and the bus state are computed only when scraped. Off: nothing.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Bus } from './bus/bus.js';
import type { ErrorCode } from './wire/index.js';
import type { Side, Store } from './store/store.js';

export interface MetricsOptions {
  /** Register AH Chat's metrics here (e.g. the host's own). Default: a registry of the plugin's own. */
  registry?: Registry;
  /** Name prefix of every metric. Default 'ahchat_'. */
  prefix?: string;
}

/** Seconds: store and bus calls take from well under a millisecond (memory) to seconds (a stuck database). */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export interface MetricsSources {
  /** The side of each open socket (null: not signed in yet). */
  sockets(): Iterable<Side | null>;
  /** Resolves when the bus answers; rejects otherwise. */
  busUp(): Promise<boolean>;
}

export class ChatMetrics {
  readonly registry: Registry;
  private readonly messages: Counter<'from'>;
  private readonly errors: Counter<'code'>;
  private readonly storeLatency: Histogram<'operation'>;
  private readonly busLatency: Histogram<'operation'>;

  constructor(options: MetricsOptions, sources: MetricsSources) {
    const registry = (this.registry = options.registry ?? new Registry());
    const prefix = options.prefix ?? 'ahchat_';
    const registers = [registry];
    new Gauge({
      name: `${prefix}sockets_open`,
      help: 'Open WebSockets on this instance, by side (none: not signed in yet).',
      labelNames: ['side'],
      registers,
      collect() {
        const counts = { buyer: 0, seller: 0, none: 0 };
        for (const side of sources.sockets()) counts[side ?? 'none']++;
        for (const [side, count] of Object.entries(counts)) this.set({ side }, count);
      },
    });
    new Gauge({
      name: `${prefix}bus_up`,
      help: 'Whether the bus is started and answers (1) or not (0).',
      registers,
      async collect() {
        this.set((await sources.busUp().catch(() => false)) ? 1 : 0);
      },
    });
    this.messages = new Counter({ name: `${prefix}messages_total`, help: 'Messages stored, by sender side.', labelNames: ['from'], registers });
    this.errors = new Counter({ name: `${prefix}errors_total`, help: 'Error answers sent to clients, by error code.', labelNames: ['code'], registers });
    this.storeLatency = new Histogram({
      name: `${prefix}store_seconds`,
      help: 'Duration of store calls, by operation (rejected calls included).',
      labelNames: ['operation'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.busLatency = new Histogram({
      name: `${prefix}bus_seconds`,
      help: 'Duration of bus calls, by operation (rejected calls included).',
      labelNames: ['operation'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
  }

  message(from: Side): void {
    this.messages.inc({ from });
  }

  error(code: ErrorCode): void {
    this.errors.inc({ code });
  }

  /** The store's contract methods, each call timed (the plugin uses only these). */
  timedStore(store: Store): Store {
    return timed(store, this.storeLatency, [
      'createBuyer', 'findBuyerByTokenHash', 'openChat', 'getChat', 'listChats',
      'appendMessage', 'listMessages', 'listRecentMessages', 'markRead', 'closeChat',
      'getBuyer', 'findBuyerByExternalId', 'upsertBuyer', 'updateBuyer', 'setChatContext',
    ], ['close', 'ping']);
  }

  timedBus(bus: Bus): Bus {
    return timed(bus, this.busLatency, ['publish', 'join', 'leave', 'isOnline'], ['start', 'close', 'ping']);
  }
}

/**
 * An object with `target`'s `methods`, each observing its duration in `histogram`, and its
 * `passed` methods as they are (bound to `target`, so a class with private fields works too).
 */
function timed<T extends object>(target: T, histogram: Histogram<'operation'>, methods: readonly string[], passed: readonly string[]): T {
  const wrapper: Record<string, unknown> = {};
  for (const name of passed) {
    const method = (target as Record<string, unknown>)[name];
    if (typeof method === 'function') wrapper[name] = method.bind(target);
  }
  for (const name of methods) {
    const method = (target as Record<string, unknown>)[name];
    if (typeof method !== 'function') continue;
    const child = histogram.labels({ operation: name });
    wrapper[name] = function (...args: unknown[]) {
      const start = performance.now();
      const done = () => child.observe((performance.now() - start) / 1000);
      const result = (method as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      result.then(done, done);
      return result;
    };
  }
  return wrapper as T;
}
