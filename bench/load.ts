/**
 * The load generator, in its own process so the server under test has an event loop to itself.
 * The runner drives it through IPC: connect, then closed and open loops, then disconnect.
 * Latency is measured with performance.now() (monotonic, sub-microsecond) from the send (closed
 * loop) or from the scheduled send time (open loop, so a slow server cannot hide its queueing delay
 * by slowing the generator down).
 */
import { io as socketIo, type Socket as IoSocket } from 'socket.io-client';
import { WebSocket, type RawData } from 'ws';
import { serveIpc, sendReady } from './ipc.js';
import { summarize, type Summary } from './stats.js';

const SELLER_TOKEN = (id: number): string => `bench-token-${id}`;
const TEXT = 'Hello! Is the blue one still available, and could you ship it by Friday?';

/**
 * One client socket, whatever the server speaks: AH Chat's frames over `ws` (a ws:// URL), or the
 * Socket.IO peer's events (an http:// URL), where an acknowledgement stands for the answer frame.
 */
interface Link {
  send(command: string, data: unknown): void;
  /** Every frame received (answers and pushes), as { command, data, error }; returns "stop listening". */
  listen(fn: (frame: any) => void): () => void;
  /** Counts pushed messages without parsing them. */
  countMessages(fn: () => void): void;
  terminate(): void;
}

function wsLink(ws: WebSocket): Link {
  return {
    send: (command, data) => ws.send(JSON.stringify({ command, data })),
    listen(fn) {
      const on = (raw: RawData) => fn(JSON.parse(raw.toString()));
      ws.on('message', on);
      return () => ws.off('message', on);
    },
    countMessages(fn) {
      ws.on('message', (raw: RawData) => {
        if (raw.toString().startsWith('{"command":"message"')) fn();
      });
    },
    terminate: () => ws.terminate(),
  };
}

function ioLink(socket: IoSocket): Link {
  const listeners = new Set<(frame: any) => void>();
  const emit = (frame: any) => {
    for (const fn of listeners) fn(frame);
  };
  socket.onAny((command: string, data: unknown) => emit({ command, data }));
  return {
    send(command, data) {
      socket.emit(command, data, (answer: any) => emit(answer?.error ? { command, error: answer.error } : { command, data: answer }));
    },
    listen(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    countMessages(fn) {
      socket.on('message', fn);
    },
    terminate: () => socket.disconnect(),
  };
}

interface Peer {
  ws: Link;
  chatId: number;
  /** clientId → time the message was (or should have been) sent. */
  pending: Map<string, number>;
  onConfirm?: (peer: Peer, sentAt: number) => void;
}

const buyers: Peer[] = [];
const sellers: Link[] = [];
let seq = 0;
let pushes = 0;
let errors = 0;
let lastError = '';

function connectSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

async function connectLink(url: string): Promise<Link> {
  if (url.startsWith('ws')) {
    const ws = await connectSocket(url);
    ws.on('error', () => {});
    return wsLink(ws);
  }
  const socket = socketIo(url, { transports: ['websocket'], reconnection: false, perMessageDeflate: false } as object);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return ioLink(socket);
}

/**
 * Sends an auth frame and resolves with the answer (the first frame of command 'auth'). It asks for
 * protocol 2, as the widget does (the baseline server ignores the field).
 */
function authenticate(ws: WebSocket, data: Record<string, unknown>, timeoutMs = 30_000): Promise<any> {
  return authenticateLink(wsLink(ws), data, timeoutMs);
}

function authenticateLink(link: Link, data: Record<string, unknown>, timeoutMs = 30_000): Promise<any> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no auth answer within 30 s')), timeoutMs);
    const off = link.listen((frame) => {
      if (frame.command !== 'auth') return;
      off();
      clearTimeout(timer);
      if (frame.error) reject(new Error(`auth failed: ${frame.error}`));
      else resolve(frame.data);
    });
    link.send('auth', { ...data, protocol: 2 });
  });
}

function onBuyerFrame(peer: Peer, frame: any): void {
  if (frame.command !== 'message') return;
  if (frame.error) {
    errors++;
    lastError = frame.error;
    return;
  }
  const { my, clientId } = frame.data;
  if (!my) return;
  const sentAt = peer.pending.get(clientId);
  if (sentAt === undefined) return;
  peer.pending.delete(clientId);
  peer.onConfirm?.(peer, sentAt);
}

function sendMessage(peer: Peer, sentAt: number): void {
  const clientId = String(++seq);
  peer.pending.set(clientId, sentAt);
  peer.ws.send('message', { text: TEXT, clientDate: Date.now(), chatId: peer.chatId, clientId });
}

async function inBatches<T>(count: number, batch: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let start = 0; start < count; start += batch) {
    const size = Math.min(batch, count - start);
    out.push(...(await Promise.all(Array.from({ length: size }, (_, k) => make(start + k)))));
  }
  return out;
}

