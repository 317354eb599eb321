/**
 * One socket's life: parsing frames in order, rate limits, the auth deadline, the sign-in state,
 * and sending with a cap on unsent bytes (the heartbeat is socket-server.ts's). What a frame means is the handler's business.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, type RawData } from 'ws';
import { heldBytes, holdForThisTurn } from './cork.js';
import {
  ChatError,
  clientIdOf,
  CLOSE_CODES,
  errorFrame,
  parseFrame,
  serverFrame,
  type ClientRequest,
  type ErrorCode,
  type ErrorDetails,
  type ServerCommand,
  type ServerFrame,
} from '../wire/index.js';
import { RateLimiter } from './rate-limiter.js';
import type { ResolvedOptions } from '../options.js';
import { StoreUnavailableError } from '../store/store.js';

/** How many times the message budget the budget for all frames is (typing, read, history…). */
const FRAME_BUDGET_FACTOR = 5;

/** S: who a signed-in socket is (the chat layer's Session); the transport only tells signed in from not. */
export interface ConnectionDeps<S> {
  options: ResolvedOptions;
  /** Handles one valid request. Runs strictly after the previous one of this socket finished. */
  handle(connection: Connection<S>, request: ClientRequest): Promise<void>;
  /** Called once when the socket has closed. */
  closed(connection: Connection<S>): void;
  /** Optional: told of every error answer (metrics count them by code). */
  errored?(code: ErrorCode): void;
}

let counter = 0;
const instancePrefix = Math.random().toString(36).slice(2, 8);

export class Connection<S = unknown> {
  /** Unique across instances (it travels on the bus as a message's origin). */
  readonly id = `${instancePrefix}-${++counter}`;
  session: S | null = null;
  /**
   * The upgrade request, kept until the socket signs in only when the host identifies people from
   * it (identifyBuyer/identifySeller): its cookies are the host's session.
   */
  upgrade: IncomingMessage | undefined;
  private queue: Promise<void> = Promise.resolve();
  /** Set by drained(): the server is closing and takes no new frames. */
  private draining = false;
  private readonly frames: RateLimiter;
  private readonly messages: RateLimiter;
  private strikes = 0;
  private authTimer: NodeJS.Timeout | undefined;
  /** Pushes waiting while the auth answer is prepared, so none arrives before it. */
  private held: string[] | null = null;

  constructor(
    readonly socket: WebSocket,
    readonly ip: string,
    private readonly deps: ConnectionDeps<S>,
    upgrade?: IncomingMessage,
  ) {
    this.upgrade = upgrade;
    const { rateLimit } = deps.options;
    this.frames = new RateLimiter(rateLimit.frames * FRAME_BUDGET_FACTOR, rateLimit.intervalMs);
    this.messages = new RateLimiter(rateLimit.frames, rateLimit.intervalMs);
    this.armAuthDeadline();
    socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    // 'error' is always followed by 'close'; without a listener it would crash the process.
    socket.on('error', () => {});
    socket.once('close', () => {
      clearTimeout(this.authTimer);
      deps.closed(this);
    });
  }

  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /**
   * Signs the socket in as `session` while `answer` runs (it joins the hub and sends the auth
   * answer): the auth deadline stops, and pushes wait until `answer` has resolved, so none arrives
   * before the auth answer. If `answer` throws, the socket is signed out again: the held pushes are
   * dropped and the auth deadline runs anew.
   */
  async signIn(session: S, answer: () => Promise<void>): Promise<void> {
    this.session = session;
    this.upgrade = undefined;
    clearTimeout(this.authTimer);
    this.held ??= [];
    try {
      await answer();
      const held = this.held ?? [];
      this.held = null;
      for (const text of held) this.sendText(text);
    } catch (error) {
      this.session = null;
      this.held = null;
      this.armAuthDeadline();
      throw error;
    }
  }

  /** A fan-out frame: held back while the auth answer is being prepared. */
  push(text: string): void {
    if (this.held) this.held.push(text);
    else this.sendText(text);
  }

  private armAuthDeadline(): void {
    clearTimeout(this.authTimer);
    this.authTimer = setTimeout(() => this.close(CLOSE_CODES.POLICY_VIOLATION, 'auth timeout'), this.deps.options.authTimeout);
  }

  /** An answer to this socket: the command decides the data's type (lib/wire's ServerFrame). */
  send<K extends ServerCommand>(command: K, data: ServerFrame[K]): void {
    this.sendText(JSON.stringify(serverFrame(command, data)));
  }

