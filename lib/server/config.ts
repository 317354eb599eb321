/** The standalone server's configuration, read from the environment and checked once. */
import { readFileSync } from 'node:fs';
import { DEFAULTS, type AhChatOptions } from '../options.js';
import { LIMIT_VARIABLES } from './variables.js';
import { isId, MIN_SECRET_LENGTH, SettingChecks } from '../wire/index.js';

export interface SellerRecord {
  id: number | string;
  token: string;
  name: string;
}

export interface ServerConfig {
  port: number;
  sellers: SellerRecord[];
  dataDir: string;
  /** AHCHAT_ORIGINS: the allowed origins, normalised; '*' any (with a warning); undefined: the server's own origin only. */
  origins: string[] | '*' | undefined;
  /** Write with fsync (AHCHAT_FSYNC=1): survives power loss, costs latency. */
  fsync: boolean;
  /** AHCHAT_DATABASE_URL: postgres://… selects the PostgreSQL store (instead of lowdb files). */
  databaseUrl: string | undefined;
  /** AHCHAT_DATABASE_SCHEMA: the PostgreSQL schema for AH Chat's tables. Default 'ahchat'. */
  databaseSchema: string;
  /** AHCHAT_DATABASE_CONNECT_TIMEOUT_MS: longest wait for a PostgreSQL connection. Default 5000. */
  databaseConnectTimeoutMs: number;
  /** AHCHAT_DATABASE_QUERY_TIMEOUT_MS: longest a PostgreSQL statement may run (lock waits included). Default 10000. */
  databaseQueryTimeoutMs: number;
  /** AHCHAT_REDIS_URL: redis://… selects the Redis bus, so several instances share pushes and presence. */
  redisUrl: string | undefined;
  /** AHCHAT_REDIS_PREFIX: prefix of AH Chat's Redis keys and channel. Default 'ahchat:'. */
  redisPrefix: string;
  /** AHCHAT_PRESENCE_TTL_MS: longest a dead instance's users stay online elsewhere. Default 15000. */
  presenceTtlMs: number;
  /** AHCHAT_CONNECT_TIMEOUT_MS: how long to wait for Redis at start before giving up. Default 10000. */
  connectTimeoutMs: number;
  /** AHCHAT_TRUST_PROXY=1: take the client IP (per-IP socket cap) from X-Forwarded-For, set by our reverse proxy. */
  trustProxy: boolean;
}

/** A configuration mistake: the message names the variable. */
export class ConfigError extends Error {}

const check: SettingChecks = new SettingChecks((name) => name, ConfigError);

function parseSellers(raw: string | undefined): SellerRecord[] {
  if (!raw) throw new ConfigError('AHCHAT_SELLERS is required: a JSON array like [{"id":10,"token":"...","name":"Shop"}] or @path/to/file.json');
  let text = raw;
  if (raw.startsWith('@')) {
    try {
      text = readFileSync(raw.slice(1), 'utf8');
    } catch (error) {
      throw new ConfigError(`AHCHAT_SELLERS: cannot read ${raw.slice(1)}: ${(error as Error).message}`);
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConfigError('AHCHAT_SELLERS is not valid JSON');
  }
  if (!Array.isArray(value) || value.length === 0) throw new ConfigError('AHCHAT_SELLERS must be a non-empty JSON array');
  const seen = new Set<string>();
  return value.map((item: unknown, i) => {
    const s = item as Partial<SellerRecord> | null;
    const idOk = isId(s?.id) || (typeof s?.id === 'string' && s.id !== '');
    if (!s || !idOk || typeof s.token !== 'string' || s.token === '' || typeof s.name !== 'string' || s.name === '') {
      throw new ConfigError(`AHCHAT_SELLERS[${i}] must be {"id": number|string, "token": non-empty string, "name": non-empty string}`);
    }
    if (seen.has(String(s.id))) throw new ConfigError(`AHCHAT_SELLERS[${i}]: duplicate id ${s.id}`);
    seen.add(String(s.id));
    return { id: s.id!, token: s.token, name: s.name };
  });
}


/** An integer variable with a default; the message names the variable and the range. */
const parseInteger = (name: string, raw: string | undefined, fallback: number, min: number, max?: number): number =>
  check.integerText(name, raw, fallback, min, max);

/** A switch variable: on for '1' or 'true'. */
const isOn = (raw: string | undefined): boolean => raw === '1' || raw === 'true';

function parseOrigins(raw: string | undefined): string[] | '*' | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  if (raw.trim() === '*') return '*';
  return raw.split(',').map((o) => o.trim()).filter(Boolean).map((origin) => check.origin('AHCHAT_ORIGINS', origin));
}

function parseUrl(name: string, raw: string | undefined, schemes: string[]): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!schemes.some((s) => raw.startsWith(`${s}://`))) throw new ConfigError(`${name} must start with ${schemes.map((s) => `${s}://`).join(' or ')}`);
  return raw;
}

