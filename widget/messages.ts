/**
 * A chat's messages as the widget keeps them: confirmed ones by id, then the pending and failed
 * ones in the order they were written, and the rules that merge what the server sends into them
 * (resent, resumed and paged messages are never doubled). No DOM; tested in Node.
 */
import type { ErrorCode } from '../lib/wire/index.js';
import type { WireMessage } from '../lib/wire/index.js';
import type { PageContext } from '../lib/wire/index.js';

export interface ChatMessage {
  /** Stable render key: `c<clientId>` for own messages that have one, else `i<id>`. */
  key: string;
  /** Absent until the server confirmed it. */
  id?: number;
  text: string;
  /** Unix seconds: the server's date, or the local send time while pending. */
  date: number;
  my: boolean;
  clientId?: string;
  status: 'pending' | 'sent' | 'failed';
  error?: ErrorCode;
  /** Seller: the page the buyer wrote it from. */
  context?: PageContext;
}

export function toChatMessage(m: WireMessage): ChatMessage {
  return { ...m, key: m.my && m.clientId ? `c${m.clientId}` : `i${m.id}`, status: 'sent' };
}

/**
 * Adds confirmed messages to a list: a known id is kept once, an own message whose clientId matches a
 * pending one replaces it (a resend confirmed, or a confirmation that raced a resume).
 */
export function mergeMessages(existing: readonly ChatMessage[], incoming: readonly ChatMessage[]): ChatMessage[] {
  const byId = new Map<number, ChatMessage>();
  const confirmedClientIds = new Set<string>();
  for (const m of existing) if (m.id !== undefined) byId.set(m.id, m);
  for (const m of incoming) if (m.id !== undefined && !byId.has(m.id)) byId.set(m.id, m);
  for (const m of byId.values()) if (m.my && m.clientId) confirmedClientIds.add(m.clientId);
  const confirmed = [...byId.values()].sort((a, b) => (a.id as number) - (b.id as number));
  const unconfirmed = existing.filter((m) => m.id === undefined && !(m.clientId && confirmedClientIds.has(m.clientId)));
  return confirmed.concat(unconfirmed);
}

/** Id of the newest confirmed message from the other side, 0 when none. */
export function lastIncomingId(chat: { messages: readonly ChatMessage[] }): number {
  return [...chat.messages].reverse().find((m) => !m.my && m.id !== undefined)?.id ?? 0;
}

/** Id of the oldest confirmed message, for paging back; undefined when none. */
export function firstId(chat: { messages: readonly ChatMessage[] }): number | undefined {
  return chat.messages.find((m) => m.id !== undefined)?.id;
}
