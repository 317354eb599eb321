/**
 * The two places the plugin reaches into the host's objects, each undoable:
 *
 * - `claimUpgrades(server, …)` wraps `server.emit`. Every 'upgrade' listener on a Node server sees
 *   every upgrade: a host's express-ws (which answers all upgrades) or its own ws server would
 *   otherwise also handshake, or destroy, sockets meant for us, and ws throws when two servers
 *   handshake one socket. Claiming our paths inside emit keeps other listeners from ever seeing them,
 *   and leaves every other path alone.
 * - `attachOnListen(app, attach)` wraps the top Express app's `listen`, so `app.listen(port)` serves
 *   our socket too, with no call of the host's.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Application, Express } from 'express';
import { rejectUpgrade } from './transport/upgrade.js';

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

/** Mounted with app.use() under `parent`: the top app's listen() also calls `attach` with its server. */
export function attachOnListen(parent: Application, attach: (server: Server) => void): void {
  type Mounted = Express & { parent?: Mounted };
  let top = parent as Mounted;
  while (top.parent) top = top.parent;
  const listen = top.listen;
  top.listen = function (this: Express, ...args: unknown[]) {
    const server = (listen as (...a: unknown[]) => Server).apply(this, args);
    attach(server);
    return server;
  } as Express['listen'];
}
