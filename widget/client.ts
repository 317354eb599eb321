/**
 * The transport: one WebSocket at a time, JSON frames, reconnect with backoff and jitter, and the
 * outbox (messages are sent only after a successful auth, and again with the same clientId after a
 * reconnect until the server confirms them). No DOM and no Preact: tests drive it with a fake socket.
 */
import type { ErrorCode } from '../lib/wire/index.js';
import type { AuthRequest, ServerMessage2 } from '../lib/wire/index.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { Outbox, newClientId, type OutboxItem } from './outbox.js';
import type { Connection } from './state.js';

/** The part of the browser WebSocket the client uses. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
}

export type ClientEvent =
  | { type: 'connection'; connection: Connection }
  /** Every frame from the server, after the outbox took what it needs from it. */
  | { type: 'frame'; frame: ServerMessage2 }
  /** A message the server refused for good; it is no longer in the outbox. */
  | { type: 'sendFailed'; item: OutboxItem; error: ErrorCode };

export interface ClientOptions {
  url: string;
  /** Builds the auth request for each (re)connect; null means "not yet" (a buyer still typing a name). */
  auth: () => AuthRequest | null;
  onEvent: (event: ClientEvent) => void;
  /** Default: `new WebSocket(url)`. */
  connect?: (url: string) => SocketLike;
  backoff?: BackoffOptions;
  /** Default Math.random. */
  random?: () => number;
  /** How long a sent message may wait for its confirmation before the socket counts as dead. Default 10 000 ms. */
  confirmTimeout?: number;
  /** Retries of a message answered RATE_LIMITED or INTERNAL_ERROR before it is shown as failed. Default 5. */
  maxRetries?: number;
  /** Messages left over from an earlier page (restored outbox). */
  outbox?: readonly OutboxItem[];
  /** Called whenever the outbox changes, e.g. to keep it in sessionStorage. */
  onOutbox?: (items: readonly OutboxItem[]) => void;
}

const OPEN = 1;
/** The protocol version the widget speaks (docs/PROTOCOL.md#protocol-versions): chats as an array, and every push. */
const PROTOCOL = 2;
/** Answers that mean "try the same message again later"; every other error is final. */
const RETRYABLE: readonly ErrorCode[] = ['RATE_LIMITED', 'INTERNAL_ERROR', 'NOT_AUTHORIZED'];

export class ChatClient {
  #socket: SocketLike | null = null;
  #authed = false;
  #everOpened = false;
  #stopped = true;
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #confirmTimer: ReturnType<typeof setTimeout> | undefined;
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  #connection: Connection = 'idle';
  readonly outbox: Outbox;

  readonly #options: ClientOptions;

  constructor(options: ClientOptions) {
    this.#options = options;
    this.outbox = new Outbox(options.outbox);
  }

