import type { SellerKey, Side } from './store/store.js';

/** Who a socket is signed in as. */
export type Session =
  | { side: 'seller'; sellerId: SellerKey; name: string }
  | { side: 'buyer'; sellerId: SellerKey; chatId: number; buyerId: number; name: string };

export const otherSide = (side: Side): Side => (side === 'buyer' ? 'seller' : 'buyer');
