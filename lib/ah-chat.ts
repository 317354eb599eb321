/**
 * The plugin: `app.use(ahChat(options))`. Wires options → store, bus, hub → the WebSocket endpoint
 * and the widget routes. Returns an Express sub-app that can also attach() and close().
 */
import type { IncomingMessage, Server } from 'node:http';
import express, { type Express } from 'express';
import type { Bus } from './bus/bus.js';
import { localBus } from './bus/local-bus.js';
import { handleRequest } from './chat/commands.js';
import type { ChatContext } from './chat/context.js';
import { Hub } from './chat/hub.js';
import type { Session } from './chat/session.js';
import { SignInThrottle } from './chat/sign-in-throttle.js';
import { UnreadNotifier } from './chat/unread-notifier.js';
import type { AhChatEventName, AhChatEvents, AhChatListener } from './events.js';
import { attachOnListen, claimUpgrades } from './host-server.js';
import { ChatMetrics } from './metrics.js';
import { DEFAULTS, resolveOptions, type AhChatOptions } from './options.js';
import { health, readiness } from './probes.js';
import { lowdbStore } from './store/lowdb-store.js';
import type { Store } from './store/store.js';
import { BoundedMap } from './transport/bounded-map.js';
import { KeyedRateLimiter } from './transport/rate-limiter.js';
import { SocketServer } from './transport/socket-server.js';
import { pathnameOf } from './transport/upgrade.js';
import { widgetAssets } from './widget-assets.js';

/** Typed listeners: `chat.on('message', (m) => …)`; 'mount' is Express's own. */
export interface AhChatOn<This> {
  <K extends AhChatEventName>(event: K, listener: AhChatListener<K>): This;
}

export interface AhChat extends Express {
  on: AhChatOn<this>;
  once: AhChatOn<this>;
  off: AhChatOn<this>;
  addListener: AhChatOn<this>;
  removeListener: AhChatOn<this>;
  emit<K extends AhChatEventName>(event: K, payload: AhChatEvents[K]): boolean;
  /** Accepts our WebSocket upgrades on this server (done for you by app.listen or the `server` option). */
  attach(server: Server): void;
  /** Closes our sockets (1001), timers and upgrade hooks, then the store and bus. Other sockets are untouched. */
  close(): Promise<void>;
  /** The store in use (the default lowdb one when none was given). */
  readonly store: Store;
  /** Resolves once the bus is connected (at once for the in-process bus); sockets wait for it. */
  readonly ready: Promise<void>;
  /** Number of open sockets on this instance. */
  readonly connections: number;
  /** The prom-client Registry holding AH Chat's metrics (option `metrics`); undefined without it. */
  readonly metrics: ChatMetrics['registry'] | undefined;
}

export function ahChat(input: AhChatOptions): AhChat {
  const options = resolveOptions(input);
  const givenStore = options.store ?? lowdbStore({ dir: DEFAULTS.dataDir });
  const givenBus: Bus = options.bus ?? localBus();
  const metrics: ChatMetrics | undefined = options.metrics
    ? new ChatMetrics(options.metrics === true ? {} : options.metrics, {
        sockets: () => [...sockets.connections].map((c) => c.session?.side ?? null),
        busUp: async () => {
          if (busStart !== 'started') return false;
          await givenBus.ping?.();
          return true;
        },
      })
    : undefined;
  // With metrics, the hub and commands go through timed copies; without, through the originals.
  const store = metrics ? metrics.timedStore(givenStore) : givenStore;
  const bus = metrics ? metrics.timedBus(givenBus) : givenBus;
  const app = express() as unknown as AhChat;
  app.disable('x-powered-by');
  const hub = new Hub(bus, app);
  const started = hub.start();
  /** For the readiness probe, which must not wait for a bus that is still connecting. */
  let busStart: 'starting' | 'started' | Error = 'starting';
  started.then(
    () => (busStart = 'started'),
    (error: unknown) => (busStart = error instanceof Error ? error : new Error(String(error))),
  );
  const signUps = new KeyedRateLimiter(options.signUpRateLimit.count, options.signUpRateLimit.intervalMs);
  const ctx: ChatContext = {
    options,
    store,
    hub,
    sellerNames: new Map(),
    events: app,
    signUps,
    knownChats: new BoundedMap(100_000),
    sellerSignIns: new SignInThrottle(options.sellerSignInLimit, options.logger),
    unannounced: new BoundedMap(10_000),
    chatSellers: new BoundedMap(100_000),
  };
  if (options.onUnread) ctx.unread = new UnreadNotifier(store, hub, options.onUnread, options.unreadQuietPeriod, options.logger);
  const { logger } = options;

  const sockets: SocketServer<Session> = new SocketServer<Session>({
    options,
    ready: started,
    handle: (c, request) => handleRequest(ctx, c, request),
    closed: (c) => {
      hub.remove(c).catch((error: Error) => logger.error(`presence update failed: ${error.message}`));
    },
    ...(metrics ? { errored: (code) => metrics.error(code) } : {}),
  });
  const detachers = new Map<Server, () => void>();

  /** Our endpoint below wherever we are mounted (app.path() joins the mount paths). */
  function socketPaths(): string[] {
    const prefix = app.path().replace(/\/+$/, '');
    return [prefix + options.path, ...options.extraSocketPaths];
  }
  const claims = (request: IncomingMessage) => socketPaths().includes(pathnameOf(request.url));

  app.attach = (server: Server) => {
    if (sockets.isClosing || detachers.has(server)) return;
    detachers.set(server, claimUpgrades(server, claims, (request, socket, head) => sockets.upgrade(request, socket, head)));
    sockets.startHeartbeat();
  };
  app.on('mount', (parent: express.Application) => attachOnListen(parent, app.attach));

  app.close = async () => {
    if (sockets.isClosing) return;
    ctx.unread?.close();
    await sockets.close();
    // The last sockets' presence updates go through the bus: let them finish before closing it.
    await hub.settled();
    // Until here our paths stay claimed, so upgrades to them get 503 rather than reaching the host.
    for (const detach of detachers.values()) detach();
    detachers.clear();
    await bus.close();
    await store.close();
  };

  Object.defineProperty(app, 'store', { value: givenStore });
  Object.defineProperty(app, 'metrics', { value: metrics?.registry });
  if (metrics) app.on('message', (message) => metrics.message(message.from));
  Object.defineProperty(app, 'ready', { value: started });
  Object.defineProperty(app, 'connections', { get: () => sockets.connections.size });

  app.get(`${options.path}/health`, health);
  app.get(
    `${options.path}/ready`,
    readiness({
      server: async () => {
        if (sockets.isClosing) throw new Error('closing');
      },
      bus: async () => {
        if (busStart !== 'started') throw busStart === 'starting' ? new Error('connecting') : busStart;
        await givenBus.ping?.();
      },
      store: async () => {
        await givenStore.ping?.();
      },
    }),
  );
  if (metrics) {
    app.get(`${options.path}/metrics`, (_request, response, next) => {
      metrics.registry.metrics().then((text) => response.type(metrics.registry.contentType).send(text), next);
    });
  }
  app.use(options.path, widgetAssets(logger.warn));
  if (options.server) app.attach(options.server);
  return app;
}
