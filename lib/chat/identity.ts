/**
 * Who the host says someone is: its own signed-in customers and sellers, either from its session
 * (identifyBuyer / identifySeller, same origin) or from a signed identity its server minted
 * (signIdentity, for a chat server on another origin).
 *
 * Signed identities are JWTs (HS256) made and checked with `jose`: a small, dependency-free,
 * widely used implementation that pins the algorithm (no "alg: none", no key confusion), checks
 * `exp`/`iat`/`aud` with a clock tolerance, and compares signatures in constant time — the parts
 * that hand-written HMAC code gets wrong. JWT also lets a host in any language mint one.
 */
import type { IncomingMessage } from 'node:http';
import { errors, jwtVerify, SignJWT } from 'jose';
import type { HostIdentity } from '../options.js';
import { checkSecret, isEmail, isName } from '../wire/index.js';


export type IdentitySide = 'buyer' | 'seller';

/** Which side an identity signs in: a buyer's can never sign in a seller, nor the other way. */
const audience = (side: IdentitySide): string => `ahchat:${side}`;

/** Longest lifetime an identity may claim (exp − iat): they are meant to be short-lived. */
const MAX_LIFETIME_S = 24 * 60 * 60;
/** Clocks of the minting and the checking server may differ this much. */
const CLOCK_TOLERANCE_S = 30;
const MAX_EXTERNAL_ID = 128;

export interface SignIdentityOptions {
  /** Seconds until it expires. Default 300 (5 minutes); at most 86400. */
  expiresIn?: number;
  /** 'seller' mints a seller's identity (auth without sellerId). Default 'buyer'. */
  side?: IdentitySide;
}

/**
 * Mints a signed identity for the widget's `identity` option, on the host's server (never in the
 * browser: whoever holds the secret can be anyone). Throws a TypeError for a bad identity or secret.
 */
export async function signIdentity(identity: HostIdentity, secret: string, options: SignIdentityOptions = {}): Promise<string> {
  checkSecret('signIdentity: secret', secret);
  const { expiresIn = 300, side = 'buyer' } = options;
  if (!Number.isSafeInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_LIFETIME_S) {
    throw new TypeError(`signIdentity: options.expiresIn must be whole seconds from 1 to ${MAX_LIFETIME_S}, got ${JSON.stringify(expiresIn)}`);
  }
  if (side !== 'buyer' && side !== 'seller') throw new TypeError(`signIdentity: options.side must be 'buyer' or 'seller', got ${JSON.stringify(side)}`);
  const checked = checkIdentity(identity, side === 'buyer', 'signIdentity');
  const claims: Record<string, string> = { name: checked.name };
  if (checked.email !== undefined) claims.email = checked.email;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(checked.id)
    .setAudience(audience(side))
    .setIssuedAt(now)
    .setExpirationTime(now + expiresIn)
    .sign(keyOf(secret));
}

/** A checked identity: the id as the string we store. */
export interface VerifiedIdentity {
  id: string;
  name: string;
  email?: string;
}

/** Why a signed identity was refused (IDENTITY_INVALID's data.reason). */
export type IdentityFault = 'expired' | 'invalid';

export class IdentityRefused extends Error {
  constructor(readonly reason: IdentityFault) {
    super(`identity ${reason}`);
    this.name = 'IdentityRefused';
  }
}

/**
 * Checks a signed identity for `side`: signature (HS256 with this secret only), audience, `exp`
 * (with 30 s tolerance), a lifetime of at most a day, and the claims' shapes. Throws IdentityRefused.
 */
export async function verifyIdentity(token: string, secret: string, side: IdentitySide): Promise<VerifiedIdentity> {
  let payload;
  try {
    ({ payload } = await jwtVerify(token, keyOf(secret), {
      algorithms: ['HS256'],
      audience: audience(side),
      requiredClaims: ['sub', 'exp', 'iat'],
      clockTolerance: CLOCK_TOLERANCE_S,
      maxTokenAge: MAX_LIFETIME_S,
    }));
  } catch (error) {
    throw new IdentityRefused(error instanceof errors.JWTExpired ? 'expired' : 'invalid');
  }
  if (typeof payload.exp === 'number' && typeof payload.iat === 'number' && payload.exp - payload.iat > MAX_LIFETIME_S) {
    throw new IdentityRefused('invalid');
  }
  try {
    return checkIdentity({ id: payload.sub!, name: payload.name as string, email: payload.email as string | undefined }, side === 'buyer', 'identity');
  } catch {
    throw new IdentityRefused('invalid');
  }
}

/**
 * What a host hook answered, checked: `{ id, name, email? }`. A wrong shape is the host's bug, so it
 * throws an Error naming the hook and the field (never the value: it may be personal data).
 */
export function checkIdentity(value: unknown, withEmail: boolean, hook: string): VerifiedIdentity {
  const v = value as Partial<HostIdentity> | null;
  if (typeof v !== 'object' || v === null) throw new TypeError(`${hook} must give {id, name${withEmail ? ', email?' : ''}} or null`);
  const idOk =
    (typeof v.id === 'string' && v.id.length > 0 && v.id.length <= MAX_EXTERNAL_ID && !v.id.includes('\0')) ||
    (Number.isSafeInteger(v.id) && (v.id as number) >= 0);
  if (!idOk) throw new TypeError(`${hook}: id must be a string of 1–${MAX_EXTERNAL_ID} characters or an integer`);
  if (!isName(v.name)) throw new TypeError(`${hook}: name must be 1–100 characters with something visible`);
  const identity: VerifiedIdentity = { id: String(v.id), name: v.name.trim() };
  if (withEmail && v.email !== undefined && v.email !== null) {
    if (!isEmail(v.email)) throw new TypeError(`${hook}: email is not an e-mail address`);
    identity.email = v.email;
  }
  return identity;
}


const keyOf = (secret: string): Uint8Array => new TextEncoder().encode(secret);
