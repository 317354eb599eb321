/** The Redis that bus and scale-out tests use, and key prefixes nobody else uses. */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const testRedisUrl = process.env.AHCHAT_TEST_REDIS_URL || 'redis://127.0.0.1:6379';

/** A connected client; rejects with a message saying what to do when nobody answers. */
export async function connectTestRedis(): Promise<Redis> {
  const client = new Redis(testRedisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    throw new Error(`Redis not reachable at ${testRedisUrl} — start it or set AHCHAT_TEST_REDIS_URL (${(error as Error).message})`);
  }
  return client;
}

export const freshPrefix = (): string => `ahchat-test:${randomBytes(6).toString('hex')}:`;

/** Deletes every key under prefix (SCAN, not KEYS, so a shared Redis is not blocked). */
export async function dropPrefix(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length) await client.del(...keys);
  } while (cursor !== '0');
}

/**
 * A redis-server of the test's own on a free port (no persistence), for killing and restarting:
 * never the machine's shared one. `restart()` starts it again on the same port, empty.
 */
export interface OwnRedis {
  port: number;
  url: string;
  kill(): Promise<void>;
  restart(): Promise<void>;
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const { spawn } = await import('node:child_process');
  const { createServer } = await import('node:net');
  const port = await new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
  let child: import('node:child_process').ChildProcess | undefined;
  const launch = () =>
    new Promise<void>((resolve, reject) => {
      const started = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = started;
      let output = '';
      started.once('error', reject);
      started.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${output}`)));
      started.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      });
    });
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async kill() {
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      await new Promise((resolve) => {
        running.once('exit', resolve);
        running.kill('SIGKILL');
      });
    },
    restart: launch,
  };
}
