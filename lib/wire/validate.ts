/**
 * The shared checks: one rule per kind of value, used by frame parsing (parse.ts), the plugin's
 * options (lib/options.ts) and the standalone server's config. Pure; no I/O.
 */
import { MAX_COMBINING_RUN, MAX_EMAIL, MAX_NAME } from './limits.js';
import type { WireSellerId } from './requests.js';

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An id we hand out (chat, message, buyer, reply): a positive safe integer. */
export function isId(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0;
}

// NUL is refused in every string: no person types it, and PostgreSQL cannot store it in text. A lone
// UTF-16 surrogate is no character at all: PostgreSQL would store it as U+FFFD, so two clientIds that
// differ only there would collide.
const LONE_SURROGATE = /\p{Cs}/u;
export const isString = (v: unknown): v is string => typeof v === 'string' && !v.includes('\0') && !LONE_SURROGATE.test(v);

/**
 * Characters that show nothing on their own: white space, controls, format characters (zero-width
 * ones, bidi controls), default-ignorable ones (fillers, variation selectors), combining marks and the
 * blank braille pattern. A name or text made only of these would show as a blank entry or bubble.
 */
const INVISIBLE = /^[\s\p{Cc}\p{Cf}\p{M}\p{Default_Ignorable_Code_Point}\u2800]*$/u;
const COMBINING_RUN = new RegExp(`\\p{M}{${MAX_COMBINING_RUN + 1}}`, 'u');

/** Whether a person would see anything of `text`. */
export const hasVisible = (text: string): boolean => !INVISIBLE.test(text);

/** A name or text that people read: well-formed (isString) and without a run of combining marks over the cap. */
export const isReadable = (v: unknown): v is string => isString(v) && !COMBINING_RUN.test(v);
export const isSellerId = (v: unknown): v is WireSellerId =>
  (isString(v) && v.length > 0 && v.length <= 64) || isId(v);

export const isProtocol = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1;

/**
 * An e-mail address as a person types it: one @, something on each side, a dot in the domain, no
 * white space, controls, quotes or angle brackets (nothing that could start markup or a header).
 */
