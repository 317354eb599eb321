/**
 * The Redis bus's stream entries. Each carries its writer, an epoch (one per connected spell: a new
 * one after each recovery) and a number within it, so that a reader notices entries it never got
 * (trimmed away while it lagged) without asking Redis. Numbered as written, so kept events replayed
 * after an outage start a new epoch rather than look like a gap.
 */
import type { HubEvent } from './bus.js';

interface Stamp {
  instance?: string;
  epoch?: number;
  seq?: number;
}

export class StreamEntries {
  #epoch = 0;
  #seq = 0;
  /** Per writer, the epoch and number of the last entry read. */
  readonly #lastRead = new Map<string, { epoch: number; seq: number }>();

  constructor(readonly instance: string) {}

  /** Starts a new epoch: what follows is numbered afresh. */
  newEpoch(): void {
    this.#epoch++;
    this.#seq = 0;
  }

  encode(event: HubEvent): string {
    return JSON.stringify({ ...event, instance: this.instance, epoch: this.#epoch, seq: ++this.#seq });
  }

  /**
   * The event of an entry another instance wrote, or null for our own and for what is not ours;
   * `gap` when entries of that writer went missing before this one.
   */
  decode(fields: string[]): { event: HubEvent; gap: boolean } | null {
    const text = fields[1];
    if (text === undefined) return null;
    let event: HubEvent & Stamp;
    try {
      event = JSON.parse(text) as HubEvent & Stamp;
    } catch {
      return null; // Not ours: someone else wrote to our stream.
    }
    const { instance, epoch, seq } = event;
    if (instance === this.instance) return null;
    let gap = false;
    if (instance !== undefined && typeof epoch === 'number' && typeof seq === 'number') {
      const last = this.#lastRead.get(instance);
      if (last && last.epoch === epoch && seq > last.seq + 1) gap = true;
      this.#lastRead.set(instance, { epoch, seq });
    }
    delete event.instance;
    delete event.epoch;
    delete event.seq;
    return { event, gap };
  }
}

/** Stream entry ids ("ms-seq") in order. */
export function compareIds(a: string, b: string): number {
  const [am = 0n, as = 0n] = a.split('-').map(BigInt);
  const [bm = 0n, bs = 0n] = b.split('-').map(BigInt);
  return am === bm ? (as === bs ? 0 : as < bs ? -1 : 1) : am < bm ? -1 : 1;
}
