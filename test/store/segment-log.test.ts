import type { Adapter } from 'lowdb';
import { describe, expect, it } from 'vitest';
import { SegmentLog } from '../../lib/store/segment-log.js';

interface Rec {
  id: number;
}

/** An adapter whose writes finish (or fail) only when the test says so. */
class HeldAdapter implements Adapter<Rec[]> {
  writes: { ids: number[]; finish: () => void; fail: (error: Error) => void }[] = [];
  async read(): Promise<Rec[] | null> {
    return null;
  }
  write(data: Rec[]): Promise<void> {
    return new Promise((resolve, reject) => this.writes.push({ ids: data.map((r) => r.id), finish: resolve, fail: reject }));
  }
}

function makeLog(segmentSize: number) {
  const adapters = new Map<string, HeldAdapter>();
  const pending = new Set<Promise<void>>();
  const log = new SegmentLog<Rec>([], {
    fileOf: (no) => `seg-${no}`,
    adapter: (file) => {
      const adapter = new HeldAdapter();
      adapters.set(file, adapter);
      return adapter;
    },
    segmentSize,
    pending,
  });
  return { log, adapters, pending };
}

/** Lets every already-resolved promise callback run. */
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('SegmentLog', () => {
  it('does not write a new segment before the end of the previous one is on disk', async () => {
    const { log, adapters } = makeLog(2);
    const a = log.append({ id: 1 });
    const b = log.append({ id: 2 });
    const c = log.append({ id: 3 });
    await flush();
    const seg0 = adapters.get('seg-0')!;
    const seg1 = adapters.get('seg-1')!;
    expect(seg0.writes.map((w) => w.ids)).toEqual([[1], [1, 2]]);
    expect(seg1.writes).toEqual([]);

    seg0.writes[0]!.finish();
    await flush();
    expect(seg1.writes).toEqual([]);
    seg0.writes[1]!.finish();
    await Promise.all([a, b]);
    await flush();
    expect(seg1.writes.map((w) => w.ids)).toEqual([[3]]);
    seg1.writes[0]!.finish();
    await c;
    expect(log.ensureDurable(3)).toBeNull();
  });

  it('ensureDurable joins the write in flight, and writes again after a failed one', async () => {
    const { log, adapters, pending } = makeLog(10);
    const append = log.append({ id: 1 });
    const seg0 = adapters.get('seg-0')!;
    const joined = log.ensureDurable(1);
    expect(joined).not.toBeNull();
    expect(seg0.writes).toHaveLength(1);

    seg0.writes[0]!.fail(new Error('disk full'));
    await expect(append).rejects.toThrow('disk full');
    await flush();
    expect(seg0.writes.map((w) => w.ids)).toEqual([[1], [1]]);
    seg0.writes[1]!.finish();
    await joined;
    expect(log.ensureDurable(1)).toBeNull();
    expect(pending.size).toBe(0);
  });

  it('rejects an id that is not the next one', () => {
    const { log } = makeLog(10);
    expect(() => log.append({ id: 2 })).toThrow('SegmentLog: expected id 1, got 2');
  });
});
