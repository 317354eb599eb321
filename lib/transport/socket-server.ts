/**
 * The WebSocket endpoint: the checks before a handshake (closing, Origin, per-IP cap), the handshake,
 * one Connection per socket, the heartbeat that drops dead peers, and the orderly close.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ResolvedOptions } from '../options.js';
import { CLOSE_CODES } from '../wire/index.js';
import { Connection, type ConnectionDeps } from './connection.js';
import { OriginRefusals } from './origins.js';
import { clientIp, originAllowed, rejectUpgrade } from './upgrade.js';

export interface SocketServerDeps<S> extends ConnectionDeps<S> {
  options: ResolvedOptions;
  /** Sockets are taken once this resolves (the bus is up); while it is rejected upgrades get 503. */
  ready: Promise<void>;
}

export class SocketServer<S> {
  readonly connections = new Set<Connection<S>>();
  private readonly wss: WebSocketServer;
  private readonly perIp = new Map<string, number>();
  private readonly originRefusals: OriginRefusals;
  /** Sockets pinged whose pong has not come yet: still here at the next ping, they are dead. */
  private readonly awaitingPong = new WeakSet<WebSocket>();
  /** Only then is the upgrade request kept past the handshake (until sign-in). */
  private readonly keepsUpgrade: boolean;
  private readonly connectionDeps: ConnectionDeps<S>;
  private heartbeat: NodeJS.Timeout | undefined;
  private closing = false;

  constructor(private readonly deps: SocketServerDeps<S>) {
    const { options } = deps;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayload,
      // Off: each compressed socket holds ~200 KiB of zlib state, and chat frames are small.
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.originRefusals = new OriginRefusals(options.origins, options.logger);
    this.keepsUpgrade = Boolean(options.identifyBuyer || options.identifySeller);
    const { closed } = deps;
    this.connectionDeps = {
      options,
      handle: deps.handle,
      closed: (connection) => {
        this.connections.delete(connection);
        closed(connection);
      },
      ...(deps.errored ? { errored: deps.errored } : {}),
    };
  }

  get isClosing(): boolean {
    return this.closing;
  }

  /** An upgrade on one of our paths. */
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const { options } = this.deps;
    if (this.closing) return rejectUpgrade(socket, 503, 'Service Unavailable');
    if (!originAllowed(options.origins, request)) {
      this.originRefusals.refused(request);
      return rejectUpgrade(socket, 403, 'Forbidden');
    }
    const ip = clientIp(request, options.trustProxy);
    const count = this.perIp.get(ip) ?? 0;
    if (count >= options.maxConnectionsPerIp) return rejectUpgrade(socket, 429, 'Too Many Requests');
    // Counted from the upgrade request, not the handshake, so a burst of handshakes cannot pass the cap.
    this.perIp.set(ip, count + 1);
    this.releaseOnClose(socket, ip);
    this.deps.ready.then(
      () => this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws, ip, this.keepsUpgrade ? request : undefined)),
      () => rejectUpgrade(socket, 503, 'Service Unavailable'),
    );
  }

  /**
   * Its own method, not a closure in upgrade(): V8 gives all closures of a function one shared
   * context, so a listener made there would keep the request and its head buffer alive as long as
   * the socket (~1.5 KiB per idle connection, measured by bench/).
   */
  private releaseOnClose(socket: Duplex, ip: string): void {
    socket.once('close', () => {
      const left = (this.perIp.get(ip) ?? 1) - 1;
      if (left > 0) this.perIp.set(ip, left);
      else this.perIp.delete(ip);
    });
  }

  private accept(ws: WebSocket, ip: string, upgrade?: IncomingMessage): void {
    if (this.closing) return ws.close(CLOSE_CODES.GOING_AWAY, 'server closing');
    this.answerPongs(ws);
    this.connections.add(new Connection(ws, ip, this.connectionDeps, upgrade));
  }

  /** Its own method for the same reason as releaseOnClose: the listener must not hold the upgrade request. */
  private answerPongs(ws: WebSocket): void {
    ws.on('pong', () => this.awaitingPong.delete(ws));
  }

  /** Pings every socket each heartbeatInterval; one that did not answer the ping before is terminated. */
  startHeartbeat(): void {
    if (this.heartbeat || this.closing) return;
    this.heartbeat = setInterval(() => {
      for (const { socket } of this.connections) {
        if (this.awaitingPong.has(socket)) {
          socket.terminate();
          continue;
        }
        this.awaitingPong.add(socket);
        socket.ping();
      }
    }, this.deps.options.heartbeatInterval);
    this.heartbeat.unref();
  }

  /**
   * Takes no new sockets, lets frames already received finish (their messages get stored and
   * confirmed), says goodbye (1001) and resolves once every socket has closed.
   */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.heartbeat);
    await Promise.all([...this.connections].map((c) => c.drained()));
    for (const connection of this.connections) connection.close(CLOSE_CODES.GOING_AWAY, 'server closing');
    await this.deps.ready.catch(() => {});
    await Promise.all([...this.connections].map((c) => c.closedPromise()));
  }
}
