/**
 * The server side of a client's TCP connection, so a test can await the server (not the client)
 * letting go of it, or look at what the server has buffered for it.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

/** Remembers the server side of every TCP connection, to find the one that serves a client socket. */
export function serverSockets(server: Server): { of(ws: WebSocket): Socket } {
  const sockets: Socket[] = [];
  server.on('connection', (socket: Socket) => sockets.push(socket));
  return {
    of(ws) {
      const port = netSocketOf(ws).localPort;
      const found = sockets.find((s) => s.remotePort === port);
      if (!found) throw new Error(`no server socket for client port ${port}`);
      return found;
    },
  };
}

/** The client's TCP socket inside ws (not part of its typed API). */
export function netSocketOf(ws: WebSocket): Socket {
  return (ws as unknown as { _socket: Socket })._socket;
}

/** Resolves when a net socket has closed (at once if it already has). */
export function socketClosed(socket: Socket): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}
