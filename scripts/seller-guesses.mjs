#!/usr/bin/env node
/**
 * Measures how fast seller tokens can be guessed against the built standalone server:
 * `node scripts/seller-guesses.mjs [addresses=1] [seconds=10] [socketsPerAddress=8]`.
 * Starts dist/server/index.js on a free port, then from 127.0.0.1 … 127.0.0.<addresses> sends
 * wrong tokens for seller 10 as fast as the answers come, and prints the answers per code and the
 * guesses per second the server actually checked (answers USER_IS_NOT_SELLER).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const [addresses = 1, seconds = 10, perAddress = 8] = process.argv.slice(2).map(Number);
const serverJs = fileURLToPath(new URL('../dist/server/index.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ahchat-guesses-'));
const child = spawn(process.execPath, [serverJs], {
  env: { ...process.env, PORT: '0', AHCHAT_DB: dir, AHCHAT_SELLERS: JSON.stringify([{ id: 10, token: 'a-long-enough-secret-token', name: 'Shop' }]) },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let log = '';
const port = await new Promise((resolve, reject) => {
  const onData = (chunk) => {
    log += chunk;
    const match = /listening on ws:\/\/localhost:(\d+)/.exec(log);
    if (match) resolve(Number(match[1]));
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  child.once('exit', (code) => reject(new Error(`server exited ${code}: ${log}`)));
});

const counts = {};
const deadline = Date.now() + seconds * 1000;
let guess = 0;

function run(localAddress) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ahchat`, { localAddress, perMessageDeflate: false });
    const ask = () => ws.send(JSON.stringify({ command: 'auth', data: { id: 10, token: `guess-${++guess}` } }));
    ws.on('open', ask);
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data));
      const code = frame.error ?? 'OK';
      counts[code] = (counts[code] ?? 0) + 1;
      if (Date.now() < deadline) ask();
      else ws.close();
    });
    ws.on('close', () => (Date.now() < deadline ? run(localAddress).then(resolve) : resolve()));
    ws.on('error', () => {});
  });
}

const runs = [];
for (let a = 1; a <= addresses; a++) for (let s = 0; s < perAddress; s++) runs.push(run(`127.0.0.${a}`));
await Promise.all(runs);
child.kill('SIGKILL');
rmSync(dir, { recursive: true, force: true });
const checked = counts.USER_IS_NOT_SELLER ?? 0;
const logLines = log.split('\n').filter((l) => /sign-in/.test(l));
console.log(JSON.stringify({ addresses, seconds, answers: counts, guessesPerSecond: Math.round((checked / seconds) * 10) / 10, logLines: logLines.length }));
for (const line of logLines.slice(0, 5)) console.log(line);
