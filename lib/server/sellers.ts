/** authSeller/findSeller over a fixed list of sellers (the standalone server's AHCHAT_SELLERS). */
import type { AuthSeller, FindSeller } from '../options.js';
import { secretsEqual } from '../chat/tokens.js';
import type { SellerRecord } from './config.js';

/** Seller tokens shorter than this draw a warning at start: at a few guesses a second, short ones still fall. */
export const MIN_TOKEN_LENGTH = 16;

/** The ids of sellers whose token is shorter than MIN_TOKEN_LENGTH characters. */
export function shortTokenSellers(list: readonly SellerRecord[]): Array<number | string> {
  return list.filter((s) => [...s.token].length < MIN_TOKEN_LENGTH).map((s) => s.id);
}

export function sellersFromList(list: readonly SellerRecord[]): { authSeller: AuthSeller; findSeller: FindSeller } {
  const byId = new Map(list.map((s) => [String(s.id), s]));
  return {
    async authSeller({ id, token }) {
      const seller = byId.get(String(id));
      // Compare even when the id is unknown, so timing does not tell which ids exist.
      const ok = secretsEqual(token, seller?.token ?? '\0no-seller');
      return seller && ok ? { id: seller.id, name: seller.name } : null;
    },
    async findSeller(id) {
      const seller = byId.get(String(id));
      return seller ? { id: seller.id, name: seller.name } : null;
    },
  };
}
