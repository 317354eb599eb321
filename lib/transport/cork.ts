/**
 * Write coalescing: small frames sent to one socket during one turn of the event loop leave in one
 * system call. A seller with a hundred busy chats gets a push per buyer message; holding the socket
 * corked until the loop's check phase turns those hundred writev calls into one (the kernel call is
 * most of a message's cost). Latency added: at most the rest of the current loop turn. A socket that
 * gets more than FLUSH_AT bytes in one turn is let go at once: big writes gain nothing from waiting.
 */
import type { Writable } from 'node:stream';

const FLUSH_AT = 64 * 1024;
/** Bytes held per corked socket this turn; -1: let go early, not to be corked again this turn. */
const held = new Map<Writable, number>();
let scheduled = false;

function releaseAll(): void {
  scheduled = false;
  for (const [socket, bytes] of held) if (bytes >= 0) socket.uncork();
  held.clear();
}

/** Holds the socket's writes (`bytes` more of them) until the end of this event-loop turn. */
export function holdForThisTurn(socket: Writable, bytes: number): void {
  const before = held.get(socket);
  if (before === undefined) {
    socket.cork();
    held.set(socket, bytes);
    if (!scheduled) {
      scheduled = true;
      setImmediate(releaseAll);
    }
  } else if (before >= 0) {
    if (before + bytes <= FLUSH_AT) return void held.set(socket, before + bytes);
    socket.uncork();
    held.set(socket, -1);
  }
}

/** Bytes of this socket's backlog that are only held for this turn, not waiting for the peer. */
export function heldBytes(socket: Writable): number {
  return Math.max(0, held.get(socket) ?? 0);
}
