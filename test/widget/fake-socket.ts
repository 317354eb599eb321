/** A WebSocket stand-in the test opens, feeds and drops by hand. */
import type { SocketLike } from '../../widget/client.js';

export class FakeSocket implements SocketLike {
  readyState = 0;
  readonly sent: Array<{ command: string; data: Record<string, unknown> }> = [];
  closedWith: number | undefined;
  onopen: ((event: unknown) => void) | null = null;
  onclose: ((event: unknown) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;

  constructor(readonly url: string) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    this.sent.push(JSON.parse(data));
  }

  close(code?: number): void {
    this.closedWith = code;
    this.readyState = 3;
  }

  // ---- driven by the test ----
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  receive(frame: unknown): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  drop(): void {
    this.readyState = 3;
    this.onclose?.({});
  }

  sentCommands(command: string) {
    return this.sent.filter((f) => f.command === command).map((f) => f.data);
  }
}

/** A connect() for ChatClient that records every socket it makes. */
export function socketFactory() {
  const sockets: FakeSocket[] = [];
  return {
    sockets,
    connect: (url: string) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
    get last(): FakeSocket {
      const socket = sockets[sockets.length - 1];
      if (!socket) throw new Error('no socket opened yet');
      return socket;
    },
  };
}
