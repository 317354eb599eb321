/**
 * A Bus on Redis, for running several AH Chat instances (see docs/SCALE-OUT.md).
 *
 * Over 300 lines on purpose: publishing, presence and recovery share one up/away state, and the
 * outage guarantees hang on their order; one closure keeps that order visible. The scripts, the
 * options and the stream entries are in files of their own.
 *
 * Events: JSON entries of one Redis stream, `<prefix>stream` (XADD, capped at `backlog` entries),
 * the events of one event-loop turn written together (one pipeline, one socket write),
 * read by every instance on a second connection (a blocking XREAD can share it with nothing else).
 * Each entry names the instance that wrote it, which skips its own: the hub delivers to its own
 * sockets directly, so local pushes never wait on Redis. An instance that was cut off reads on
 * from the last entry it saw, so it misses nothing still in the stream; if entries it never read
 * were trimmed away (it was cut off, or lagged, while more than `backlog` were written: entries are
 * numbered per writer, so a reader sees the hole), it delivers a `resync` event (the hub makes its
 * clients resume).
 *
 * Redis away (a lost connection, no answer within commandTimeoutMs): nothing waits on it. The bus
 * logs one line, answers presence from this instance's own sockets (join/leave "changed", isOnline
 * true only for keys held here), keeps events to publish in memory (at most `backlog`; typing and
 * presence are not kept), and tries again on every reconnect and heartbeat. When Redis is back it
 * renews this instance's entry, lets go of keys that left meanwhile (announcing those now offline
 * everywhere), joins and re-announces every key it holds, writes the kept events in order (or, if
 * more came than it could keep, a `resync` event after them), and logs one line.
 *
 * Presence, shared by all instances:
 *   <prefix>instances        sorted set: instance id → expiry (ms, Redis clock), moved on by a heartbeat
 *   <prefix>presence:<key>   set of instance ids holding the key (a socket for it is open there)
 *   <prefix>held:<id>        set of keys instance <id> holds (what to let go when it dies)
 *   <prefix>offline          hash: key → the event announcing it went offline (given to join)
 * A key is online while some holder's expiry lies ahead. Each instance sweeps every heartbeat:
 * one Lua script drops instances whose expiry passed and writes the offline event of every key
 * that thereby lost its last live holder. The script is atomic, so a key is announced once, however
 * many instances sweep. Redis's own clock (TIME) is the only clock, so instances' clocks may differ.
 *
 * Timing: an instance's entry lives ttlMs - heartbeatMs and is renewed every heartbeatMs, so a dead
 * instance's keys are announced offline at most ttlMs after its last heartbeat, while a live one
 * survives a heartbeat that comes up to ttlMs - 2 * heartbeatMs late. An instance that was swept
 * anyway (paused too long, Redis unreachable) notices on its next heartbeat and joins its keys again.
 *
 * Needs Redis ≥ 5 (streams; scripts that read TIME and then write); a single Redis or Sentinel, not
 * Cluster (the scripts touch keys they compute). `ioredis` is an optional peer dependency: this
 * module is reached only through `ah-chat/redis`.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { OutageLog } from '../outage-log.js';
import { resolveRedisBusOptions, type RedisBusOptions } from './redis-bus-options.js';
import type { Bus, HubEvent, PresenceEvent, PresenceKey } from './bus.js';
import { SCRIPTS, SHAS, type ScriptName } from './redis-scripts.js';
import { compareIds, StreamEntries } from './redis-stream-entries.js';

/** Events kept while Redis is away: what a client would otherwise see only in history. */
const KEPT: ReadonlySet<HubEvent['type']> = new Set(['message', 'chat', 'read', 'closed', 'resync']);

/** Most entries one XREAD returns: a reader that fell behind catches up in few round trips. */
const READ_BATCH = 5000;

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

type StreamReply = [key: string, entries: [id: string, fields: string[]][]][] | null;

export type { RedisBusOptions } from './redis-bus-options.js';

