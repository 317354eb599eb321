/** A real `ws` client for tests: buffers incoming frames and lets a test await the next of a kind. */
import { WebSocket } from 'ws';
import type { Frame } from '../../lib/wire/index.js';

interface Waiter {
  command: string | undefined;
  resolve(frame: Frame<any>): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export class TestClient {
  readonly frames: Frame<any>[] = [];
  private waiters: Waiter[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame<any>;
      const i = this.waiters.findIndex((w) => w.command === undefined || w.command === frame.command);
      if (i >= 0) {
        const [waiter] = this.waiters.splice(i, 1);
        clearTimeout(waiter!.timer);
        waiter!.resolve(frame);
      } else {
        this.frames.push(frame);
      }
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        for (const w of this.waiters.splice(0)) {
          clearTimeout(w.timer);
          w.reject(new Error(`socket closed (${code}) while waiting for ${w.command ?? 'a frame'}`));
        }
        resolve({ code, reason: reason.toString() });
      });
    });
  }

  static connect(url: string, options: { origin?: string; headers?: Record<string, string> } = {}): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { origin: options.origin, headers: options.headers, perMessageDeflate: false });
      const client = new TestClient(socket);
      socket.once('open', () => resolve(client));
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  send(command: string, data?: unknown): void {
    this.socket.send(JSON.stringify(data === undefined ? { command } : { command, data }));
  }

  sendRaw(text: string | Buffer): void {
    this.socket.send(text);
  }

  /** The next frame (of `command`, if given), buffered or yet to come. Fails after timeoutMs. */
  next<D = any>(command?: string, timeoutMs = 3000): Promise<Frame<D>> {
    const i = this.frames.findIndex((f) => command === undefined || f.command === command);
    if (i >= 0) return Promise.resolve(this.frames.splice(i, 1)[0]!);
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.reject(new Error(`socket closed; no ${command ?? 'frame'}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        reject(new Error(`no ${command ?? 'frame'} within ${timeoutMs} ms; buffered: ${JSON.stringify(this.frames)}`));
      }, timeoutMs);
      this.waiters.push({ command, resolve, reject, timer });
    });
  }

  /** Sends and awaits the answer with the same command. */
  async request<D = any>(command: string, data?: unknown): Promise<Frame<D>> {
    this.send(command, data);
    return this.next<D>(command);
  }

  /**
   * Resolves once the server has handled everything this socket sent before: it answers a history
   * request in order, and pushes to this socket written before that are then already buffered.
   */
  async barrier(chatId: number): Promise<void> {
    await this.request('history', { chatId, limit: 1 });
  }

  /** Buffered frames of a command (without consuming them). */
  buffered(command: string): Frame<any>[] {
    return this.frames.filter((f) => f.command === command);
  }

  close(): void {
    this.socket.close();
  }
}

/** The next `command` frame whose data matches; frames of that command that do not match are dropped. */
export async function nextWhere<D = any>(client: TestClient, command: string, match: (data: D) => boolean, timeoutMs = 3000): Promise<Frame<D>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frame = await client.next<D>(command, Math.max(1, deadline - Date.now()));
    if (match(frame.data as D)) return frame;
  }
}