  /** Sends an already serialised frame (fan-out serialises once for many sockets). */
  sendText(text: string): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    // ws keeps its net.Socket in `_socket` (stable for years, but not public API): without it, no corking.
    const raw = (this.socket as unknown as { _socket?: Duplex })._socket;
    // What we hold back for this turn on purpose is not the peer's backlog.
    const backlog = this.socket.bufferedAmount - (raw ? heldBytes(raw) : 0);
    if (backlog > this.deps.options.maxBufferedBytes) {
      // A reader this slow would make us hold its backlog forever: drop it instead.
      this.socket.terminate();
      return;
    }
    if (raw) holdForThisTurn(raw, text.length);
    this.socket.send(text);
  }



  /** An error answer; for a message with a clientId, data.clientId names the message it refuses. */
  error(command: string, code: ErrorCode, details?: ErrorDetails, clientId?: string): void {
    this.deps.errored?.(code);
    const data = clientId === undefined ? details : { ...details, clientId };
    this.sendText(JSON.stringify(errorFrame(command, code, data)));
  }

  close(code: number, reason: string): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) {
      this.socket.close(code, reason);
    }
  }

  /** Resolves once the socket has closed (at most a second after close(): then it is terminated). */
  closedPromise(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.socket.terminate(), 1000);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Stops taking frames and resolves when every frame taken so far has been handled. Frames that
   * arrive later get no answer: unconfirmed, the client resends them after reconnecting. Taking
   * them instead could store a message whose confirmation the closing socket can no longer carry.
   */
  drained(): Promise<void> {
    this.draining = true;
    return this.queue;
  }

  private receive(data: RawData, isBinary: boolean): void {
    if (this.socket.readyState !== WebSocket.OPEN || this.draining) return;
    const parsed = isBinary ? null : parseFrame(data.toString());
    const command = parsed ? (parsed.ok ? parsed.request.command : parsed.command) : 'error';
    const clientId = parsed ? (parsed.ok ? clientIdOf(parsed.request) : parsed.clientId) : undefined;
    if (!this.frames.take() || (command === 'message' && !this.messages.take())) {
      if (++this.strikes >= this.deps.options.floodCloseAfter) {
        this.close(CLOSE_CODES.POLICY_VIOLATION, 'flood');
      } else {
        this.error(command, 'RATE_LIMITED', undefined, clientId);
      }
      return;
    }
    this.strikes = 0;
    if (!parsed) return this.error('error', 'BAD_REQUEST');
    if (!parsed.ok) return this.error(parsed.command, parsed.error, undefined, clientId);
    const request = parsed.request;
    this.queue = this.queue.then(() => this.dispatch(request));
  }

  private async dispatch(request: ClientRequest): Promise<void> {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    const clientId = clientIdOf(request);
    if (request.command === 'auth' ? this.session !== null : this.session === null) {
      return this.error(request.command, this.session ? 'ALREADY_AUTHORIZED' : 'NOT_AUTHORIZED', undefined, clientId);
    }
    try {
      await this.deps.handle(this, request);
    } catch (error) {
      if (error instanceof ChatError) return this.error(request.command, error.code, error.details, clientId);
      // The store logged its outage once; a line per request would bury it.
      if (!(error instanceof StoreUnavailableError)) this.deps.options.logger.error(`${request.command} failed: ${loggable(error, request)}`);
      this.error(request.command, 'INTERNAL_ERROR', undefined, clientId);
    }
  }
}

/** Shorter strings are left in: cutting out every "a" or "ok" would garble the line for next to no secrecy. */
const MIN_REDACTED = 3;

/**
 * An error's message, fit for the log. A store's or hook's error may quote what it was given (a
 * driver's "invalid input: '…'", a service's "refused token …"), so the request's own strings
 * (texts, tokens, names), as given and as JSON-escaped, are cut out before anything is logged.
 */
function loggable(error: unknown, request: ClientRequest): string {
  let line = error instanceof Error ? error.message : String(error);
  // One level down too: a page context's title and URL, an e-mail, are the buyer's own data.
  const values = Object.values(request.data as unknown as Record<string, unknown>)
    .flatMap((v) => (typeof v === 'object' && v !== null ? Object.values(v) : [v]))
    .map((v) => (typeof v === 'number' ? String(v) : v))
    .filter((v): v is string => typeof v === 'string' && v.length >= MIN_REDACTED)
    .flatMap((v) => [v, JSON.stringify(v).slice(1, -1)])
    .sort((a, b) => b.length - a.length);
  for (const value of values) line = line.split(value).join('[redacted]');
  // A store's error may quote an address it holds (the buyer's earlier one): none is ever logged.
  return line.replace(/[^\s@<>"'`]+@[^\s@<>"'`]+/g, '[redacted]');
}