  /** Opens the socket (and keeps reopening it) until stop(). After a stop() it is a fresh start ("connecting"). */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#everOpened = false;
    this.#open();
  }

  /** Closes the socket for good and clears every timer this client made. */
  stop(): void {
    this.#stopped = true;
    this.#clearTimers();
    this.#detach(1000);
    this.#setConnection('idle');
  }

  /** Sends the auth request now if the socket is up (e.g. after the buyer typed a name), else starts. */
  signIn(): void {
    if (this.#stopped) return this.start();
    if (!this.#authed) this.#sendAuth();
  }

  /** Skips the backoff wait (the browser says it is online again). */
  reconnectNow(): void {
    if (this.#stopped || this.#socket) return;
    clearTimeout(this.#retryTimer);
    this.#open();
  }

  /** Drops the socket and comes back after the usual backoff (e.g. the server failed to sign us in). */
  reconnect(): void {
    if (this.#stopped) return;
    this.#detach(4000);
    this.#lost();
  }

  /** Forgets unsent messages (their chat is gone). */
  clearOutbox(): void {
    this.outbox.clear();
    this.#outboxChanged();
  }

  /** Queues a message and sends it as soon as the socket is signed in. */
  sendMessage(chatId: number, text: string, clientDate = Date.now()): OutboxItem {
    const item: OutboxItem = { clientId: newClientId(), chatId, text, clientDate, retries: 0 };
    this.outbox.add(item);
    this.#outboxChanged();
    this.#flush();
    return item;
  }

  /** Sends a frame that may be lost (history, typing, read): false when not signed in. */
  send(command: string, data: unknown): boolean {
    return this.#authed && this.#write(command, data);
  }

  /** Sends a frame when the socket is open; false when it is not. */
  #write(command: string, data: unknown): boolean {
    const open = this.#socket?.readyState === OPEN;
    if (open) this.#socket!.send(JSON.stringify({ command, data }));
    return open;
  }

  #open(): void {
    this.#setConnection(this.#everOpened ? 'reconnecting' : 'connecting');
    let socket: SocketLike;
    try {
      socket = (this.#options.connect ?? ((url) => new WebSocket(url) as unknown as SocketLike))(this.#options.url);
    } catch {
      return this.#scheduleReconnect();
    }
    this.#socket = socket;
    socket.onopen = () => {
      this.#everOpened = true;
      this.#setConnection('open');
      this.#sendAuth();
    };
    socket.onmessage = (event) => this.#receive(event.data);
    socket.onerror = () => {};
    socket.onclose = () => this.#lost();
  }

  #sendAuth(): void {
    const request = this.#options.auth();
    if (request) this.#write('auth', { ...request, protocol: PROTOCOL });
  }

  #receive(raw: unknown): void {
    let frame: ServerMessage2;
    try {
      // The trust boundary, and the one assertion on a frame: the server answers the protocol the
      // widget asked for (2), so what it sends is read as its frames (lib/wire/frames.ts).
      frame = JSON.parse(String(raw)) as ServerMessage2;
    } catch {
      return;
    }
    if (!frame || typeof frame.command !== 'string') return;
    if (!frame.error) {
      if (frame.command === 'auth') {
        this.#authed = true;
        this.#attempt = 0;
        // Messages the server already stored (the confirmation was lost with the old socket) are done.
        for (const chat of frame.data?.chats ?? []) {
          for (const m of chat.messages ?? []) if (m.my && m.clientId) this.outbox.confirm(m.clientId);
        }
        this.#outboxChanged();
        this.#options.onEvent({ type: 'frame', frame });
        this.#flush();
        return;
      }
      if (frame.command === 'message') {
        const m = frame.data;
        if (m?.my && m.clientId && this.outbox.confirm(m.clientId)) {
          this.#outboxChanged();
          this.#armConfirmTimer(true);
        }
      }
    } else if (frame.command === 'message' && this.outbox.hasInFlight()) {
      const explicit = frame.data?.clientId;
      const item =
        typeof explicit === 'string'
          ? this.outbox.list().find((i) => i.clientId === explicit)
          : this.outbox.oldestInFlight();
      if (item) return this.#failed(item, frame.error);
    }
    this.#options.onEvent({ type: 'frame', frame });
  }

  #failed(item: OutboxItem, error: ErrorCode): void {
    this.#armConfirmTimer(true);
    if (RETRYABLE.includes(error) && item.retries < (this.#options.maxRetries ?? 5)) {
      this.outbox.retry(item.clientId);
      clearTimeout(this.#flushTimer);
      this.#flushTimer = setTimeout(() => this.#flush(), this.#delay(item.retries));
      return;
    }
    this.outbox.reject(item.clientId);
    this.#outboxChanged();
    this.#options.onEvent({ type: 'sendFailed', item, error });
  }

  #flush(): void {
    if (!this.#authed || this.#socket?.readyState !== OPEN) return;
    // Everything the item has but its retry count: chatId, text, clientDate, clientId.
    for (const { retries: _, ...data } of this.outbox.takeUnsent()) this.#write('message', data);
    this.#armConfirmTimer(false);
  }

  /** A socket that swallows messages without answering is dead even if the browser has not noticed. */
  #armConfirmTimer(restart: boolean): void {
    if (restart) {
      clearTimeout(this.#confirmTimer);
      this.#confirmTimer = undefined;
    }
    if (this.#confirmTimer !== undefined || !this.outbox.hasInFlight()) return;
    this.#confirmTimer = setTimeout(() => {
      this.#confirmTimer = undefined;
      if (this.outbox.hasInFlight()) {
        this.#detach(4000);
        this.#lost();
      }
    }, this.#options.confirmTimeout ?? 10_000);
  }

  #lost(): void {
    this.#detach();
    this.#authed = false;
    this.outbox.resetInFlight();
    clearTimeout(this.#confirmTimer);
    this.#confirmTimer = undefined;
    if (!this.#stopped) this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    this.#setConnection(this.#everOpened ? 'reconnecting' : 'connecting');
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.#open(), this.#delay(this.#attempt++));
  }

  /** Forgets the current socket: its late events must not touch the next one. */
  #detach(code?: number): void {
    const socket = this.#socket;
    this.#socket = null;
    if (!socket) return;
    socket.onopen = socket.onmessage = socket.onclose = null;
    socket.onerror = () => {};
    if (code !== undefined) {
      try {
        socket.close(code);
      } catch {
        // already closed
      }
    }
  }

  #clearTimers(): void {
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#confirmTimer);
    clearTimeout(this.#flushTimer);
    this.#confirmTimer = undefined;
  }

  #setConnection(connection: Connection): void {
    if (connection === this.#connection) return;
    this.#connection = connection;
    this.#options.onEvent({ type: 'connection', connection });
  }

  #outboxChanged(): void {
    this.#options.onOutbox?.(this.outbox.list());
  }

  /** The backoff before retry number `attempt` (the default policy when none is given). */
  #delay(attempt: number): number {
    return backoffDelay(attempt, (this.#options.random ?? Math.random)(), this.#options.backoff);
  }
}
