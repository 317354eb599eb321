/**
 * The demo's sellers. A real shop checks its own user table; what AH Chat needs is the two
 * functions below (see the README's authSeller / findSeller).
 */
import { timingSafeEqual, createHash } from 'node:crypto';

export const SELLERS = [
  { id: 10, name: 'Green Leaf Tea', token: 'iofh3498hwe' },
  { id: 11, name: 'Clay & Kiln', token: 'demo-token-11' },
];

const digest = (text) => createHash('sha256').update(String(text)).digest();

/** Seller sign-in: id and token must match; tokens are compared in constant time. */
export async function authSeller({ id, token }) {
  const seller = SELLERS.find((s) => String(s.id) === String(id));
  if (!seller || !timingSafeEqual(digest(seller.token), digest(token))) return null;
  return { id: seller.id, name: seller.name };
}

/** Which sellers buyers may write to. */
export async function findSeller(id) {
  const seller = SELLERS.find((s) => String(s.id) === String(id));
  return seller ? { id: seller.id, name: seller.name } : null;
}
