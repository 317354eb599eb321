/**
 * lib/options.ts on its own: resolveOptions validates every option once, with a TypeError that
 * names the option, what it must be and what it got, and fills in the documented defaults.
 */
import { describe, expect, it } from 'vitest';
import { localBus } from '../lib/bus/local-bus.js';
import { type AhChatOptions, DEFAULTS, resolveOptions } from '../lib/options.js';
import { memoryStore } from '../lib/store/memory-store.js';
import { silentLogger, testSellers } from './helpers/chat-server.js';

const base: AhChatOptions = { ...testSellers, logger: silentLogger };
const resolve = (options: Partial<AhChatOptions> | Record<string, unknown>) => resolveOptions({ ...base, ...options } as AhChatOptions);
const refusal = (options: Partial<AhChatOptions> | Record<string, unknown>): string => {
  try {
    resolve(options);
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError);
    return (error as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(options)}`);
};

describe('resolveOptions', () => {
  it('needs an object and an authSeller function: there is no permissive default', () => {
    expect(() => resolveOptions(null as never)).toThrow(new TypeError('ahChat: option "options" must be an object, got null'));
    expect(() => resolveOptions({} as AhChatOptions)).toThrow(
      new TypeError('ahChat: option "authSeller" must be a function ({id, token}) => Promise<{id, name} | null> (there is no permissive default), got undefined'),
    );
  });

  it('fills in every documented default', () => {
    const resolved = resolve({});
    // dataDir is the default store's directory, not an option of the plugin's own.
    const { extraSocketPaths, contextImageOrigins, rateLimit, signUpRateLimit, sellerSignInLimit, dataDir, ...scalars } = DEFAULTS;
    expect(dataDir).toBe('./ahchat-data');
    expect(resolved).toMatchObject(scalars);
    expect(resolved.extraSocketPaths).toEqual(extraSocketPaths);
    expect(resolved.rateLimit).toEqual(rateLimit);
    expect(resolved.signUpRateLimit).toEqual(signUpRateLimit);
    expect(resolved.sellerSignInLimit).toEqual(sellerSignInLimit);
    expect(resolved.origins).toBe('same-origin');
    expect(resolved.metrics).toBeUndefined();
  });

  it.each([
    ['maxTextLength', 0, 'a positive integer', '0'],
    ['maxTextLength', 1.5, 'a positive integer', '1.5'],
    ['authTimeout', '1000', 'a positive integer', '"1000"'],
    ['heartbeatInterval', -1, 'a positive integer', '-1'],
    ['requireOnline', 'yes', 'a boolean', '"yes"'],
    ['trustProxy', 1, 'a boolean', '1'],
    ['findSeller', 'shop', 'a function', '"shop"'],
    ['beforeMessage', {}, 'a function', '{}'],
    ['path', 'ahchat', "a path starting with '/'", '"ahchat"'],
    ['path', '/chat room', "a path starting with '/'", '"/chat room"'],
    ['extraSocketPaths', '/old', 'an array of paths', '"/old"'],
    ['rateLimit', 20, 'an object {frames, intervalMs}', '20'],
    ['metrics', 'yes', 'a boolean or an object { registry?, prefix? }', '"yes"'],
  ])('%s = %j: must be %s', (name, value, expected, shown) => {
    expect(refusal({ [name]: value })).toBe(`ahChat: option "${name}" must be ${expected}, got ${shown}`);
  });

  it('names the field inside an object option, and the item inside a list', () => {
    expect(refusal({ rateLimit: { frames: 0 } })).toBe('ahChat: option "rateLimit.frames" must be a positive integer, got 0');
    expect(refusal({ signUpRateLimit: { intervalMs: 'x' } })).toBe('ahChat: option "signUpRateLimit.intervalMs" must be a positive integer, got "x"');
    expect(refusal({ extraSocketPaths: ['/ok', 'bad'] })).toBe('ahChat: option "extraSocketPaths[1]" must be a path starting with \'/\', got "bad"');
    expect(refusal({ origins: ['https://shop.example', 7] })).toBe('ahChat: option "origins[1]" must be an origin like \'https://shop.example\', got 7');
    expect(refusal({ metrics: { prefix: '1bad' } })).toBe('ahChat: option "metrics.prefix" must be a metric name prefix like "ahchat_", got "1bad"');
  });

  it('says which methods a store, bus or logger lacks', () => {
    const { close: _close, ...storeWithoutClose } = memoryStore();
    expect(refusal({ store: storeWithoutClose })).toMatch(/^ahChat: option "store" must be an object with methods createBuyer, .*close, got one without close$/);
    const { ping: _ping, isOnline: _isOnline, ...busWithoutIsOnline } = localBus();
    expect(refusal({ bus: busWithoutIsOnline })).toBe(
      'ahChat: option "bus" must be an object with methods start, publish, join, leave, isOnline, close, got one without isOnline',
    );
    expect(refusal({ logger: { info() {}, warn() {} } })).toBe('ahChat: option "logger" must be an object with methods info, warn, error, got one without error');
    expect(refusal({ server: { listen() {} } })).toBe('ahChat: option "server" must be an object with methods on, listen, got one without on');
    // Not an object at all: the value is shown, not a list of every method.
    expect(refusal({ server: 3 })).toBe('ahChat: option "server" must be an object with methods on, listen, got 3');
    expect(refusal({ bus: null })).toMatch(/^ahChat: option "bus" must be an object with methods start, .*, got null$/);
  });

  it('refuses identified buyers on a store without the identity methods', () => {
    const store = memoryStore();
    const bare = { ...store, findBuyerByExternalId: undefined, upsertBuyer: undefined };
    expect(refusal({ store: bare, identifyBuyer: async () => null })).toBe(
      'ahChat: option "store" must be a store with findBuyerByExternalId, upsertBuyer (identifyBuyer/identitySecret need them), got one without findBuyerByExternalId, upsertBuyer',
    );
    expect(resolve({ store, identifyBuyer: async () => null }).store).toBe(store);
  });

  it('normalises what it accepts: paths lose trailing slashes, budgets keep the defaults of fields not given, metrics true is {}', () => {
    const resolved = resolve({ path: '/chat/', extraSocketPaths: ['/old//'], rateLimit: { frames: 5 } as never, metrics: true });
    expect(resolved.path).toBe('/chat');
    expect(resolved.extraSocketPaths).toEqual(['/old']);
    expect(resolved.rateLimit).toEqual({ frames: 5, intervalMs: DEFAULTS.rateLimit.intervalMs });
    expect(resolved.metrics).toEqual({});
    expect(resolve({ path: '/' }).path).toBe('/');
  });

  it('calls the host logger’s methods on the logger itself (pino reads its own state through this)', () => {
    const seen: string[] = [];
    const logger = {
      prefix: 'host',
      info(this: { prefix: string }, m: string) {
        seen.push(`${this.prefix}:${m}`);
      },
      warn() {},
      error() {},
    };
    const { info } = resolve({ logger }).logger;
    info('hello');
    expect(seen).toEqual(['host:hello']);
  });
});
