/**
 * The baseline: the same wire protocol as AH Chat (auth, message confirmation + push, status and chat
 * pushes) on plain `ws` with in-memory maps. No Express, no validation, no storage, no rate limits.
 * It is what a hand-written server costs; AH Chat's figures are reported as ratios of it.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { sendReady, serveIpc } from './ipc.js';
import { serverStats } from './server-stats.js';

interface Chat {
  id: number;
  sellerId: string;
  chatter: string;
  lastId: number;
  buyers: Set<WebSocket>;
}

const chats = new Map<number, Chat>();
const sellers = new Map<string, Set<WebSocket>>();
let nextChatId = 1;

function push(sockets: Set<WebSocket> | undefined, text: string): void {
  if (sockets) for (const socket of sockets) socket.send(text);
}

function onFrame(ws: WebSocket, state: { chat?: Chat; sellerId?: string }, raw: string): void {
  const frame = JSON.parse(raw);
  const d = frame.data;
  if (frame.command === 'auth') {
    if (d.id !== undefined) {
      const sellerId = String(d.id);
      state.sellerId = sellerId;
      let set = sellers.get(sellerId);
      if (!set) sellers.set(sellerId, (set = new Set()));
      set.add(ws);
      ws.send(JSON.stringify({ command: 'auth', data: { name: `Seller ${sellerId}`, chats: [] } }));
      return;
    }
    const sellerId = String(d.sellerId);
    const chat: Chat = { id: nextChatId++, sellerId, chatter: d.name, lastId: 0, buyers: new Set([ws]) };
    chats.set(chat.id, chat);
    state.chat = chat;
    push(sellers.get(sellerId), JSON.stringify({ command: 'chat', data: { id: chat.id, chatter: chat.chatter, sellerId: d.sellerId } }));
    push(sellers.get(sellerId), JSON.stringify({ command: 'status', data: { chatId: chat.id, status: true } }));
    const online = sellers.has(sellerId);
    const view = { id: chat.id, chatter: `Seller ${sellerId}`, sellerId: d.sellerId, online, messages: [], more: false, unread: 0, readId: 0 };
    const token = randomBytes(24).toString('base64url');
    ws.send(JSON.stringify({ command: 'auth', data: { token, chatId: chat.id, name: d.name, chats: [view] } }));
    ws.send(JSON.stringify({ command: 'status', data: { chatId: chat.id, status: online } }));
    return;
  }
  if (frame.command === 'message') {
    const chat = chats.get(d.chatId);
    if (!chat) return;
    const fromBuyer = state.chat === chat;
    const id = ++chat.lastId;
    const date = Math.floor(Date.now() / 1000);
    const mine = { id, chatId: chat.id, text: d.text, date, my: true, clientDate: d.clientDate, clientId: d.clientId };
    ws.send(JSON.stringify({ command: 'message', data: mine }));
    const theirs = JSON.stringify({ command: 'message', data: { id, chatId: chat.id, text: d.text, date, my: false } });
    push(fromBuyer ? sellers.get(chat.sellerId) : chat.buyers, theirs);
  }
}

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, clientTracking: false });
wss.on('connection', (ws) => {
  const state: { chat?: Chat; sellerId?: string } = {};
  ws.on('message', (data) => onFrame(ws, state, data.toString()));
  ws.on('error', () => {});
  ws.on('close', () => {
    if (state.chat) chats.delete(state.chat.id);
    if (state.sellerId) sellers.get(state.sellerId)?.delete(ws);
  });
});

wss.once('listening', () => {
  const { port } = wss.address() as AddressInfo;
  serveIpc({
    ...serverStats(),
    stop: () => {
      wss.close();
      setImmediate(() => process.exit(0));
    },
  });
  sendReady({ url: `ws://127.0.0.1:${port}/` });
});
