/**
 * The plugin: `app.use(ahChat(options))`. Wires options → store, bus, hub → the WebSocket endpoint
 * and the widget routes. Returns an Express sub-app that can also attach() and close().
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import express, { type Express } from 'express';
import { WebSocketServer } from 'ws';
import type { Bus } from './bus/bus.js';
import { localBus } from './bus/local-bus.js';
import { handleRequest } from './chat/commands.js';
import { Connection } from './transport/connection.js';
import type { ChatContext } from './chat/context.js';
import { CLOSE_CODES } from './wire/index.js';
import { BoundedMap } from './transport/bounded-map.js';
import { Hub } from './chat/hub.js';
import { KeyedRateLimiter } from './transport/rate-limiter.js';
import { SignInThrottle } from './chat/sign-in-throttle.js';
import { resolveOptions, type AhChatOptions } from './options.js';
import { OriginRefusals } from './transport/origins.js';
import { lowdbStore } from './store/lowdb-store.js';
import type { Store } from './store/store.js';
import { claimUpgrades, clientIp, originAllowed, pathnameOf, rejectUpgrade } from './transport/upgrade.js';
import { widgetAssets } from './widget-assets.js';
import { UnreadNotifier } from './chat/unread-notifier.js';
import type { AhChatEventName, AhChatEvents, AhChatListener } from './events.js';
import { ChatMetrics } from './metrics.js';
import { health, readiness } from './probes.js';

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
  const givenStore = options.store ?? lowdbStore({ dir: './ahchat-data' });
  const givenBus: Bus = options.bus ?? localBus();
  const connections = new Set<Connection>();
  const metrics: ChatMetrics | undefined = options.metrics
    ? new ChatMetrics(options.metrics === true ? {} : options.metrics, {
        sockets: () => [...connections].map((c) => c.session?.side ?? null),
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
  const originRefusals = new OriginRefusals(options.origins, logger);

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayload,
    // Off: each compressed socket holds ~200 KiB of zlib state, and chat frames are small.
    perMessageDeflate: false,
    clientTracking: false,
  });
  const perIp = new Map<string, number>();
  const detachers = new Map<Server, () => void>();
  let heartbeat: NodeJS.Timeout | undefined;
  let closing = false;

  /** Our endpoint below wherever we are mounted (app.path() joins the mount paths). */
  function socketPaths(): string[] {
    const prefix = app.path().replace(/\/+$/, '');
    return [prefix + options.path, ...options.extraSocketPaths];
  }
  const claims = (request: IncomingMessage) => socketPaths().includes(pathnameOf(request.url));

  function onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (closing) return rejectUpgrade(socket, 503, 'Service Unavailable');
    if (!originAllowed(options.origins, request)) {
      originRefusals.refused(request);
      return rejectUpgrade(socket, 403, 'Forbidden');
    }
    const ip = clientIp(request, options.trustProxy);
    const count = perIp.get(ip) ?? 0;
    if (count >= options.maxConnectionsPerIp) return rejectUpgrade(socket, 429, 'Too Many Requests');
    // Counted from the upgrade request, not the handshake, so a burst of handshakes cannot pass the cap.
    perIp.set(ip, count + 1);
    releaseOnClose(socket, ip);
    started.then(
      () => wss.handleUpgrade(request, socket, head, (ws) => accept(ws, ip, identifies ? request : undefined)),
      () => rejectUpgrade(socket, 503, 'Service Unavailable'),
    );
  }

  /**
   * Its own function, not a closure in onUpgrade: V8 gives all closures of a function one shared
   * context, so a listener made there would keep the request and its head buffer alive as long as
   * the socket (~1.5 KiB per idle connection, measured by bench/).
   */
  function releaseOnClose(socket: Duplex, ip: string): void {
    socket.once('close', () => {
      const left = (perIp.get(ip) ?? 1) - 1;
      if (left > 0) perIp.set(ip, left);
      else perIp.delete(ip);
    });
  }

  /** Only then is the upgrade request kept past the handshake (until sign-in). */
  const identifies = Boolean(options.identifyBuyer || options.identifySeller);

  function accept(ws: import('ws').WebSocket, ip: string, upgrade?: IncomingMessage): void {
    if (closing) return ws.close(CLOSE_CODES.GOING_AWAY, 'server closing');
    const connection = new Connection(ws, ip, {
      options,
      handle: (c, request) => handleRequest(ctx, c, request),
      closed: (c) => {
        connections.delete(c);
        hub.remove(c).catch((error: Error) => logger.error(`presence update failed: ${error.message}`));
      },
      ...(metrics ? { errored: (code) => metrics.error(code) } : {}),
    });
    connection.upgrade = upgrade;
    connections.add(connection);
  }

  function startHeartbeat(): void {
    if (heartbeat) return;
    heartbeat = setInterval(() => {
      for (const connection of connections) {
        if (!connection.alive) {
          connection.socket.terminate();
          continue;
        }
        connection.alive = false;
        connection.socket.ping();
      }
    }, options.heartbeatInterval);
    heartbeat.unref();
  }

  app.attach = (server: Server) => {
    if (closing || detachers.has(server)) return;
    detachers.set(server, claimUpgrades(server, claims, onUpgrade));
    startHeartbeat();
  };

  // Mounted with app.use(): hook the top app's listen() so `app.listen(port)` serves our socket too.
  app.on('mount', (parent: express.Application) => {
    type Mounted = Express & { parent?: Mounted };
    let top = parent as Mounted;
    while (top.parent) top = top.parent;
    const listen = top.listen;
    top.listen = function (this: Express, ...args: unknown[]) {
      const server = (listen as (...a: unknown[]) => Server).apply(this, args);
      app.attach(server);
      return server;
    } as Express['listen'];
  });

  app.close = async () => {
    if (closing) return;
    closing = true;
    clearInterval(heartbeat);
    ctx.unread?.close();
    // Let frames already received finish (their messages get stored and confirmed), then say goodbye.
    await Promise.all([...connections].map((c) => c.drained()));
    for (const connection of connections) connection.close(CLOSE_CODES.GOING_AWAY, 'server closing');
    await started.catch(() => {});
    await Promise.all([...connections].map((c) => c.closedPromise()));
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
  Object.defineProperty(app, 'connections', { get: () => connections.size });

  app.get(`${options.path}/health`, health);
  app.get(
    `${options.path}/ready`,
    readiness({
      server: async () => {
        if (closing) throw new Error('closing');
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
