/**
 * Calls between the bench runner and its child processes over Node's IPC channel.
 * Every child is started with a raised open-files limit and killed by pid at the end, also on error.
 */
import { spawn, type ChildProcess } from 'node:child_process';

type Handler = (args: any) => unknown;

interface Call {
  id: number;
  cmd: string;
  args: unknown;
}

/** Child side: answers the runner's calls; a throwing handler answers with its message. */
export function serveIpc(handlers: Record<string, Handler>): void {
  if (!process.send) throw new Error('bench: this script runs as a child of bench/run.ts');
  process.on('message', (call: Call) => {
    Promise.resolve()
      .then(() => {
        const handler = handlers[call.cmd];
        if (!handler) throw new Error(`unknown command ${call.cmd}`);
        return handler(call.args);
      })
      .then(
        (result) => process.send!({ id: call.id, result }),
        (error: Error) => process.send!({ id: call.id, error: error?.stack ?? String(error) }),
      );
  });
  // The runner going away (crash, Ctrl-C) must not leave this process behind.
  process.on('disconnect', () => process.exit(0));
}

/** Child side: tells the runner it is ready, with whatever it measured while starting. */
export function sendReady(info: unknown = true): void {
  process.send!({ id: 0, ready: info });
}

const children = new Set<ChildProcess>();

/** Kills every child still running (SIGKILL, by pid). Safe to call more than once. */
export function killAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
}

export class Child {
  readonly process: ChildProcess;
  #next = 0;
  #waiting = new Map<number, { resolve(v: any): void; reject(e: Error): void; timer: NodeJS.Timeout }>();
  #exited: Promise<void>;
  #stopping = false;
  /** Resolves with the child's `{ ready: info }` message. */
  readonly ready: Promise<any>;

  /** Starts `node [nodeArgs] script [args]` under bash so `ulimit -n` can be raised first. */
  constructor(
    readonly name: string,
    script: string,
    args: string[] = [],
    nodeArgs: string[] = [],
  ) {
    const quoted = [...nodeArgs, script, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    this.process = spawn('bash', ['-c', `ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "${process.execPath}" ${quoted}`], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.add(this.process);
    let ready: (info: unknown) => void;
    let failed: (error: Error) => void;
    this.ready = new Promise((resolve, reject) => {
      ready = resolve;
      failed = reject;
    });
    this.ready.catch(() => {}); // awaited through whenReady(); an early exit must not be "unhandled"
    this.process.on('message', (reply: { id: number; result?: unknown; error?: string; ready?: unknown }) => {
      if (reply.ready !== undefined) return ready(reply.ready);
      const waiter = this.#waiting.get(reply.id);
      if (!waiter) return;
      this.#waiting.delete(reply.id);
      clearTimeout(waiter.timer);
      if (reply.error !== undefined) waiter.reject(new Error(`${this.name}: ${reply.error}`));
      else waiter.resolve(reply.result);
    });
    this.#exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => {
        children.delete(this.process);
        for (const waiter of this.#waiting.values()) {
          clearTimeout(waiter.timer);
          waiter.reject(new Error(`${this.name} exited (${signal ?? code}) during a call`));
        }
        this.#waiting.clear();
        resolve();
        failed(new Error(`${this.name} exited (${signal ?? code}) before it was ready`));
      });
    });
  }

  /** Resolves once the child said it is ready; rejects if it exits first or takes longer than timeoutMs. */
  async whenReady<T = any>(timeoutMs = 60_000): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.name} not ready within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.ready, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  get pid(): number {
    return this.process.pid!;
  }

  call<T = any>(cmd: string, args: unknown = {}, timeoutMs = 60_000): Promise<T> {
    const id = ++this.#next;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error(`${this.name}: ${cmd} took more than ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(id, { resolve, reject, timer });
      if (!this.process.connected) {
        this.#waiting.delete(id);
        clearTimeout(timer);
        return reject(new Error(`${this.name} is not running`));
      }
      this.process.send({ id, cmd, args } satisfies Call);
    });
  }

  /** Kills `other` as soon as this child exits without being asked to, so a crash fails the run at once. */
  link(other: Child): void {
    this.process.once('exit', () => {
      if (!this.#stopping) other.process.kill('SIGKILL');
    });
  }

  /** Asks the child to stop, then kills it if it has not exited within timeoutMs. */
  async stop(timeoutMs = 5000): Promise<void> {
    this.#stopping = true;
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const killer = setTimeout(() => this.process.kill('SIGKILL'), timeoutMs);
    this.call('stop', {}, timeoutMs).catch(() => {});
    await this.#exited;
    clearTimeout(killer);
  }
}
