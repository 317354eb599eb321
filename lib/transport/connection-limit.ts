/**
 * Slow clients at the TCP level, for servers that face clients directly (no proxy in front).
 *
 * The plugin's per-IP cap counts upgrades, and an upgrade exists only once its headers have all
 * arrived: a client that sends half a request ("slowloris") is, until then, just a connection of
 * the host's HTTP server, which the plugin never sees. So a server has to bound those itself: a cap
 * on the connections one address holds (whatever they are doing), and a short header timeout.
 * The standalone server does both; a host that serves the internet without a proxy can call these.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** Header and request deadlines for a server facing clients directly (Node's own: 60 s and 300 s). */
export const DIRECT_TIMEOUTS = {
  /** A request's headers must be complete within this; then the connection is closed. */
  headersTimeout: 10_000,
  /** The whole request (headers and body) must arrive within this. */
  requestTimeout: 30_000,
  /** How often Node checks both (its default is 30 s, which would stretch a 10 s timeout to 40 s). */
  connectionsCheckingInterval: 1000,
} as const;

/**
 * Caps the TCP connections one client address may hold open on `server` at `max` — sockets, HTTP
 * requests and half-sent requests alike; a connection over the cap is closed at once, before any
 * byte of it is read. `onRefused` hears of each refusal (for a rate-limited log line). Not for a
 * server behind a proxy: there every connection comes from the proxy's address. Returns a function
 * that removes the cap.
 */
export function limitConnectionsPerIp(server: Server, max: number, onRefused?: (ip: string) => void): () => void {
  const open = new Map<string, number>();
  const onConnection = (socket: Socket) => {
    const ip = socket.remoteAddress ?? 'unknown';
    const count = open.get(ip) ?? 0;
    if (count >= max) {
      socket.destroy();
      onRefused?.(ip);
      return;
    }
    open.set(ip, count + 1);
    socket.once('close', () => {
      const left = (open.get(ip) ?? 1) - 1;
      if (left > 0) open.set(ip, left);
      else open.delete(ip);
    });
  };
  // First, so a refused socket is gone before the HTTP server's own listener sets it up.
  server.prependListener('connection', onConnection);
  return () => void server.off('connection', onConnection);
}
