/**
 * `npm run bench [-- --quick] [-- --profile]`: runs every measurement, prints one table and writes
 * bench/results.json. Each server under test, the load generator and each storage run is its own
 * child process; all of them talk only to 127.0.0.1 and are killed at the end, also on error.
 *
 * --quick    smaller load and sizes, under a minute, for CI: prints the table, never fails on a target.
 * --profile  runs the server children with --cpu-prof (profiles in .tmp/bench-profiles/).
 * --only=throughput,signin,storage,memory,widget,manychats  runs only these sections.
 * Exit code: 0 done, 1 something crashed, 2 (full mode only) a target was missed.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Child, killAll } from './ipc.js';
import type { LoopResult } from './load.js';
import { renderTable, type Row } from './table.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = process.cwd();
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const profile = argv.includes('--profile');

const CONFIG = quick
  ? { rounds: 1, sellers: 5, buyersPerSeller: 40, warmupMs: 1000, durationMs: 2500, openRate: 1000, openMs: 2500, storageSizes: [1_000, 10_000], writes: 200, signIns: 5, idle: 1_000 }
  : { rounds: 3, sellers: 10, buyersPerSeller: 100, warmupMs: 2000, durationMs: 10_000, openRate: 2000, openMs: 10_000, storageSizes: [1_000, 10_000, 100_000], writes: 1000, signIns: 20, idle: 10_000 };

// --rounds=N: fewer (or more) interleaved rounds, for working on one row.
const roundsArg = Number(argv.find((a) => a.startsWith('--rounds='))?.slice('--rounds='.length));
if (Number.isInteger(roundsArg) && roundsArg > 0) CONFIG.rounds = roundsArg;

const TARGETS = {
  memoryRatio: 0.7,
  lowdbRatio: 0.5,
  openP99Ms: 20,
  stallMs: 10,
  /** "Flat": the median write with the most messages stored is at most this many times the one with 1k. */
  writeGrowth: 1.5,
  connectionKiB: 12,
  widgetGzipBytes: 15_000,
  // Against the Socket.IO peer of the same run (issue 18).
  postgresVsPeer: 2,
  scaleoutVsPeer: 2,
  scaleoutOfBaseline: 0.25,
  scaleoutP99VsPeer: 1.5,
  signInPostgresVsLowdb: 1.5,
  lowdbP99VsPeer: 1,
  lowdbOfBaseline: 0.9,
};

const tempDirs: string[] = [];
function tempDir(label: string, base = tmpdir()): string {
  const dir = mkdtempSync(join(base, `ah-chat-bench-${label}-`));
  tempDirs.push(dir);
  return dir;
}
function cleanUp(): void {
  killAll();
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    cleanUp();
    process.exit(130);
  });
}
// Nothing here may run unbounded: the whole run has a deadline.
const deadline = setTimeout(
  () => {
    console.error(`bench: still running after the deadline; stopping`);
    cleanUp();
    process.exit(1);
  },
  quick ? 110_000 : 20 * 60_000,
);
deadline.unref();