interface ConnectArgs {
  url: string;
  /** Where sellers connect, when not to `url` (two instances: buyers on one, sellers on the other). */
  sellerUrl?: string;
  sellers: number;
  buyersPerSeller: number;
  /** Connections opened concurrently. */
  batch?: number;
}

async function connect({ url, sellerUrl = url, sellers: s, buyersPerSeller, batch = 200 }: ConnectArgs) {
  const started = performance.now();
  const newSellers = await inBatches(s, batch, async (i) => {
    const link = await connectLink(sellerUrl);
    await authenticateLink(link, { id: i + 1, token: SELLER_TOKEN(i + 1) });
    link.countMessages(() => pushes++);
    return link;
  });
  sellers.push(...newSellers);
  const sellerCount = Math.max(1, s);
  const newBuyers = await inBatches(sellerCount * buyersPerSeller, batch, async (i) => {
    const link = await connectLink(url);
    const answer = await authenticateLink(link, { name: `Buyer ${i + 1}`, sellerId: (i % sellerCount) + 1 });
    const peer: Peer = { ws: link, chatId: answer.chatId, pending: new Map() };
    link.listen((frame) => onBuyerFrame(peer, frame));
    return peer;
  });
  buyers.push(...newBuyers);
  return { sellers: sellers.length, buyers: buyers.length, connectMs: performance.now() - started };
}

/** Waits until no message is pending, or timeoutMs; returns how many are still pending. */
async function settle(timeoutMs: number): Promise<number> {
  const until = performance.now() + timeoutMs;
  const pendingCount = () => buyers.reduce((n, b) => n + b.pending.size, 0);
  while (pendingCount() > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 10));
  return pendingCount();
}

export interface LoopResult {
  /** Confirmations within the measured window. */
  messages: number;
  /** All confirmations, warm-up and draining included (closed loop). */
  totalMessages?: number;
  seconds: number;
  perSecond: number;
  latency: Summary;
  pushes: number;
  errors: number;
  lastError: string;
  lost: number;
}

/** Each buyer sends, waits for its confirmation, sends again, for warmupMs + durationMs. */
async function closed({ durationMs, warmupMs }: { durationMs: number; warmupMs: number }): Promise<LoopResult> {
  const samples: number[] = [];
  let running = true;
  let measuring = false;
  let count = 0;
  let totalMessages = 0;
  const onConfirm = (peer: Peer, sentAt: number) => {
    const now = performance.now();
    totalMessages++;
    if (measuring) {
      samples.push(now - sentAt);
      count++;
    }
    if (running) sendMessage(peer, performance.now());
  };
  errors = 0;
  const pushesBefore = pushes;
  for (const b of buyers) {
    b.onConfirm = onConfirm;
    sendMessage(b, performance.now());
  }
  await new Promise((r) => setTimeout(r, warmupMs));
  measuring = true;
  const from = performance.now();
  await new Promise((r) => setTimeout(r, durationMs));
  measuring = false;
  const seconds = (performance.now() - from) / 1000;
  running = false;
  const lost = await settle(10_000);
  // Pushes to sellers trail the confirmations by a moment.
  await new Promise((r) => setTimeout(r, 200));
  for (const b of buyers) b.onConfirm = undefined;
  return {
    messages: count,
    seconds,
    perSecond: count / seconds,
    latency: summarize(samples),
    /** Pushes the sellers got for all of totalMessages. */
    pushes: pushes - pushesBefore,
    errors,
    lastError,
    lost,
    /** Warm-up and draining included: what the server's CPU time is divided by. */
    totalMessages,
  };
}

/**
 * Sends `rate` messages per second in total, round-robin over all buyers, on a fixed schedule for
 * durationMs, whatever the answers do. Latency counts from each message's scheduled time.
 */
async function openLoop({ rate, durationMs }: { rate: number; durationMs: number }) {
  const samples: number[] = [];
  const total = Math.round((rate * durationMs) / 1000);
  let sent = 0;
  let worstLagMs = 0;
  errors = 0;
  const onConfirm = (_peer: Peer, scheduledAt: number) => {
    samples.push(performance.now() - scheduledAt);
  };
  for (const b of buyers) b.onConfirm = onConfirm;
  const pushesBefore = pushes;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - start) * rate) / 1000) + 1);
      while (sent < due) {
        const scheduledAt = start + (sent * 1000) / rate;
        worstLagMs = Math.max(worstLagMs, now - scheduledAt);
        sendMessage(buyers[sent % buyers.length]!, scheduledAt);
        sent++;
      }
      if (sent >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const seconds = (performance.now() - start) / 1000;
  const lost = await settle(10_000);
  await new Promise((r) => setTimeout(r, 200));
  for (const b of buyers) b.onConfirm = undefined;
  return {
    messages: samples.length,
    seconds,
    perSecond: samples.length / seconds,
    latency: summarize(samples),
    pushes: pushes - pushesBefore,
    errors,
    lastError,
    lost,
    /** How late the generator itself sent its most late message (its own event loop's lag). */
    worstSendLagMs: worstLagMs,
    sent: total,
    /** Confirmed within a second of the scheduled time. */
    onTime: samples.filter((s) => s <= 1000).length,
  };
}

