/**
 * `ah-chat/redis`: the Redis bus. A separate entry so that `ioredis` (an optional peer dependency)
 * is loaded only by hosts that use it.
 */
export { redisBus, type RedisBusOptions } from './bus/redis-bus.js';