export function redisBus(options: RedisBusOptions = {}): Bus {
  const { url, client, prefix, ttlMs, heartbeatMs, commandTimeoutMs, backlog, logger } = resolveRedisBusOptions(options);

  const id = randomUUID();
  const stream = `${prefix}stream`;
  const lifeMs = ttlMs - heartbeatMs;
  /** How long one XREAD blocks: short enough to notice a connection that went silent. */
  const blockMs = Math.min(heartbeatMs, 1000);
  // No offline queue and no retried commands on our own connections: a command either reaches
  // Redis now or fails now (and the bus degrades), it never waits for a reconnect.
  // Reconnect attempts at most a second apart, so that the bus is back within about a second of Redis.
  const ours = { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: (times: number) => Math.min(times * 100, 1000) };
  const commands = client ?? new Redis(url ?? 'redis://127.0.0.1:6379', { ...ours, lazyConnect: true });
  const reader = commands.duplicate({ ...ours, lazyConnect: true });
  const outage = new OutageLog(logger, 'redisBus: Redis', 'pushes and presence stay on this instance until it is back', 0);

  /** Keys this instance holds, with their offline events: joined again if a sweep dropped us. */
  const held = new Map<PresenceKey, PresenceEvent | undefined>();
  /** Keys let go of while Redis was away: left there when it is back. */
  const leftWhileAway = new Map<PresenceKey, PresenceEvent | undefined>();
  /** Events to write when Redis is back, oldest first; `overflowed` once more came than fit. */
  const kept: HubEvent[] = [];
  let overflowed = false;
  const pending = new Set<Promise<unknown>>();
  const wakers = new Set<() => void>();
  let deliver: ((event: HubEvent) => void) | null = null;
  let timer: NodeJS.Timeout | undefined;
  let up = false;
  let started = false;
  let recovering = false;
  /** While recover() runs: keys joined or left from memory meanwhile, which it must settle too. */
  let changedWhileAway: Set<PresenceKey> | null = null;
  let ticking = false;
  let closed = false;
  /** The last stream entry delivered (or skipped as ours); reading goes on after it. */
  let lastId = '0-0';
  /** Set when the reader lost its connection: check that the stream still reaches back to lastId. */
  let checkGap = false;

  for (const connection of client ? [reader] : [commands, reader]) {
    // Failures reach us as failed commands and 'close'; the outage line says it once.
    connection.on('error', () => {});
  }
  const onClose = () => wentAway('connection closed');
  const onReady = () => void recover();
  for (const connection of [commands, reader]) {
    connection.on('close', onClose);
    connection.on('ready', onReady);
  }

  function wentAway(reason: string): void {
    if (closed || !started) return;
    up = false;
    outage.failed(reason);
  }

  /** A Redis call that answers within commandTimeoutMs or counts as Redis being away. */
  async function bounded<T>(call: Promise<T>, ms = commandTimeoutMs): Promise<T> {
    let timeout: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        call,
        new Promise<never>((_, reject) => {
          timeout = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
        }),
      ]);
    } catch (error) {
      // A reply error (NOSCRIPT, a script's error) is Redis answering: not an outage.
      if (!(error instanceof Error && error.name === 'ReplyError')) wentAway(describe(error));
      throw error;
    } finally {
      clearTimeout(timeout);
    }
  }

  async function run<T>(name: ScriptName, args: (string | number)[]): Promise<T> {
    const argv = [prefix, ...args];
    try {
      return (await bounded(commands.evalsha(SHAS[name], 0, ...argv))) as T;
    } catch (error) {
      // First use on this Redis (or after SCRIPT FLUSH / a restart): send the script itself once.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return (await bounded(commands.eval(SCRIPTS[name], 0, ...argv))) as T;
    }
  }

  /** Runs fn unless closed, and lets close() wait for it. */
  function track<T>(fn: () => Promise<T>): Promise<T> {
    if (closed) return Promise.reject(new Error('redisBus: the bus is closed'));
    const promise = fn();
    pending.add(promise);
    void promise.then(
      () => pending.delete(promise),
      () => pending.delete(promise),
    );
    return promise;
  }

  /** Resolves when connection is ready, or when the bus closes. */
  function whenReady(connection: Redis): Promise<void> {
    if (connection.status === 'ready' || closed) return Promise.resolve();
    if (connection.status === 'wait') connection.connect().catch(() => {});
    return new Promise((resolve) => {
      const done = () => {
        connection.removeListener('ready', done);
        wakers.delete(done);
        resolve();
      };
      connection.once('ready', done);
      wakers.add(done);
    });
  }

  const entries = new StreamEntries(id);

  async function write(event: HubEvent): Promise<void> {
    await bounded(commands.xadd(stream, 'MAXLEN', backlog, '*', 'e', entries.encode(event)));
  }

  /**
   * Events published while up, written together after the current turn: one pipeline of XADDs
   * (one socket write, one timer) however many messages the turn handled.
   */
  let outbox: HubEvent[] = [];
  let outboxWritten: Promise<void> | null = null;

  function enqueue(event: HubEvent): Promise<void> {
    outbox.push(event);
    outboxWritten ??= new Promise<void>((resolve) => setImmediate(resolve)).then(flushOutbox);
    return outboxWritten;
  }

  async function flushOutbox(): Promise<void> {
    const batch = outbox;
    outbox = [];
    outboxWritten = null;
    // Redis went away since these were published: they wait for the recovery like the others.
    if (!up) {
      for (const event of batch) keep(event);
      return;
    }
    const pipeline = commands.pipeline();
    for (const event of batch) pipeline.xadd(stream, 'MAXLEN', backlog, '*', 'e', entries.encode(event));
    let results: [Error | null, unknown][] | null;
    try {
      results = await bounded(pipeline.exec());
    } catch (error) {
      // Kept, and written again (in a new epoch) by the recovery this starts.
      for (const event of batch) keep(event);
      wentAway(describe(error));
      return;
    }
    const failed = batch.filter((_, i) => !results || results[i]?.[0]);
    if (failed.length > 0) {
      for (const event of failed) keep(event);
      wentAway(describe(results?.find(([error]) => error)?.[0] ?? 'no reply'));
    }
  }

  /** Keeps an event for when Redis is back; typing and presence are not worth keeping. */
  function keep(event: HubEvent): void {
    if (!KEPT.has(event.type)) return;
    if (kept.length < backlog) kept.push(event);
    else overflowed = true;
  }

  async function join(key: PresenceKey, offline: PresenceEvent | undefined): Promise<boolean> {
    const [wasOffline, registered] = await run<[number, number]>('join', [id, key, offline ? JSON.stringify(offline) : '']);
    // Joined while swept: renew now rather than look offline until the next heartbeat.
    if (!registered) track(tick).catch(() => {});
    return wasOffline === 1;
  }

  /** Renews this instance's entry (joining our keys again if a sweep dropped it), then sweeps. */
  async function tick(): Promise<void> {
    if (!up) return recover();
    if (ticking || closed) return;
    ticking = true;
    try {
      const lost = await run<number>('heartbeat', [id, lifeMs]);
      if (lost) {
        for (const [key, offline] of held) {
          if ((await join(key, offline)) && offline) await write({ ...offline, online: true });
        }
      }
      await run<number>('sweep', [stream, '', backlog]);
    } finally {
      ticking = false;
    }
  }

  /**
   * Leaves in Redis what left while it was away (announcing it if now offline), joins and
   * re-announces what we hold; `only`: just these keys.
   */
  async function settlePresence(only: Set<PresenceKey> | null): Promise<void> {
    for (const [key, offline] of [...leftWhileAway]) {
      if (only && !only.has(key)) continue;
      // Offline everywhere now, or unknown to a Redis that restarted empty: say so.
      const gone = (await run<number>('leave', [id, key])) === 1 || (await run<number[]>('isOnline', [key]))[0] === 0;
      if (gone && offline) await write(offline);
      if (leftWhileAway.get(key) === offline) leftWhileAway.delete(key);
    }
    for (const [key, offline] of [...held]) {
      if (only && !only.has(key)) continue;
      await join(key, offline);
      // Others may have shown this key offline (or never heard of it): tell them it is here.
      if (offline) await write({ ...offline, online: true });
    }
  }

  /** Writes the kept events in order, in batches; returns how many. */
  async function writeKept(): Promise<number> {
    let written = 0;
    while (kept.length > 0) {
      const batch = kept.slice(0, 500);
      const pipeline = commands.pipeline();
      for (const event of batch) pipeline.xadd(stream, 'MAXLEN', backlog, '*', 'e', entries.encode(event));
      const results = (await bounded(pipeline.exec())) ?? [];
      const failed = results.find(([error]) => error);
      if (failed) throw failed[0];
      kept.splice(0, batch.length);
      written += batch.length;
    }
    return written;
  }

  /**
   * Redis is reachable again: renew our entry, settle presence (leave what left meanwhile, join and
   * re-announce what we hold), write the kept events in order, and only then count it as up.
   */
  async function recover(): Promise<void> {
    if (closed || !started || up || recovering) return;
    if (commands.status !== 'ready' || reader.status !== 'ready') return;
    recovering = true;
    try {
      await run<number>('heartbeat', [id, lifeMs]);
      // Entries lost in flight when Redis went away are kept and written again: not a gap.
      entries.newEpoch();
      let replayed = 0;
      let resynced = false;
      let only: Set<PresenceKey> | null = null;
      // Sockets come and go meanwhile (answered from memory): settle those keys too, until none is left.
      do {
        const round = only;
        only = changedWhileAway = new Set();
        await settlePresence(round);
        replayed += await writeKept();
        if (overflowed) {
          // More happened than we kept: the other instances' clients must fetch what they missed.
          await write({ type: 'resync' });
          overflowed = false;
          resynced = true;
        }
      } while (changedWhileAway.size > 0 || kept.length > 0 || overflowed);
      // Nothing awaited since the check above: from here on, events go to Redis directly.
      changedWhileAway = null;
      up = true;
      outage.recovered(`; ${held.size} presence keys announced again, ${replayed} kept events written${resynced ? ', resync sent' : ''}`, true);
    } catch {
      changedWhileAway = null;
      // Still away: the next reconnect or heartbeat tries again.
    } finally {
      recovering = false;
    }
  }

  /** Delivers other instances' events, in stream order, for as long as the bus runs. */
  async function read(): Promise<void> {
    while (!closed) {
      if (reader.status !== 'ready') {
        checkGap = true;
        await whenReady(reader);
        continue;
      }
      try {
        if (checkGap) {
          checkGap = false;
          // Trimmed past the last entry we saw: what we missed is gone from Redis.
          const [first] = (await bounded(reader.xrange(stream, '-', '+', 'COUNT', 1))) as [string, string[]][];
          const length = await bounded(reader.xlen(stream));
          if (first && compareIds(first[0], lastId) > 0 && length >= backlog && lastId !== '0-0') deliver?.({ type: 'resync' });
        }
        const reply = (await bounded(
          reader.xread('COUNT', READ_BATCH, 'BLOCK', blockMs, 'STREAMS', stream, lastId),
          blockMs + commandTimeoutMs,
        )) as StreamReply;
        let gap = false;
        for (const [, streamEntries] of reply ?? []) {
          for (const [entryId, fields] of streamEntries) {
            lastId = entryId;
            const decoded = entries.decode(fields);
            if (!decoded) continue;
            if (decoded.gap) gap = true;
            deliver?.(decoded.event);
          }
        }
        // Entries of a writer went missing (trimmed before we read them): clients must fetch.
        if (gap) deliver?.({ type: 'resync' });
      } catch {
        if (closed) return;
        // A connection that answers nothing is dropped, so that it reconnects; otherwise ioredis
        // is reconnecting already. Either way, pause a little rather than spin.
        if (reader.status === 'ready') reader.disconnect(true);
        checkGap = true;
        await delay(50);
      }
    }
  }

  return {
    start(onEvent) {
      return track(async () => {
        deliver = onEvent;
        await Promise.all([whenReady(commands), whenReady(reader)]);
        if (closed) return;
        // Read on from the newest entry now: earlier ones are not for us.
        const [newest] = (await bounded(commands.xrevrange(stream, '+', '-', 'COUNT', 1))) as [string, string[]][];
        if (newest) lastId = newest[0];
        await run<number>('heartbeat', [id, lifeMs]);
        await run<number>('sweep', [stream, '', backlog]);
        started = true;
        up = true;
        void read();
        timer = setInterval(() => {
          // A failed tick is retried by the next one; Redis being away long enough costs our entry,
          // which the next successful heartbeat restores.
          track(tick).catch(() => {});
        }, heartbeatMs);
        timer.unref();
      });
    },

    publish(event) {
      return track(async () => {
        if (!up) return keep(event);
        await enqueue(event);
      });
    },

    join(key, offline) {
      return track(async () => {
        held.set(key, offline);
        leftWhileAway.delete(key);
        // Away: as far as we can tell, the key was offline (only this instance's sockets count).
        if (!up) {
          changedWhileAway?.add(key);
          return true;
        }
        try {
          return await join(key, offline);
        } catch {
          return true;
        }
      });
    },

    leave(key) {
      return track(async () => {
        const offline = held.get(key);
        held.delete(key);
        if (up) {
          try {
            return (await run<number>('leave', [id, key])) === 1;
          } catch {}
        }
        leftWhileAway.set(key, offline);
        changedWhileAway?.add(key);
        return true;
      });
    },

    isOnline(keys) {
      return track(async () => {
        if (keys.length === 0) return [];
        const local = () => keys.map((key) => held.has(key));
        if (!up) return local();
        try {
          const flags = await run<number[]>('isOnline', [...keys]);
          return flags.map((flag) => flag === 1);
        } catch {
          return local();
        }
      });
    },

    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      for (const wake of [...wakers]) wake();
      await Promise.allSettled([...pending]);
      deliver = null;
      held.clear();
      for (const connection of [commands, reader]) {
        connection.removeListener('close', onClose);
        connection.removeListener('ready', onReady);
      }
      if (up) {
        try {
          // Goodbye: our keys go now rather than after the TTL. If Redis is unreachable, the TTL does it.
          await run<number>('sweep', [stream, id, backlog]);
        } catch {}
      }
      reader.disconnect();
      if (!client) await commands.quit().catch(() => commands.disconnect());
    },

    /** Readiness: a PING on the command connection. */
    async ping() {
      await commands.ping();
    },
  };
}
