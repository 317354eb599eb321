/**
 * Which HTTP upgrades are ours, and the checks made before a handshake (origin, per-IP cap).
 *
 * Why we wrap server.emit: every 'upgrade' listener on a Node server sees every upgrade. A host's
 * express-ws (which answers all upgrades) or its own ws server would otherwise also handshake, or
 * destroy, sockets meant for us, and ws throws when two servers handshake one socket. Claiming our
 * paths inside emit keeps other listeners from ever seeing them, and leaves every other path alone.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { OriginsOption } from '../options.js';

export type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** Our fallback listeners (one per plugin on a server); they do not count as the host's. */
const fallbacks = new WeakSet<Function>();

/** Routes upgrades that `claims` accepts to `handle`, and only those. Returns a function that stops it. */
export function claimUpgrades(server: Server, claims: (request: IncomingMessage) => boolean, handle: UpgradeHandler): () => void {
  let active = true;
  const original = server.emit;
  const guarded = function (this: Server, event: string | symbol, ...args: unknown[]): boolean {
    if (active && event === 'upgrade' && claims(args[0] as IncomingMessage)) {
      handle(args[0] as IncomingMessage, args[1] as Duplex, args[2] as Buffer);
      return true;
    }
    return original.apply(this, [event, ...args] as Parameters<Server['emit']>);
  } as Server['emit'];
  server.emit = guarded;
  // Node only emits 'upgrade' when someone listens; with no other listener an upgrade that is not
  // ours would otherwise hang, so this one answers 404 in that case only.
  const fallback: UpgradeHandler = (_request, socket) => {
    const others = server.listeners('upgrade').filter((listener) => !fallbacks.has(listener));
    if (others.length === 0 && socket.writable) rejectUpgrade(socket, 404, 'Not Found');
  };
  fallbacks.add(fallback);
  server.on('upgrade', fallback);
  return () => {
    active = false;
    server.off('upgrade', fallback);
    // Someone may have wrapped emit after us; then ours stays in the chain, inactive.
    if (server.emit === guarded) server.emit = original;
  };
}

export function pathnameOf(url: string | undefined): string {
  const path = (url ?? '/').split('?', 1)[0]!;
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

/**
 * Clients without Origin (not a browser page) always; then the `origins` option alone: a list
 * (exact, scheme included, normalised when validated), '*', a predicate, or 'same-origin' (the
 * default): the Origin's host and port equal the Host header's. The scheme is not compared there,
 * as behind a TLS-terminating proxy an https page reaches us over http. A list never falls back to
 * the Host rule: a DNS-rebinding page sends a Host that matches its own Origin.
 */
export function originAllowed(origins: OriginsOption, request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  if (origins === '*') return true;
  if (typeof origins === 'function') return origins(origin);
  if (origins === 'same-origin') return sameHost(origin, request.headers.host);
  return origins.includes(origin);
}

function sameHost(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    const url = new URL(origin);
    // Host may carry the scheme's default port ("shop.example:443"); the URL parser drops it as the Origin does.
    return url.host === new URL(`${url.protocol}//${host}`).host;
  } catch {
    return false;
  }
}

export function clientIp(request: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = request.headers['x-forwarded-for'];
    // The rightmost entry is the one our proxy added; entries left of it come from the client.
    const header = Array.isArray(forwarded) ? forwarded.join(',') : forwarded;
    const last = header?.split(',').at(-1)?.trim();
    if (last) return last;
  }
  return request.socket.remoteAddress ?? 'unknown';
}

/** Answers an upgrade with a plain HTTP error before any handshake. */
export function rejectUpgrade(socket: Duplex, status: number, reason: string): void {
  if (!socket.writable) return void socket.destroy();
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${reason.length}\r\n\r\n${reason}`);
}
