/** The Redis bus's options, checked once with exact messages, and their defaults. */
import type { Redis } from 'ioredis';
import { consoleLogger, type Logger } from '../logger.js';
import { SettingChecks } from '../wire/validate.js';

const check = new SettingChecks((name) => `redisBus: options.${name}`, TypeError, RangeError);

export interface RedisBusOptions {
  /** redis:// or rediss:// URL; the bus opens (and on close, quits) its connections. Default redis://127.0.0.1:6379. */
  url?: string;
  /** A client the host owns: used for commands and duplicated for reading events; never quit by the bus. */
  client?: Redis;
  /** Prefix of every key and of the stream, so several apps can share one Redis. Default 'ahchat:'. */
  prefix?: string;
  /** Longest time a dead instance's presence outlives its last heartbeat. Default 15000. */
  ttlMs?: number;
  /** How often each instance renews its presence and sweeps dead instances. Default ttlMs / 3; at most that. */
  heartbeatMs?: number;
  /** Longest wait for one Redis command before the bus counts Redis as away. Default 2000. */
  commandTimeoutMs?: number;
  /**
   * Events kept for replay: the stream's length in Redis (for instances that were cut off), and the
   * most this instance keeps in memory while Redis is away. Default 10000.
   */
  backlog?: number;
  /** Where the one line per outage goes. Default console. */
  logger?: Logger;
}

export interface ResolvedRedisBusOptions extends Required<Omit<RedisBusOptions, 'url' | 'client'>> {
  url: string | undefined;
  client: Redis | undefined;
}

export function resolveRedisBusOptions(options: RedisBusOptions): ResolvedRedisBusOptions {
  if (options === null || typeof options !== 'object') throw new TypeError('redisBus: options must be an object');
  const { url, client, prefix = 'ahchat:' } = options;
  if (url !== undefined && client !== undefined) throw new TypeError('redisBus: give options.url or options.client, not both');
  if (url !== undefined && (typeof url !== 'string' || !/^rediss?:\/\//.test(url))) {
    throw new TypeError('redisBus: options.url must start with redis:// or rediss://');
  }
  if (typeof prefix !== 'string') check.fail('prefix', 'a string', prefix);
  const ttlMs = check.integer('ttlMs', options.ttlMs, 15_000, 30);
  const most = Math.floor(ttlMs / 3);
  return {
    url,
    client,
    prefix,
    ttlMs,
    heartbeatMs: check.integer('heartbeatMs', options.heartbeatMs, most, 10, most, `an integer from 10 to ttlMs / 3 (${most})`),
    commandTimeoutMs: check.positiveInt('commandTimeoutMs', options.commandTimeoutMs, 2000),
    backlog: check.positiveInt('backlog', options.backlog, 10_000),
    logger: options.logger ?? consoleLogger,
  };
}
