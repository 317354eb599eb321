/** Runs the built standalone server (dist/server/index.js) as a real child process. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SERVER_JS = fileURLToPath(new URL('../../dist/server/index.js', import.meta.url));
export const SELLERS_ENV = JSON.stringify([{ id: 10, token: 'iofh3498hwe', name: 'Shop' }]);

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): Promise<number | string>;
}

function assertBuilt(): void {
  if (!existsSync(SERVER_JS)) throw new Error(`${SERVER_JS} is missing: run "npm run build" first (npm test does)`);
}

/** Spawns the server and waits for its "listening" line. PORT defaults to 0 (any free port). */
export async function startServerProcess(env: Record<string, string | undefined>): Promise<ServerProcess> {
  assertBuilt();
  const child = spawn(process.execPath, [SERVER_JS], {
    env: { ...process.env, PORT: '0', AHCHAT_SELLERS: SELLERS_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /AH Chat listening on ws:\/\/localhost:(\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`server exited (${code}) before listening:\n${output}`)));
  });
  return {
    child,
    port,
    output: () => output,
    exited,
    kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs the server expecting it to fail at start; resolves with its exit code and output. */
export function runServerExpectingFailure(env: Record<string, string | undefined>): Promise<{ code: number | null; output: string }> {
  assertBuilt();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SERVER_JS], { env: { ...process.env, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c));
    child.stderr.on('data', (c: Buffer) => (output += c));
    child.once('exit', (code) => {
      if (code === 0 || code === null) child.kill('SIGKILL');
      resolve({ code, output });
    });
  });
}

/** The first line of the process's output containing `text`, now or once it is printed (stdout and stderr are separate pipes). */
export function outputLine(server: ServerProcess, text: string): Promise<string> {
  return new Promise((resolve) => {
    const look = () => {
      const line = server.output().split('\n').find((l) => l.includes(text));
      if (!line) return;
      server.child.stdout!.off('data', look);
      server.child.stderr!.off('data', look);
      resolve(line);
    };
    server.child.stdout!.on('data', look);
    server.child.stderr!.on('data', look);
    look();
  });
}
