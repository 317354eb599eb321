/**
 * What a test opens (a plugin server, sockets, standalone server processes, directories), closed
 * after each test: the afterEach that the plugin-over-sockets suites would otherwise each write.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { RunningChat } from './chat-server.js';
import type { TestClient } from './client.js';
import { type ServerProcess, startServerProcess } from './server-process.js';

export interface Teardown {
  /** The test's plugin server: set it, and it is stopped after the test. */
  running: RunningChat;
  /** Sockets to close after the test. */
  readonly clients: TestClient[];
  /** Server processes to kill (SIGKILL) after the test. */
  readonly servers: ServerProcess[];
  /** Directories to remove after the test. */
  readonly dirs: string[];
  /** Starts the standalone server on a data directory of its own; both go after the test. */
  startServer(env: Record<string, string>): Promise<ServerProcess>;
}

export function useTeardown(): Teardown {
  let running: RunningChat | undefined;
  const clients: TestClient[] = [];
  const servers: ServerProcess[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await running?.stop();
    running = undefined;
    await Promise.all(servers.splice(0).map((server) => server.kill('SIGKILL')));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get running(): RunningChat {
      if (!running) throw new Error('useTeardown: this test started no server');
      return running;
    },
    set running(value: RunningChat) {
      running = value;
    },
    clients,
    servers,
    dirs,
    async startServer(env) {
      const dir = mkdtempSync(join(tmpdir(), 'ahchat-server-'));
      dirs.push(dir);
      const server = await startServerProcess({ AHCHAT_DB: dir, ...env });
      servers.push(server);
      return server;
    },
  };
}