/** Signs one buyer in `times` times over fresh sockets; the time from the auth frame to its answer. */
async function signIn({ url, token, sellerId, times }: { url: string; token: string; sellerId: number; times: number }) {
  const samples: number[] = [];
  let messages = 0;
  for (let i = 0; i < times; i++) {
    const ws = await connectSocket(url);
    ws.on('error', () => {});
    const t = performance.now();
    const answer = await authenticate(ws, { token, sellerId });
    samples.push(performance.now() - t);
    messages = answer.chats?.[0]?.messages?.length ?? 0;
    ws.terminate();
  }
  return { latency: summarize(samples), messagesInAnswer: messages };
}

/**
 * Five (`concurrent`) sign-ins of one seller at a time over fresh sockets, `rounds` times after a
 * warm-up round, while a buyer of another seller sends messages in a closed loop: the auth answer's
 * latency (auth frame → answer), and that buyer's message latency (send → confirmation) during the
 * sign-ins against its own before them (the stall the sign-ins cause to everyone else).
 */
async function sellerSignIns({ url, sellerId, concurrent, rounds, bystanderSellerId }: { url: string; sellerId: number; concurrent: number; rounds: number; bystanderSellerId: number }) {
  const bystander = await connectSocket(url);
  bystander.on('error', () => {});
  const { chatId } = await authenticate(bystander, { name: 'Bystander', sellerId: bystanderSellerId });
  let waiting: (() => void) | null = null;
  bystander.on('message', (raw) => {
    const frame = JSON.parse(raw.toString());
    if (frame.command !== 'message') return;
    if (frame.error) {
      errors++;
      lastError = frame.error;
    }
    waiting?.();
  });
  const samples: { before: number[]; during: number[] } = { before: [], during: [] };
  type Phase = 'before' | 'warm-up' | 'during' | 'done';
  const now: { phase: Phase } = { phase: 'before' };
  let k = 0;
  const loop = (async () => {
    while (now.phase !== 'done') {
      const t = performance.now();
      const confirmed = new Promise<void>((resolve) => (waiting = resolve));
      bystander.send(JSON.stringify({ command: 'message', data: { text: TEXT, clientDate: Date.now(), chatId, clientId: `by-${k++}` } }));
      await confirmed;
      const at = now.phase as Phase;
      if (at === 'before' || at === 'during') samples[at].push(performance.now() - t);
    }
  })();
  // The bystander's own latency first, with nothing else going on.
  await new Promise((resolve) => setTimeout(resolve, 1000));

  const auth: number[] = [];
  let chats = 0;
  let answerBytes = 0;
  for (let round = -1; round < rounds; round++) {
    const sockets = await Promise.all(Array.from({ length: concurrent }, () => connectSocket(url)));
    for (const ws of sockets) ws.on('error', () => {});
    now.phase = round < 0 ? 'warm-up' : 'during';
    const times = await Promise.all(
      sockets.map(async (ws) => {
        let bytes = 0;
        ws.on('message', (raw: Buffer) => (bytes ||= raw.length));
        const t = performance.now();
        const answer = await authenticate(ws, { id: sellerId, token: SELLER_TOKEN(sellerId) });
        chats = answer.chats.length;
        answerBytes = bytes;
        return performance.now() - t;
      }),
    );
    // The warm-up round (-1) is left out.
    if (round >= 0) auth.push(...times);
    for (const ws of sockets) ws.terminate();
  }
  now.phase = 'done';
  await loop;
  bystander.terminate();
  return { auth: summarize(auth), bystanderBefore: summarize(samples.before), bystanderDuring: summarize(samples.during), chatsInAnswer: chats, answerBytes, errors, lastError };
}

function disconnect(): void {
  for (const b of buyers.splice(0)) b.ws.terminate();
  for (const s of sellers.splice(0)) s.terminate();
}

serveIpc({
  cpu: () => {
    const { user, system } = process.cpuUsage();
    return { cpuMicros: user + system, wallMs: performance.now() };
  },
  connect,
  closed,
  open: openLoop,
  signIn,
  sellerSignIns,
  disconnect,
  stop: () => {
    disconnect();
    setImmediate(() => process.exit(0));
  },
});
sendReady();
