/** authSeller/findSeller over a fixed list of sellers (the standalone server's AHCHAT_SELLERS). */
import type { AuthSeller, FindSeller } from '../options.js';
import { secretsEqual } from '../tokens.js';
import type { SellerRecord } from './config.js';

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
