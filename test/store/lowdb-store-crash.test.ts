/**
 * lowdbStore killed (SIGKILL) in a real child process while it writes and compacts all the time (tiny
 * journalLimit and segments): after each kill the directory loads, and every append that resolved is
 * there with its id and text. Uses the built store (dist/), as the crash test of the server does.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { lowdbStore } from '../../lib/store/lowdb-store.js';
import { tmpDir } from '../helpers/tmp-dir.js';

const STORE_JS = fileURLToPath(new URL('../../dist/store/lowdb-store.js', import.meta.url));

/**
 * The child: opens the store, starts CHATS new chats, and appends to all of them at once, each chat
 * in its own loop, printing `ok <chatId> <id> <text>` for every append that resolved.
 */
const CHILD = `
const { lowdbStore } = await import(process.env.STORE_JS);
const store = lowdbStore({ dir: process.env.DIR, segmentSize: 7, journalLimit: 3000 });
const round = process.env.ROUND;
const chats = [];
for (let i = 0; i < 20; i++) {
  const buyer = await store.createBuyer({ name: 'b' + round + '-' + i, tokenHash: 'h' + round + '-' + i });
  chats.push((await store.openChat({ buyerId: buyer.id, sellerId: '10', chatter: buyer.name })).chat.id);
}
process.stdout.write('ready\\n');
await Promise.all(chats.map(async (chatId) => {
  for (let k = 0; ; k++) {
    const text = 'r' + round + '-c' + chatId + '-' + k;
    const { message } = await store.appendMessage({ chatId, from: k % 3 ? 'buyer' : 'seller', text, clientDate: k, clientId: text });
    if (k % 5 === 4) await store.markRead(chatId, 'seller', message.id);
    process.stdout.write('ok ' + chatId + ' ' + message.id + ' ' + text + '\\n');
  }
}));
`;

const removals: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const remove of removals.splice(0)) await remove();
});

/** Whether a compaction has run in dir: segment files exist and the journal moved past its first file. */
function compacted(dir: string): boolean {
  const journals = existsSync(join(dir, 'journal')) ? readdirSync(join(dir, 'journal')).map((name) => Number.parseInt(name, 10)) : [];
  return existsSync(join(dir, 'messages')) && readdirSync(join(dir, 'messages')).length > 0 && Math.max(0, ...journals) > 0;
}

/** Runs the child on dir until it confirmed `count` appends and compacted, then SIGKILLs it; returns what it confirmed. */
function runAndKill(dir: string, round: number, count: number): Promise<{ chatId: number; id: number; text: string }[]> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
    env: { ...process.env, STORE_JS, DIR: dir, ROUND: String(round) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const confirmed: { chatId: number; id: number; text: string }[] = [];
  let buffered = '';
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const [word, chatId, id, text] = line.split(' ');
        if (word === 'ok') confirmed.push({ chatId: Number(chatId), id: Number(id), text: text! });
      }
      // Killed once it confirmed `count` and a compaction has written segments (on a loaded machine the
      // appends can outrun the first compaction's file writes, which run on the thread pool).
      if (child.exitCode !== null || child.signalCode !== null || confirmed.length < count) return;
      if (compacted(dir)) child.kill('SIGKILL');
      else if (confirmed.length >= count * 20) {
        child.kill('SIGKILL');
        reject(new Error(`no compaction after ${confirmed.length} appends`));
      }
    });
    child.once('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(confirmed);
      else reject(new Error(`the child exited with ${code ?? signal} before the kill:\n${errors}`));
    });
  });
}

describe('lowdbStore killed while it writes and compacts', () => {
  it('loads after every kill with every confirmed append, ids 1..n per chat', async () => {
    expect(existsSync(STORE_JS), `${STORE_JS} is missing: run "npm run build" first (npm test does)`).toBe(true);
    const dir = await tmpDir('ahchat-store-crash-');
    removals.push(dir.remove);
    const confirmed: { chatId: number; id: number; text: string }[] = [];
    for (let round = 0; round < 4; round++) {
      confirmed.push(...(await runAndKill(dir.path, round, 1500)));

      // Compactions did run: segment files exist, and the journal moved past its first file.
      expect((await readdir(join(dir.path, 'messages'))).length).toBeGreaterThan(0);
      const journals = (await readdir(join(dir.path, 'journal'))).map((name) => Number.parseInt(name, 10));
      expect(Math.max(...journals)).toBeGreaterThan(0);
      const store = lowdbStore({ dir: dir.path });
      try {
        const byChat = new Map<number, { id: number; text: string }[]>();
        for (const c of confirmed) byChat.set(c.chatId, [...(byChat.get(c.chatId) ?? []), c]);
        for (const [chatId, expected] of byChat) {
          const stored = await store.listMessages(chatId, { limit: 100_000 });
          expect(stored.map((m) => m.id), `ids of chat ${chatId}`).toEqual(stored.map((_, i) => i + 1));
          const text = new Map(stored.map((m) => [m.id, m.text]));
          const missing = expected.filter((c) => text.get(c.id) !== c.text);
          expect(missing, `confirmed messages of chat ${chatId} missing after kill ${round + 1}`).toEqual([]);
        }
      } finally {
        await store.close();
      }
    }
    expect(confirmed.length).toBeGreaterThanOrEqual(4 * 1500);
  }, 60_000);
});
