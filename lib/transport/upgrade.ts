/**
 * The checks made on an HTTP upgrade before a handshake: its path, its Origin, the client's address.
 * (Which upgrades reach us at all is claimUpgrades in lib/host-server.ts.)
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { OriginsOption } from '../options.js';

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
