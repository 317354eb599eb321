/**
 * Every environment variable of the standalone server, with its default and meaning: the one list
 * that `--help` prints and that the operator options below are parsed from. A test checks that
 * every variable the server reads is listed here.
 */
import { DEFAULTS } from '../options.js';

export interface Variable {
  name: string;
  /** As shown in --help. */
  default: string;
  meaning: string;
}

/** A plugin or store option an operator may need to change, read as an integer. */
export interface IntegerVariable extends Variable {
  fallback: number;
  min: number;
}

const int = (name: string, fallback: number, min: number, meaning: string): IntegerVariable => ({ name, default: String(fallback), fallback, min, meaning });

/** Operator limits, parsed by readOperatorOptions (config.ts). */
export const LIMIT_VARIABLES = {
  rateLimitFrames: int('AHCHAT_RATE_LIMIT_FRAMES', DEFAULTS.rateLimit.frames, 1, 'messages per socket per interval (all frames: 5x) before RATE_LIMITED'),
  rateLimitIntervalMs: int('AHCHAT_RATE_LIMIT_INTERVAL_MS', DEFAULTS.rateLimit.intervalMs, 1, 'the per-socket rate limit interval, ms'),
  signUpCount: int('AHCHAT_SIGNUP_LIMIT', DEFAULTS.signUpRateLimit.count, 1, 'new buyers or chats per client IP per interval'),
  signUpIntervalMs: int('AHCHAT_SIGNUP_INTERVAL_MS', DEFAULTS.signUpRateLimit.intervalMs, 1, 'the sign-up limit interval, ms'),
  maxConnectionsPerIp: int('AHCHAT_MAX_CONNECTIONS_PER_IP', DEFAULTS.maxConnectionsPerIp, 1, 'open sockets per client IP (more get HTTP 429)'),
  maxTextLength: int('AHCHAT_MAX_TEXT_LENGTH', DEFAULTS.maxTextLength, 1, 'characters per message (TEXT_TOO_LONG)'),
  maxPayload: int('AHCHAT_MAX_PAYLOAD', DEFAULTS.maxPayload, 1, 'bytes per incoming frame (larger: close 1009)'),
  historyLimit: int('AHCHAT_HISTORY_LIMIT', DEFAULTS.historyLimit, 1, 'messages per chat in an auth answer and a default history page'),
  chatListLimit: int('AHCHAT_CHAT_LIST_LIMIT', DEFAULTS.chatListLimit, 1, "chats in a seller's auth answer"),
  authTimeoutMs: int('AHCHAT_AUTH_TIMEOUT_MS', DEFAULTS.authTimeout, 1, 'ms a socket may stay signed out before close 1008'),
  heartbeatMs: int('AHCHAT_HEARTBEAT_MS', DEFAULTS.heartbeatInterval, 1, 'ms between pings; a missed pong ends the socket'),
  journalLimit: int('AHCHAT_JOURNAL_LIMIT', 16 * 1024 * 1024, 1, 'bytes the lowdb journal grows to before compaction'),
} as const;

/** Everything, in the order --help shows it. */
export const VARIABLES: readonly Variable[] = [
  { name: 'PORT', default: '8001', meaning: 'port to listen on (0 picks a free one)' },
  { name: 'AHCHAT_HOST', default: '0.0.0.0', meaning: 'address to bind (default: all IPv4 interfaces; :: for IPv6 too, 127.0.0.1 for this machine only)' },
  { name: 'AHCHAT_SELLERS', default: '(required)', meaning: 'JSON array [{"id":10,"token":"...","name":"..."}], or @path/to/file.json' },
  { name: 'AHCHAT_ORIGINS', default: "this server's own origin", meaning: "comma-separated allowed origins, like https://shop.example; '*' for any (with a warning)" },
  { name: 'AHCHAT_DB', default: DEFAULTS.dataDir, meaning: 'lowdb data directory (when AHCHAT_DATABASE_URL is not set)' },
  { name: 'AHCHAT_FSYNC', default: 'off', meaning: '1: fsync every lowdb write (survives power loss)' },
  { name: 'AHCHAT_DATABASE_URL', default: 'none', meaning: 'postgres://...: store in PostgreSQL instead of lowdb' },
  { name: 'AHCHAT_DATABASE_SCHEMA', default: 'ahchat', meaning: 'PostgreSQL schema (created and migrated at start)' },
  { name: 'AHCHAT_DATABASE_CONNECT_TIMEOUT_MS', default: '5000', meaning: 'longest wait for a PostgreSQL connection, ms' },
  { name: 'AHCHAT_DATABASE_QUERY_TIMEOUT_MS', default: '10000', meaning: 'longest a PostgreSQL statement may run (lock waits included), ms' },
  { name: 'AHCHAT_REDIS_URL', default: 'none', meaning: 'redis://...: share pushes and presence between instances' },
  { name: 'AHCHAT_REDIS_PREFIX', default: 'ahchat:', meaning: 'prefix of Redis keys and channel' },
  { name: 'AHCHAT_PRESENCE_TTL_MS', default: '15000', meaning: "longest a dead instance's users stay online elsewhere (at least 300)" },
  { name: 'AHCHAT_CONNECT_TIMEOUT_MS', default: '10000', meaning: 'how long to wait for Redis at start before exiting 1' },
  { name: 'AHCHAT_TRUST_PROXY', default: 'off', meaning: '1: take client IPs from X-Forwarded-For (behind your own proxy only)' },
  { name: 'AHCHAT_METRICS', default: 'off', meaning: '1: Prometheus metrics at /ahchat/metrics (keep it off the public proxy)' },
  { name: 'AHCHAT_IDENTITY_SECRET', default: 'none (signed identities refused)', meaning: "secret (32+ characters) the shop's server signs identities with (signIdentity)" },
  ...Object.values(LIMIT_VARIABLES),
];

/** The --help text. */
export function helpText(version: string): string {
  const width = Math.max(...VARIABLES.map((v) => v.name.length));
  const rows = VARIABLES.map((v) => `  ${v.name.padEnd(width)}  ${v.meaning} [default: ${v.default}]`);
  return [
    `ah-chat ${version}: the AH Chat standalone server`,
    '',
    'Usage: ah-chat [--help | --version]   (npx ah-chat, or node dist/server/index.js)',
    '',
    'Serves the WebSocket at / and /ahchat, the widget at /ahchat/ahchat.js, GET /ahchat/health and',
    '/ahchat/ready. Configured by these environment variables:',
    '',
    ...rows,
    '',
    'SIGTERM or SIGINT: stop accepting, finish in-flight messages, flush the store, exit 0.',
    'A bad variable: one line naming it on stderr, exit 1.',
    '',
  ].join('\n');
}