function parseSchema(raw: string | undefined): string {
  if (raw === undefined || raw === '') return 'ahchat';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(raw)) check.fail('AHCHAT_DATABASE_SCHEMA', 'a lower-case SQL identifier', raw);
  return raw;
}


export function readConfig(env: NodeJS.ProcessEnv): ServerConfig {
  return {
    port: parseInteger('PORT', env.PORT, 8001, 0, 65535),
    sellers: parseSellers(env.AHCHAT_SELLERS),
    dataDir: env.AHCHAT_DB || DEFAULTS.dataDir,
    origins: parseOrigins(env.AHCHAT_ORIGINS),
    fsync: isOn(env.AHCHAT_FSYNC),
    databaseUrl: parseUrl('AHCHAT_DATABASE_URL', env.AHCHAT_DATABASE_URL, ['postgres', 'postgresql']),
    databaseSchema: parseSchema(env.AHCHAT_DATABASE_SCHEMA),
    databaseConnectTimeoutMs: parseInteger('AHCHAT_DATABASE_CONNECT_TIMEOUT_MS', env.AHCHAT_DATABASE_CONNECT_TIMEOUT_MS, 5000, 1),
    databaseQueryTimeoutMs: parseInteger('AHCHAT_DATABASE_QUERY_TIMEOUT_MS', env.AHCHAT_DATABASE_QUERY_TIMEOUT_MS, 10_000, 1),
    redisUrl: parseUrl('AHCHAT_REDIS_URL', env.AHCHAT_REDIS_URL, ['redis', 'rediss']),
    redisPrefix: env.AHCHAT_REDIS_PREFIX || 'ahchat:',
    presenceTtlMs: parseInteger('AHCHAT_PRESENCE_TTL_MS', env.AHCHAT_PRESENCE_TTL_MS, 15_000, 300),
    connectTimeoutMs: parseInteger('AHCHAT_CONNECT_TIMEOUT_MS', env.AHCHAT_CONNECT_TIMEOUT_MS, 10_000, 1),
    trustProxy: isOn(env.AHCHAT_TRUST_PROXY),
  };
}

/** The operator's settings beyond readConfig's: the bind host, metrics, and the plugin's and store's limits. */
export interface OperatorConfig {
  /** AHCHAT_HOST: address to bind. Default '0.0.0.0' (all IPv4 interfaces, as before). */
  host: string;
  /** AHCHAT_METRICS=1: Prometheus metrics at /ahchat/metrics. */
  metrics: boolean;
  /** AHCHAT_IDENTITY_SECRET: the secret signed identities (signIdentity) are checked with; unset, they are refused. */
  identitySecret: string | undefined;
  /** Plugin options from the AHCHAT_* limit variables (each defaulting as the plugin does). */
  plugin: Pick<AhChatOptions, 'rateLimit' | 'signUpRateLimit' | 'maxConnectionsPerIp' | 'maxTextLength' | 'maxPayload' | 'historyLimit' | 'chatListLimit' | 'authTimeout' | 'heartbeatInterval'>;
  /** AHCHAT_JOURNAL_LIMIT: lowdb journal bytes before compaction. */
  journalLimit: number;
}

function parseSecret(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw.length < MIN_SECRET_LENGTH) throw new ConfigError(`AHCHAT_IDENTITY_SECRET must be at least ${MIN_SECRET_LENGTH} characters (openssl rand -base64 32)`);
  return raw;
}

export function readOperatorConfig(env: NodeJS.ProcessEnv): OperatorConfig {
  const v = LIMIT_VARIABLES;
  const read = (variable: { name: string; fallback: number; min: number }) => parseInteger(variable.name, env[variable.name], variable.fallback, variable.min);
  const host = env.AHCHAT_HOST?.trim() || '0.0.0.0';
  if (/[\s/]/.test(host)) check.fail('AHCHAT_HOST', 'an address or host name like 0.0.0.0, ::, 127.0.0.1', env.AHCHAT_HOST);
  return {
    host,
    metrics: isOn(env.AHCHAT_METRICS),
    identitySecret: parseSecret(env.AHCHAT_IDENTITY_SECRET),
    plugin: {
      rateLimit: { frames: read(v.rateLimitFrames), intervalMs: read(v.rateLimitIntervalMs) },
      signUpRateLimit: { count: read(v.signUpCount), intervalMs: read(v.signUpIntervalMs) },
      maxConnectionsPerIp: read(v.maxConnectionsPerIp),
      maxTextLength: read(v.maxTextLength),
      maxPayload: read(v.maxPayload),
      historyLimit: read(v.historyLimit),
      chatListLimit: read(v.chatListLimit),
      authTimeout: read(v.authTimeoutMs),
      heartbeatInterval: read(v.heartbeatMs),
    },
    journalLimit: read(v.journalLimit),
  };
}
