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