const profileDir = join(root, '.tmp', 'bench-profiles');
function serverNodeArgs(label: string): string[] {
  const args = ['--expose-gc'];
  if (profile) args.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${label}-${Date.now()}.cpuprofile`);
  return args;
}

type Kind = 'baseline' | 'memory' | 'lowdb' | 'lowdb-tmpfs' | 'postgres' | 'scaleout' | 'sio-memory' | 'sio-postgres' | 'sio-scaleout';
const LABEL: Record<Kind, string> = {
  baseline: 'baseline (plain ws)',
  memory: 'AH Chat, memoryStore',
  lowdb: 'AH Chat, lowdbStore',
  'lowdb-tmpfs': 'AH Chat, lowdbStore on tmpfs',
  postgres: 'AH Chat, postgresStore',
  scaleout: 'AH Chat ×2 instances, PostgreSQL + Redis',
  'sio-memory': 'Socket.IO peer, in memory',
  'sio-postgres': 'Socket.IO peer, PostgreSQL',
  'sio-scaleout': 'Socket.IO peer ×2, PostgreSQL + Redis adapter',
};
/** The Socket.IO peer each AH Chat row is compared with (AH ÷ peer). */
const PEER: Partial<Record<Kind, Kind>> = { memory: 'sio-memory', lowdb: 'sio-memory', 'lowdb-tmpfs': 'sio-memory', postgres: 'sio-postgres', scaleout: 'sio-scaleout' };
/** Kinds on PostgreSQL: they get a fresh schema each, and one more open loop at OVERLOAD_RATE. */
const ON_POSTGRES: ReadonlySet<Kind> = new Set(['postgres', 'scaleout', 'sio-postgres', 'sio-scaleout']);
/** A RAM-backed directory (Linux), if there is one: the diagnostic run of lowdb without disk costs. */
const tmpfs = process.platform === 'linux' && existsSync('/dev/shm') ? '/dev/shm' : null;

/** Notes that sections add below the table. */
const sectionNotes: string[] = [];

const DATABASE_URL = process.env.AHCHAT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.AHCHAT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Why the two-instance run cannot happen here, or null when PostgreSQL and Redis both answer. */
async function scaleoutUnavailable(): Promise<string | null> {
  const db = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await db.connect();
    await db.query('SELECT 1');
  } catch (error) {
    return `PostgreSQL not reachable at ${DATABASE_URL} (${(error as Error).message})`;
  } finally {
    await db.end().catch(() => {});
  }
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    return `Redis not reachable at ${REDIS_URL} (${(error as Error).message})`;
  } finally {
    redis.disconnect();
  }
  return null;
}

/** Drops what the two-instance runs left in PostgreSQL and Redis. */
async function dropScaleoutSpaces(): Promise<void> {
  if (scaleoutSpaces.length === 0) return;
  const db = new pg.Client({ connectionString: DATABASE_URL });
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  try {
    await db.connect();
    await redis.connect();
    for (const { schema, prefix } of scaleoutSpaces.splice(0)) {
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
    }
  } finally {
    await db.end().catch(() => {});
    redis.disconnect();
  }
}

/** Schemas and Redis prefixes the two-instance runs used: dropped at the end of the section. */
const scaleoutSpaces: { schema: string; prefix: string }[] = [];

/**
 * The server processes of one run: one, or for 'scaleout' two instances sharing a fresh PostgreSQL
 * schema and Redis prefix (buyers connect to the first, sellers to the second, so every push crosses).
 */
function startServers(kind: Kind): Child[] {
  if (!ON_POSTGRES.has(kind)) return [startServer(kind)];
  const space = { schema: `ahchat_bench_${process.pid}_${scaleoutSpaces.length}`, prefix: `ahchat-bench-${process.pid}-${scaleoutSpaces.length}:` };
  scaleoutSpaces.push(space);
  const peer = kind.startsWith('sio-');
  const script = join(here, peer ? 'socketio-server.mjs' : 'chat-server.mjs');
  if (kind === 'postgres' || kind === 'sio-postgres') return [new Child(kind, script, ['postgres', space.schema], serverNodeArgs(kind))];
  return ['a', 'b'].map((name) => new Child(`${kind}-${name}`, script, ['scaleout', space.schema, space.prefix], serverNodeArgs(`${kind}-${name}`)));
}

function startServer(kind: Kind): Child {
  if (kind === 'baseline') return new Child('baseline', join(here, 'baseline-server.mjs'), [], serverNodeArgs('baseline'));
  if (kind === 'sio-memory') return new Child(kind, join(here, 'socketio-server.mjs'), ['memory'], serverNodeArgs(kind));
  const args = kind === 'memory' ? ['memory'] : ['lowdb', tempDir('lowdb', kind === 'lowdb-tmpfs' ? tmpfs! : tmpdir())];
  return new Child(`ahchat-${kind}`, join(here, 'chat-server.mjs'), args, serverNodeArgs(kind));
}

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

interface ThroughputResult {
  closed: LoopResult & { serverCpuPercent: number; serverCpuMicrosPerMessage: number; serverUserMicrosPerMessage: number; loadCpuPercent: number };
  open: LoopResult & { worstSendLagMs: number; serverStall: { maxMs: number; p99Ms: number } | null };
  /** PostgreSQL kinds: an open loop past what the machine can confirm. */
  overload?: LoopResult & { sent: number; onTime: number };
}

/** The overload open loop of the PostgreSQL rows: more than any of them confirms on 2 cores. */
const OVERLOAD = quick ? { rate: 4000, durationMs: 2000 } : { rate: 8000, durationMs: 5000 };

type Cpu = { cpuMicros: number; userMicros: number; wallMs: number };
type Stall = { maxMs: number; p99Ms: number } | null;

/** CPU used by all the servers of a run together. */
async function serversCpu(servers: Child[]): Promise<Cpu> {
  const all: Cpu[] = await Promise.all(servers.map((s) => s.call('cpu')));
  return all.reduce((a, b) => ({ cpuMicros: a.cpuMicros + b.cpuMicros, userMicros: a.userMicros + b.userMicros, wallMs: Math.max(a.wallMs, b.wallMs) }));
}

async function throughput(kind: Kind): Promise<ThroughputResult> {
  const servers = startServers(kind);
  const load = new Child(`load-${kind}`, join(here, 'load.mjs'));
  try {
    for (const server of servers) server.link(load);
    const urls = (await Promise.all(servers.map((s) => s.whenReady()))).map((r: { url: string }) => r.url);
    await load.whenReady();
    const connectArgs = { url: urls[0], sellerUrl: urls.at(-1), sellers: CONFIG.sellers, buyersPerSeller: CONFIG.buyersPerSeller };
    const connected = await load.call('connect', connectArgs, 120_000);
    log(`${kind}: ${connected.buyers} buyers + ${connected.sellers} sellers signed in (${connected.connectMs.toFixed(0)} ms)`);
    const [cpu0, loadCpu0] = await Promise.all([serversCpu(servers), load.call('cpu')]);
    const closed: LoopResult & { totalMessages: number } = await load.call('closed', CONFIG, CONFIG.warmupMs + CONFIG.durationMs + 30_000);
    const [cpu1, loadCpu1] = await Promise.all([serversCpu(servers), load.call('cpu')]);
    log(`${kind}: closed loop ${closed.perSecond.toFixed(0)} msg/s`);
    await Promise.all(servers.map((s) => s.call('loopStart')));
    const open: ThroughputResult['open'] = await load.call('open', { rate: CONFIG.openRate, durationMs: CONFIG.openMs }, CONFIG.openMs + 30_000);
    const stalls: Stall[] = await Promise.all(servers.map((s) => s.call('loopStop')));
    open.serverStall = stalls.reduce((a, b) => (a && b ? { maxMs: Math.max(a.maxMs, b.maxMs), p99Ms: Math.max(a.p99Ms, b.p99Ms) } : a ?? b), null);
    log(`${kind}: open loop p99 ${open.latency.p99.toFixed(1)} ms`);
    let overload: ThroughputResult['overload'];
    if (ON_POSTGRES.has(kind) && !kind.endsWith('scaleout')) {
      overload = await load.call('open', OVERLOAD, OVERLOAD.durationMs + 30_000);
      log(`${kind}: ${int(OVERLOAD.rate)} msg/s open loop, ${pct(overload!.onTime / overload!.sent)} confirmed within 1 s`);
    }
    await load.call('disconnect');
    const cpuMicros = cpu1.cpuMicros - cpu0.cpuMicros;
    return {
      closed: {
        ...closed,
        serverCpuPercent: (cpuMicros / 1000 / (cpu1.wallMs - cpu0.wallMs)) * 100,
        serverCpuMicrosPerMessage: cpuMicros / closed.totalMessages,
        /** The part spent in the process itself (JS, libuv), without system calls. */
        serverUserMicrosPerMessage: (cpu1.userMicros - cpu0.userMicros) / closed.totalMessages,
        loadCpuPercent: ((loadCpu1.cpuMicros - loadCpu0.cpuMicros) / 1000 / (loadCpu1.wallMs - loadCpu0.wallMs)) * 100,
      },
      open,
      overload,
    };
  } finally {
    await Promise.all([load.stop(), ...servers.map((s) => s.stop())]);
  }
}

async function idleMemory(kind: Kind) {
  const server = startServer(kind);
  const load = new Child(`idle-${kind}`, join(here, 'load.mjs'));
  try {
    server.link(load);
    const { url } = await server.whenReady();
    await load.whenReady();
    const before = await server.call('mem');
    const connected = await load.call('connect', { url, sellers: 0, buyersPerSeller: CONFIG.idle, batch: 250 }, 300_000);
    const after = await server.call('mem');
    await load.call('disconnect');
    const n = connected.buyers as number;
    log(`${kind}: ${n} idle buyers, ${((after.rss - before.rss) / n / 1024).toFixed(1)} KiB RSS each`);
    return {
      connections: n,
      connectMs: connected.connectMs as number,
      rssPerConnection: (after.rss - before.rss) / n,
      heapPerConnection: (after.heapUsed - before.heapUsed) / n,
      rssBefore: before.rss,
      rssAfter: after.rss,
    };
  } finally {
    await Promise.all([load.stop(), server.stop()]);
  }
}

async function storage() {
  const runs = [];
  for (const stored of CONFIG.storageSizes) {
    const dir = tempDir(`store${stored}`);
    const child = new Child(`storage-${stored}`, join(here, 'storage.mjs'), [], ['--expose-gc']);
    try {
      await child.whenReady();
      const run = await child.call('measure', { dir, stored, writes: CONFIG.writes, rounds: CONFIG.rounds }, 300_000);
      const write = median<any>(run.rounds, (r) => r.write.p50).write;
      const stallMaxMs = median<any>(run.rounds, (r) => r.stallMaxMs).stallMaxMs as number;
      log(`lowdb with ${stored} stored: write p50 ${write.p50.toFixed(2)} ms, stall ${stallMaxMs.toFixed(1)} ms`);
      runs.push({ ...run, write, stallMaxMs, dir });
    } finally {
      await child.stop();
    }
  }
  return runs;
}

async function signIn(dir: string, token: string) {
  const server = new Child('ahchat-signin', join(here, 'chat-server.mjs'), ['lowdb', dir], serverNodeArgs('signin'));
  const load = new Child('load-signin', join(here, 'load.mjs'));
  try {
    server.link(load);
    const { url } = await server.whenReady();
    await load.whenReady();
    return await load.call('signIn', { url, token, sellerId: 1, times: CONFIG.signIns }, 120_000);
  } finally {
    await Promise.all([load.stop(), server.stop()]);
  }
}

async function startTime(dir: string) {
  const times: { storeOpenMs: number; startMs: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const server = new Child('ahchat-start', join(here, 'chat-server.mjs'), ['lowdb', dir]);
    try {
      times.push(await server.whenReady(120_000));
    } finally {
      await server.stop();
    }
  }
  times.sort((a, b) => a.startMs - b.startMs);
  return times[1]!;
}

/**
 * What a buyer's page loads at first, as the build counts it (scripts/build-widget.mjs BUYER_SCRIPTS):
 * ahchat.js alone, gzip -9; the name form, the alerts and the seller's inbox load on demand.
 */
function widgetSize() {
  const file = join(root, 'dist', 'widget', 'ahchat.js');
  if (!existsSync(file)) return null;
  const code = readFileSync(file);
  return { file: "dist/widget/ahchat.js (a buyer's first load)", bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length };
}

// ---- formatting ----

const ms = (v: number) => (Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)) : 'n/a');
const int = (v: number) => Math.round(v).toLocaleString('en-US');
/** A ratio: two decimals, or two significant digits below 0.1 (so that 0.004 is not "0.00"). */
const times = (v: number) => `${v >= 0.1 ? v.toFixed(2) : v.toPrecision(2)}×`;
const pct = (v: number) => `${(v * 100).toFixed(0)} %`;
const check = (ok: boolean): 'PASS' | 'MISS' => (ok ? 'PASS' : 'MISS');

function latency(r: { latency: { p50: number; p99: number; max: number } }): string {
  return `p50/p99/max ${ms(r.latency.p50)}/${ms(r.latency.p99)}/${ms(r.latency.max)} ms`;
}

function problems(r: LoopResult): string {
  const issues = [];
  if (r.errors) issues.push(`${r.errors} errors (${r.lastError})`);
  if (r.lost) issues.push(`${r.lost} unconfirmed`);
  const confirmed = r.totalMessages ?? r.messages;
  if (r.pushes < confirmed) issues.push(`${confirmed - r.pushes} pushes missing`);
  return issues.length ? `; ${issues.join(', ')}` : '';
}

/** The figures of one run: filled in section by section, written to bench/results.json. */
const results: Record<string, any> = { mode: quick ? 'quick' : 'full', config: CONFIG, targets: TARGETS };
const rows: Row[] = [];

/** The middle element by `key` (the lower middle for an even count). */
function median<T>(list: readonly T[], key: (item: T) => number): T {
  return [...list].sort((a, b) => key(a) - key(b))[Math.floor((list.length - 1) / 2)]!;
}

async function throughputSection(): Promise<void> {
  // Interleaved every round: the baseline, AH Chat on each store, the Socket.IO peer of each.
  const kinds: Kind[] = ['baseline', 'memory', 'lowdb', 'sio-memory'];
  // Run once, in the first round (no target: a diagnostic of the store without disk costs; not in
  // quick mode): lowdb on tmpfs.
  const extras: Kind[] = [];
  if (tmpfs && !quick) extras.push('lowdb-tmpfs');
  const scaleoutMissing = await scaleoutUnavailable();
  if (scaleoutMissing) sectionNotes.push(`PostgreSQL and two-instance rows skipped: ${scaleoutMissing}.`);
  else kinds.push('postgres', 'sio-postgres', 'scaleout', 'sio-scaleout');
  // --kinds=a,b: only these (for working on one row; the targets of missing rows are left out).
  const wanted = argv.find((a) => a.startsWith('--kinds='))?.slice('--kinds='.length).split(',');
  const keep = (k: Kind) => !wanted || wanted.includes(k) || k === 'baseline';
  const rounds: Partial<Record<Kind, ThroughputResult[]>> = (results.throughput = {});
  // Rounds interleave the servers, so a burst of load from elsewhere on the machine hits them alike.
  try {
    for (let round = 0; round < CONFIG.rounds; round++) {
      log(`throughput round ${round + 1} of ${CONFIG.rounds}`);
      for (const kind of (round === 0 ? [...kinds, ...extras] : kinds).filter(keep)) {
        (rounds[kind] ??= []).push(await throughput(kind));
      }
      await dropScaleoutSpaces();
    }
  } finally {
    await dropScaleoutSpaces();
  }
  const ran = [...kinds, ...extras].filter((k) => rounds[k]);
  const closedOf = (kind: Kind) => median(rounds[kind]!, (r) => r.closed.perSecond).closed;
  const openOf = (kind: Kind) => median(rounds[kind]!, (r) => r.open.latency.p99).open;
  const overloadOf = (kind: Kind) => median(rounds[kind]!, (r) => (r.overload ? r.overload.onTime / r.overload.sent : 0)).overload;
  const base = closedOf('baseline');
  const buyers = CONFIG.sellers * CONFIG.buyersPerSeller;
  const ofRounds = CONFIG.rounds > 1 ? `, median of ${CONFIG.rounds} interleaved rounds` : '';
  const vsPeer = (kind: Kind, ours: number, theirs: (k: Kind) => number, unit = '×') => {
    const peer = PEER[kind];
    return peer && rounds[peer] ? ` · AH ÷ peer ${times(ours / theirs(peer)).replace(/×$/, unit)}` : '';
  };

  rows.push({ section: `Closed loop: ${CONFIG.sellers} sellers × ${CONFIG.buyersPerSeller} buyers, ${CONFIG.durationMs / 1000} s after ${CONFIG.warmupMs / 1000} s warm-up${ofRounds}; (%) = of baseline` });
  for (const kind of ran) {
    const c = closedOf(kind);
    const ratio = c.perSecond / base.perSecond;
    const cpuRatio = base.serverCpuMicrosPerMessage / c.serverCpuMicrosPerMessage;
    const target = kind === 'memory' ? TARGETS.memoryRatio : kind === 'lowdb' ? TARGETS.lowdbRatio : undefined;
    rows.push({
      name: LABEL[kind],
      figure:
        `${int(c.perSecond)} msg/s` +
        (kind === 'baseline' ? '' : ` (${pct(ratio)})`) +
        vsPeer(kind, c.perSecond, (p) => closedOf(p).perSecond) +
        ` · ${latency(c)} · server ${ms(c.serverCpuMicrosPerMessage)} µs/msg` +
        (kind === 'baseline' ? '' : ` (${pct(cpuRatio)})`) +
        `, ${c.serverCpuPercent.toFixed(0)} % CPU · generator ${c.loadCpuPercent.toFixed(0)} % CPU` +
        problems(c),
      target: target === undefined ? '' : `≥ ${pct(target)} of baseline`,
      result: target === undefined ? '' : check(ratio >= target),
    });
  }
  rows.push({ section: `Open loop: ${int(CONFIG.openRate)} msg/s over ${int(buyers)} buyers, ${CONFIG.openMs / 1000} s, latency from the scheduled send time${ofRounds}` });
  for (const kind of ran) {
    const o = openOf(kind);
    // The target is for 2,000 msg/s over 1,000 buyers, which quick mode does not run.
    const isTarget = kind === 'lowdb' && CONFIG.openRate >= 2000 && buyers >= 1000;
    const p99Ratio = vsPeer(kind, o.latency.p99, (p) => openOf(p).latency.p99).replace(/×$/, '× (p99)');
    rows.push({
      name: LABEL[kind],
      figure: `${latency(o)}${p99Ratio} · ${int(o.perSecond)} msg/s confirmed · server stall ${ms(o.serverStall?.maxMs ?? NaN)} ms · generator lag ${ms(o.worstSendLagMs)} ms${problems(o)}`,
      target: isTarget ? `p99 ≤ ${TARGETS.openP99Ms} ms` : '',
      result: isTarget ? check(o.latency.p99 <= TARGETS.openP99Ms && o.lost === 0) : '',
    });
  }
  const overloaded = ran.filter((k) => overloadOf(k));
  if (overloaded.length) {
    rows.push({ section: `Overload: open loop of ${int(OVERLOAD.rate)} msg/s for ${OVERLOAD.durationMs / 1000} s, one instance on PostgreSQL${ofRounds}` });
    for (const kind of overloaded) {
      const o = overloadOf(kind)!;
      const share = o.onTime / o.sent;
      const peer = PEER[kind];
      const peerShare = peer && rounds[peer] ? overloadOf(peer) : undefined;
      rows.push({
        name: LABEL[kind],
        figure: `${pct(share)} confirmed within 1 s${peerShare ? ` · AH ÷ peer ${(share / (peerShare.onTime / peerShare.sent)).toFixed(2)}×` : ''} · p50 ${ms(o.latency.p50)} ms${problems(o)}`,
        target: '',
        result: '',
      });
    }
  }

  // Issue 18's targets: ratios to the Socket.IO peer and to the baseline of this same run.
  const has = (...k: Kind[]) => k.every((kind) => rounds[kind]);
  const targetRows: Row[] = [];
  const ratioRow = (name: string, value: number, target: string, ok: boolean, unit = '×') =>
    targetRows.push({ name, figure: times(value).replace(/×$/, unit), target, result: check(ok) });
  if (has('postgres', 'sio-postgres')) {
    const r = closedOf('postgres').perSecond / closedOf('sio-postgres').perSecond;
    ratioRow('PostgreSQL, closed loop, AH ÷ peer', r, `≥ ${TARGETS.postgresVsPeer}×`, r >= TARGETS.postgresVsPeer);
  }
  if (has('scaleout', 'sio-scaleout')) {
    const r = closedOf('scaleout').perSecond / closedOf('sio-scaleout').perSecond;
    ratioRow('×2 instances, closed loop, AH ÷ peer', r, `≥ ${TARGETS.scaleoutVsPeer}×`, r >= TARGETS.scaleoutVsPeer);
    const p = openOf('scaleout').latency.p99 / openOf('sio-scaleout').latency.p99;
    ratioRow('×2 instances, open-loop p99, AH ÷ peer', p, `≤ ${TARGETS.scaleoutP99VsPeer}×`, p <= TARGETS.scaleoutP99VsPeer);
  }
  if (has('scaleout')) {
    const r = closedOf('scaleout').perSecond / base.perSecond;
    targetRows.push({ name: '×2 instances, closed loop, of baseline', figure: pct(r), target: `≥ ${pct(TARGETS.scaleoutOfBaseline)}`, result: check(r >= TARGETS.scaleoutOfBaseline) });
  }
  if (has('lowdb', 'sio-memory') && CONFIG.openRate >= 2000) {
    const p = openOf('lowdb').latency.p99 / openOf('sio-memory').latency.p99;
    ratioRow('one instance (lowdb), open-loop p99, AH ÷ peer', p, `≤ ${TARGETS.lowdbP99VsPeer}×`, p <= TARGETS.lowdbP99VsPeer);
  }
  if (has('lowdb')) {
    const r = closedOf('lowdb').perSecond / base.perSecond;
    targetRows.push({ name: 'one instance (lowdb), closed loop, of baseline', figure: pct(r), target: `≥ ${pct(TARGETS.lowdbOfBaseline)}`, result: check(r >= TARGETS.lowdbOfBaseline) });
  }
  if (targetRows.length) rows.push({ section: 'Against the Socket.IO peer and the baseline (same run)' }, ...targetRows);
}

async function storageSection(): Promise<void> {
  const runs = await storage();
  results.storage = runs.map(({ dir: _dir, token: _token, ...run }) => run);
  const largest = runs.at(-1)!;
  const ofRounds = CONFIG.rounds > 1 ? ` (median of ${CONFIG.rounds} rounds)` : '';
  rows.push({ section: `lowdbStore: rounds of ${int(CONFIG.writes)} sequential writes to one chat already holding N messages${ofRounds}` });
  for (const run of runs) {
    const isLargest = run === largest && run.stored >= 100_000;
    const stalls = run.rounds.length > 1 ? ` (rounds ${run.rounds.map((r: any) => ms(r.stallMaxMs)).join(', ')})` : '';
    rows.push({
      name: `${int(run.stored)} stored`,
      figure: `write p50/p99/max ${ms(run.write.p50)}/${ms(run.write.p99)}/${ms(run.write.max)} ms · worst stall ${ms(run.stallMaxMs)} ms${stalls}`,
      target: isLargest ? `stall ≤ ${TARGETS.stallMs} ms` : '',
      result: isLargest ? check(run.stallMaxMs <= TARGETS.stallMs) : '',
    });
  }
  const growth = largest.write.p50 / runs[0]!.write.p50;
  rows.push({
    name: `write cost, ${int(largest.stored)} vs ${int(runs[0]!.stored)} stored`,
    figure: `${growth.toFixed(2)}× (median write)`,
    target: `≤ ${TARGETS.writeGrowth}× (flat)`,
    result: check(growth <= TARGETS.writeGrowth),
  });
  const journalDir = tempDir('journal');
  const child = new Child('journal-modes', join(here, 'storage.mjs'));
  try {
    await child.whenReady();
    for (const batch of [1, 10]) {
      const modes = await child.call('journalModes', { dir: journalDir, batches: quick ? 500 : 3000, batch }, 120_000);
      (results.journalModes ??= {})[batch] = modes;
      rows.push({
        name: `journal, batches of ${batch}, sync vs thread pool`,
        figure: `written in p50/p99 ${ms(modes.sync.latency.p50)}/${ms(modes.sync.latency.p99)} ms vs ${ms(modes.pool.latency.p50)}/${ms(modes.pool.latency.p99)} ms · CPU ${ms(modes.sync.cpuMicrosPerBatch)} vs ${ms(modes.pool.cpuMicrosPerBatch)} µs per batch`,
        target: '',
        result: '',
      });
    }
  } finally {
    await child.stop();
  }
  const tenK = runs.find((r) => r.stored === 10_000) ?? largest;
  results.signIn = await signIn(tenK.dir, tenK.token);
  rows.push({
    name: `buyer sign-in, chat of ${int(tenK.total)} messages`,
    figure: `p50/max ${ms(results.signIn.latency.p50)}/${ms(results.signIn.latency.max)} ms over ${CONFIG.signIns} sign-ins (answer: ${results.signIn.messagesInAnswer} messages)`,
    target: '',
    result: '',
  });
  results.start = { stored: largest.total, ...(await startTime(largest.dir)) };
  rows.push({
    name: `server start, ${int(results.start.stored)} messages on disk`,
    figure: `${ms(results.start.startMs)} ms (store open ${ms(results.start.storeOpenMs)} ms), median of 3`,
    target: '',
    result: '',
  });
  for (const run of runs) rmSync(run.dir, { recursive: true, force: true });
}

async function memorySection(): Promise<void> {
  const mem: Partial<Record<Kind, Awaited<ReturnType<typeof idleMemory>>>> = (results.memory = {});
  rows.push({ section: `Memory: ${int(CONFIG.idle)} idle signed-in buyers (server RSS after GC, after − before, ÷ N)` });
  for (const kind of ['baseline', 'memory', 'lowdb'] as const) {
    const m = (mem[kind] = await idleMemory(kind));
    // The target is for 10k connections: at quick mode's 1k the fixed costs do not amortise alike.
    const isTarget = kind !== 'baseline' && CONFIG.idle >= 10_000;
    const kib = m.rssPerConnection / 1024;
    rows.push({
      name: LABEL[kind],
      figure: `${kib.toFixed(1)} KiB RSS per connection (JS heap ${(m.heapPerConnection / 1024).toFixed(1)} KiB)`,
      target: isTarget ? `≤ ${TARGETS.connectionKiB} KiB` : '',
      result: isTarget ? check(kib <= TARGETS.connectionKiB) : '',
    });
  }
}

function widgetSection(): void {
  const widget = (results.widget = widgetSize());
  rows.push({ section: 'Widget bundle' });
  rows.push(
    widget
      ? {
          name: widget.file,
          figure: `${int(widget.bytes)} B minified, ${int(widget.gzipBytes)} B gzipped (gzip -9)`,
          target: `≤ ${int(TARGETS.widgetGzipBytes)} B gzipped`,
          result: check(widget.gzipBytes <= TARGETS.widgetGzipBytes),
        }
      : { name: 'dist/widget/ahchat.js', figure: 'not built', target: `≤ ${int(TARGETS.widgetGzipBytes)} B gzipped`, result: 'MISS' },
  );
}

/** A seller with many chats signing in (issue 13): sizes of its own, so the other sections' CONFIG is untouched. */
const MANY_CHATS = quick ? { chats: 10_000, messageEvery: 10, concurrent: 5, rounds: 5 } : { chats: 100_000, messageEvery: 10, concurrent: 5, rounds: 20 };

async function manyChatsSection(): Promise<void> {
  const dir = tempDir('manychats');
  const seeder = new Child('seed-manychats', join(here, 'seller-sign-in.mjs'));
  let seedMs: number;
  try {
    await seeder.whenReady();
    ({ seedMs } = await seeder.call('seed', { dir, chats: MANY_CHATS.chats, sellerId: '1', messageEvery: MANY_CHATS.messageEvery }, 600_000));
  } finally {
    await seeder.stop();
  }
  const server = new Child('ahchat-manychats', join(here, 'chat-server.mjs'), ['lowdb', dir], serverNodeArgs('manychats'));
  const load = new Child('load-manychats', join(here, 'load.mjs'));
  try {
    server.link(load);
    const { url, startMs } = await server.whenReady(300_000);
    await load.whenReady();
    const run = await load.call('sellerSignIns', { url, sellerId: 1, concurrent: MANY_CHATS.concurrent, rounds: MANY_CHATS.rounds, bystanderSellerId: 2 }, 300_000);
    results.manyChats = { ...MANY_CHATS, seedMs, startMs, ...run };
  } finally {
    await Promise.all([load.stop(), server.stop()]);
  }
  const r = results.manyChats;
  rows.push({ section: `A seller with ${int(MANY_CHATS.chats)} chats (one message in every ${MANY_CHATS.messageEvery}th), lowdbStore: ${MANY_CHATS.concurrent} sign-ins at once × ${MANY_CHATS.rounds} rounds` });
  rows.push({
    name: 'seller sign-in (auth answer)',
    figure: `p50/p99/max ${ms(r.auth.p50)}/${ms(r.auth.p99)}/${ms(r.auth.max)} ms (${r.chatsInAnswer} chats, ${int(r.answerBytes)} B)${r.errors ? `; ${r.errors} errors (${r.lastError})` : ''}`,
    target: '',
    result: '',
  });
  rows.push({
    name: "another buyer's message meanwhile",
    figure: `worst ${ms(r.bystanderDuring.max)} ms, p50 ${ms(r.bystanderDuring.p50)} ms (alone: p50 ${ms(r.bystanderBefore.p50)}, worst ${ms(r.bystanderBefore.max)} ms)`,
    target: '',
    result: '',
  });
  sectionNotes.push(`Many chats: seeded in ${ms(seedMs / 1000)} s; the server started on them in ${ms(r.startMs)} ms.`);
}

/** Issue 18's sign-in row: a seller with 200 chats of 50 messages each, lowdb against PostgreSQL. */
const HISTORY = quick ? { chats: 50, messages: 20, rounds: 5 } : { chats: 200, messages: 50, rounds: 20 };

async function signInSection(): Promise<void> {
  const missing = await scaleoutUnavailable();
  const kinds: ('lowdb' | 'postgres')[] = missing ? ['lowdb'] : ['lowdb', 'postgres'];
  const runs: Record<string, any> = (results.historySignIn = {});
  for (const kind of kinds) {
    const space = { schema: `ahchat_bench_${process.pid}_${scaleoutSpaces.length}`, prefix: `ahchat-bench-${process.pid}-${scaleoutSpaces.length}:` };
    if (kind === 'postgres') scaleoutSpaces.push(space);
    const dir = kind === 'lowdb' ? tempDir('history') : undefined;
    const seeder = new Child(`seed-history-${kind}`, join(here, 'seller-sign-in.mjs'));
    try {
      await seeder.whenReady();
      await seeder.call('seedHistory', { dir, schema: kind === 'postgres' ? space.schema : undefined, chats: HISTORY.chats, messages: HISTORY.messages, sellerId: '1' }, 600_000);
    } finally {
      await seeder.stop();
    }
    const server = new Child(`ahchat-history-${kind}`, join(here, 'chat-server.mjs'), kind === 'lowdb' ? ['lowdb', dir!] : ['postgres', space.schema], serverNodeArgs(`history-${kind}`));
    const load = new Child(`load-history-${kind}`, join(here, 'load.mjs'));
    try {
      server.link(load);
      const { url } = await server.whenReady(120_000);
      await load.whenReady();
      runs[kind] = await load.call('sellerSignIns', { url, sellerId: 1, concurrent: 1, rounds: HISTORY.rounds, bystanderSellerId: 2 }, 300_000);
      log(`seller sign-in, ${kind}: p50 ${ms(runs[kind].auth.p50)} ms`);
    } finally {
      await Promise.all([load.stop(), server.stop()]);
      await dropScaleoutSpaces();
    }
  }
  if (missing) sectionNotes.push(`Sign-in on PostgreSQL skipped: ${missing}.`);
  rows.push({ section: `Seller sign-in: ${HISTORY.chats} chats × ${HISTORY.messages} messages, one sign-in at a time × ${HISTORY.rounds} after a warm-up` });
  for (const kind of kinds) {
    const r = runs[kind];
    rows.push({
      name: kind === 'lowdb' ? 'AH Chat, lowdbStore' : 'AH Chat, postgresStore',
      figure: `auth answer p50/p99/max ${ms(r.auth.p50)}/${ms(r.auth.p99)}/${ms(r.auth.max)} ms (${r.chatsInAnswer} chats, ${int(r.answerBytes)} B)${r.errors ? `; ${r.errors} errors (${r.lastError})` : ''}`,
      target: '',
      result: '',
    });
  }
  if (runs.postgres) {
    const ratio = runs.postgres.auth.p50 / runs.lowdb.auth.p50;
    rows.push({ name: 'PostgreSQL ÷ lowdb (p50)', figure: `${ratio.toFixed(2)}×`, target: `≤ ${TARGETS.signInPostgresVsLowdb}×`, result: check(ratio <= TARGETS.signInPostgresVsLowdb) });
  }
}

const SECTIONS = { throughput: throughputSection, signin: signInSection, storage: storageSection, memory: memorySection, widget: widgetSection, manychats: manyChatsSection };

async function main(): Promise<void> {
  if (profile) mkdirSync(profileDir, { recursive: true });
  const started = Date.now();
  const loadBefore = loadavg()[0]!;
  const only = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
  for (const name of only ?? []) if (!(name in SECTIONS)) throw new Error(`--only: unknown section ${name} (${Object.keys(SECTIONS).join(', ')})`);
  for (const [name, run] of Object.entries(SECTIONS)) if (!only || only.includes(name)) await run();

  const notes = [
    `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}; load generator and each server in separate processes on 127.0.0.1.`,
    "Benchmark settings: AH Chat runs with rateLimit, signUpRateLimit and maxConnectionsPerIp raised so the one local load generator is never throttled (defaults: 20 messages/10 s per socket, 100 sign-ups/min and 100 sockets per IP), and origins '*'.",
    "Ratios are against the baseline measured in this same run. Server µs/msg: the server process's user+system CPU time (all threads) over all messages of the closed loop, warm-up included; its (%) is the baseline's µs/msg over ours. Stall: worst event-loop delay (monitorEventLoopDelay, 1 ms resolution).",
    ...sectionNotes,
    ...(results.throughput?.['scaleout'] ? ['"AH Chat ×2 instances": two server processes sharing one PostgreSQL schema (postgresStore) and one Redis prefix (redisBus); buyers connect to one, sellers to the other, so every push crosses Redis; the Socket.IO peer ×2 the same with @socket.io/redis-adapter. Server µs/msg adds both processes (not PostgreSQL or Redis themselves). The peer is driven by socket.io-client, which costs the generator more CPU per message than plain ws does (see generator % CPU).'] : []),
    ...(results.throughput?.['lowdb-tmpfs'] ? [`"lowdbStore on tmpfs" is a diagnostic, not a target: the same store with its directory in ${tmpfs}, to separate the store's own cost from the file system's.`] : []),
    `Took ${((Date.now() - started) / 1000).toFixed(0)} s; machine load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after (other work on a shared machine makes figures noisy).` + (quick ? ' Quick mode: smaller load and sizes; PASS/MISS are indicative only and never fail the run.' : ''),
  ];
  Object.assign(results, { rows, notes, date: new Date().toISOString(), node: process.version, cpus: cpus().length });

  console.log(renderTable(rows));
  console.log('');
  for (const note of notes) console.log(`* ${note}`);
  writeFileSync(join(root, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log('* Written: bench/results.json' + (profile ? `; CPU profiles in ${profileDir}` : ''));
  const missed = rows.some((r) => r.name !== undefined && r.result === 'MISS');
  process.exitCode = !quick && missed ? 2 : 0;
}

main()
  .catch((error) => {
    console.error('bench failed:', error);
    process.exitCode = 1;
  })
  .finally(() => {
    cleanUp();
    clearTimeout(deadline);
  });
