/**
 * Signed identities (a chat server on another origin): minted by the host's server with
 * signIdentity, checked at auth. Valid ones sign in; expired, tampered, wrong-secret, other-side,
 * unsigned and too-long-lived ones get IDENTITY_INVALID, never an anonymous sign-in.
 */
import { SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { ahChat } from '../lib/ah-chat.js';
import { signIdentity, verifyIdentity } from '../lib/chat/identity.js';
import { PROTOCOL, testSellers, useChatServer } from './helpers/chat-server.js';
import { TestClient } from './helpers/client.js';

const SECRET = 'a-secret-of-at-least-thirty-two-chars!';
const OTHER = 'another-secret-of-thirty-two-chars-too';

/** A token as a careless or hostile minter would make it: any claims, any times. */
function rawToken(claims: Record<string, unknown>, secret = SECRET, { iat, exp, aud = 'ahchat:buyer' }: { iat: number; exp: number; aud?: string }) {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('cust-1').setAudience(aud).setIssuedAt(iat).setExpirationTime(exp).sign(new TextEncoder().encode(secret));
}
const now = () => Math.floor(Date.now() / 1000);

describe('signed identity', () => {
  const server = useChatServer({ identitySecret: SECRET });
  const connect = async () => server.track(await TestClient.connect(server.url));

  it('signs a buyer in as the host’s customer: no token, the same chat from any socket', async () => {
    const identity = await signIdentity({ id: 'cust-1', name: 'Ann', email: 'ann@example.com' }, SECRET);
    const first = await (await connect()).request('auth', { sellerId: 10, identity, protocol: PROTOCOL });
    expect(first.error).toBeUndefined();
    expect(first.data).toMatchObject({ name: 'Ann', identified: true });
    expect(first.data.token).toBeUndefined();
    const fresh = await signIdentity({ id: 'cust-1', name: 'Ann' }, SECRET);
    const second = await (await connect()).request('auth', { sellerId: 10, identity: fresh, protocol: PROTOCOL });
    expect(second.data.chatId).toBe(first.data.chatId);
    expect(await server.running.chat.store.findBuyerByExternalId!('cust-1')).toMatchObject({ name: 'Ann', email: 'ann@example.com' });
  });

  it('signs a seller in with a seller identity and no sellerId; a buyer’s identity is no seller’s', async () => {
    const seller = await signIdentity({ id: 10, name: 'Shop Ten' }, SECRET, { side: 'seller' });
    const auth = await (await connect()).request('auth', { identity: seller, protocol: PROTOCOL });
    expect(auth.data).toMatchObject({ name: 'Shop Ten', chats: [] });
    const buyer = await signIdentity({ id: 10, name: 'Shop Ten' }, SECRET);
    expect(await (await connect()).request('auth', { identity: buyer })).toEqual({ command: 'auth', error: 'IDENTITY_INVALID', data: { reason: 'invalid' } });
    // Nor is a seller's a buyer's.
    expect((await (await connect()).request('auth', { sellerId: 10, identity: seller })).error).toBe('IDENTITY_INVALID');
  });

  it('refuses an expired identity (reason expired), also when replayed after exp', async () => {
    const expired = await rawToken({ name: 'Ann' }, SECRET, { iat: now() - 600, exp: now() - 60 });
    const client = await connect();
    expect(await client.request('auth', { sellerId: 10, identity: expired })).toEqual({ command: 'auth', error: 'IDENTITY_INVALID', data: { reason: 'expired' } });
    // Refused, not signed in anonymously: the socket may try again with something valid.
    const valid = await signIdentity({ id: 'cust-1', name: 'Ann' }, SECRET);
    expect((await client.request('auth', { sellerId: 10, identity: valid })).error).toBeUndefined();
  });

  it('refuses a tampered identity, one signed with another secret, an unsigned one and one living longer than a day', async () => {
    const valid = await signIdentity({ id: 'cust-1', name: 'Ann' }, SECRET);
    const [header, payload, signature] = valid.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'cust-2' })).toString('base64url');
    const candidates = [
      `${header}.${forged}.${signature}`,
      await signIdentity({ id: 'cust-1', name: 'Ann' }, OTHER),
      new UnsecuredJWT({ name: 'Ann' }).setSubject('cust-1').setAudience('ahchat:buyer').setIssuedAt().setExpirationTime('5m').encode(),
      await rawToken({ name: 'Ann' }, SECRET, { iat: now(), exp: now() + 2 * 86400 }),
      await rawToken({ name: '' }, SECRET, { iat: now(), exp: now() + 60 }),
      'not a token at all',
    ];
    for (const identity of candidates) {
      expect(await (await connect()).request('auth', { sellerId: 10, identity, protocol: PROTOCOL })).toEqual({
        command: 'auth',
        error: 'IDENTITY_INVALID',
        data: { reason: 'invalid' },
      });
    }
    expect(await server.running.chat.store.findBuyerByExternalId!('cust-2')).toBeNull();
  });

  it('is refused by a server without identitySecret', async () => {
    await server.restart({ identitySecret: undefined });
    const identity = await signIdentity({ id: 'cust-1', name: 'Ann' }, SECRET);
    expect((await (await connect()).request('auth', { sellerId: 10, identity })).error).toBe('IDENTITY_INVALID');
  });
});

describe('signIdentity and the option', () => {
  it('checks what it signs, and the secret’s length', async () => {
    await expect(signIdentity({ id: 1, name: 'Ann' }, 'short')).rejects.toThrow('signIdentity: secret must be a string of at least 32 characters');
    await expect(signIdentity({ id: 1, name: ' ' }, SECRET)).rejects.toThrow('signIdentity: name must be 1–100 characters');
    await expect(signIdentity({ id: 1, name: 'Ann', email: 'not-an-address' }, SECRET)).rejects.toThrow('signIdentity: email is not an e-mail address');
    await expect(signIdentity({ id: 1, name: 'Ann' }, SECRET, { expiresIn: 90_000 })).rejects.toThrow('signIdentity: options.expiresIn');
    expect(() => ahChat({ ...testSellers, identitySecret: 'short' })).toThrow('ahChat: option "identitySecret" must be a string of at least 32 characters');
  });

  it('round-trips id, name and e-mail; the id always comes back as a string', async () => {
    const token = await signIdentity({ id: 42, name: 'Ann', email: 'ann@example.com' }, SECRET, { expiresIn: 60 });
    expect(await verifyIdentity(token, SECRET, 'buyer')).toEqual({ id: '42', name: 'Ann', email: 'ann@example.com' });
  });
});