const EMAIL = /^[^\s@<>"'`()\[\]\\,;:\p{Cc}\p{Cf}]+@[^\s@<>"'`()\[\]\\,;:\p{Cc}\p{Cf}]+\.[^\s@<>"'`()\[\]\\,;:\p{Cc}\p{Cf}.]+$/u;
export const isEmail = (v: unknown): v is string => isString(v) && v.length <= MAX_EMAIL && EMAIL.test(v);

/** A name people read: readable, with something visible, at most MAX_NAME characters. */
export const isName = (v: unknown): v is string => isReadable(v) && v.length <= MAX_NAME && hasVisible(v);

/**
 * A configured origin as a browser serialises it in the Origin header (scheme and host lower-case,
 * the scheme's default port dropped, no trailing slash), or an Error saying why no browser's Origin
 * could ever equal it. Only http and https pages open sockets that carry a usable Origin.
 */
export function normalizeOrigin(raw: string): string | Error {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return new Error('is not an origin like https://shop.example');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return new Error('must start with http:// or https://');
  if (url.username || url.password) return new Error('must not carry a user name or password');
  if (!/^https?:\/\/[^/?#]+\/?$/i.test(raw.trim())) return new Error('must be scheme and host only (no path, query or fragment)');
  // WHATWG URLs accept '*' in a host, but no browser sends one: patterns need a predicate.
  if (!/^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*\.?|\[[0-9a-f:.]+\])$/.test(url.hostname)) {
    return new Error("has a host no browser sends (for patterns such as subdomains give a predicate (origin) => boolean)");
  }
  return url.origin;
}

/** Shortest secret accepted: HS256 needs a key of at least 256 bits. */
export const MIN_SECRET_LENGTH = 32;

export function checkSecret(name: string, secret: unknown): void {
  if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
    throw new TypeError(`${name} must be a string of at least ${MIN_SECRET_LENGTH} characters (e.g. openssl rand -base64 32)`);
  }
}

// ---- settings: the plugin's options, the standalone server's environment ----

const inRange = (value: number, min: number, max?: number): boolean => value >= min && (max === undefined || value <= max);

/** How an error message names the integers from `min` (to `max`). */
const integerWords = (min: number, max?: number): string =>
  max !== undefined ? `an integer from ${min} to ${max}` : min === 1 ? 'a positive integer' : `an integer of at least ${min}`;

/** A value as an error message shows it. */
export function shown(value: unknown): string {
  return typeof value === 'function' ? 'a function' : JSON.stringify(value) ?? String(value);
}

/**
 * Checks of settings that throw naming the setting: `<label> must be <expected>, got <value>`.
 * `label` names a setting as its reader knows it (`ahChat: option "path"`, or a variable's own
 * name); `Failure` is what is thrown (TypeError for options, the server's ConfigError), and
 * `RangeFailure` for a number out of range (the adapters throw RangeError there, as ws does).
 */
export class SettingChecks {
  constructor(
    private readonly label: (name: string) => string,
    private readonly Failure: new (message: string) => Error = TypeError,
    private readonly RangeFailure: new (message: string) => Error = Failure,
  ) {}

  fail(name: string, expected: string, value: unknown): never {
    this.refuse(name, expected, shown(value));
  }

  /** As fail(), with `got` said in words rather than shown as a value. */
  refuse(name: string, expected: string, got: string): never {
    throw new this.Failure(`${this.label(name)} must be ${expected}, got ${got}`);
  }

  /** An error about a setting whose message is its own (`<label>: <what>`). */
  failWith(name: string, what: string): never {
    throw new this.Failure(`${this.label(name)}: ${what}`);
  }

  /** A number from `min` (to `max`), integer, or the fallback when not given; `what` says it in the error. */
  integer(name: string, value: unknown, fallback: number, min: number, max?: number, what = integerWords(min, max)): number {
    if (value === undefined) return fallback;
    if (!Number.isSafeInteger(value) || !inRange(value as number, min, max)) {
      throw new this.RangeFailure(`${this.label(name)} must be ${what}, got ${shown(value)}`);
    }
    return value as number;
  }

  positiveInt(name: string, value: unknown, fallback: number, what?: string): number {
    return this.integer(name, value, fallback, 1, undefined, what);
  }

  /** An object of positive integers (a rate budget), each field defaulting on its own. */
  positiveInts<T extends Record<string, number>>(name: string, value: unknown, defaults: T): { [K in keyof T]: number } {
    if (value === undefined) return { ...defaults };
    const keys = Object.keys(defaults);
    if (typeof value !== 'object' || value === null) this.fail(name, `an object {${keys.join(', ')}}`, value);
    const given = value as Record<string, unknown>;
    return Object.fromEntries(keys.map((key) => [key, this.positiveInt(`${name}.${key}`, given[key], defaults[key]!)])) as { [K in keyof T]: number };
  }

  /** An integer written as text (an environment variable), from `min` (to `max`); empty: the fallback. */
  integerText(name: string, raw: string | undefined, fallback: number, min: number, max?: number): number {
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (Number.isInteger(value) && inRange(value, min, max)) return value;
    // The text as it was given: 'abc' is shown as "abc", not as the NaN it became.
    this.fail(name, integerWords(min, max), raw);
  }

  bool(name: string, value: unknown, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') this.fail(name, 'a boolean', value);
    return value;
  }

  /** An optional function. */
  optionalFunction(name: string, value: unknown): void {
    if (value !== undefined && typeof value !== 'function') this.fail(name, 'a function', value);
  }

  /** An object with these methods (a store, a bus, a logger…). */
  methods(name: string, value: unknown, methods: readonly string[]): void {
    const expected = `an object with methods ${methods.join(', ')}`;
    // Not an object: say what it is; an object: say which methods it lacks.
    if (typeof value !== 'object' || value === null) this.fail(name, expected, value);
    const missing = methods.filter((m) => typeof (value as Record<string, unknown>)[m] !== 'function');
    if (missing.length > 0) this.refuse(name, expected, `one without ${missing.join(', ')}`);
  }

  /** One configured origin, normalised as a browser sends it. */
  origin(name: string, value: unknown): string {
    const origin = typeof value === 'string' ? normalizeOrigin(value) : new Error('is not a string');
    if (origin instanceof Error) this.failWith(name, `${JSON.stringify(value)} ${origin.message}`);
    return origin;
  }
}
