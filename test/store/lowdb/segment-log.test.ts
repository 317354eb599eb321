import type { Adapter } from 'lowdb';
import { describe, expect, it } from 'vitest';
import { SegmentLog } from '../../../lib/store/lowdb/segment-log.js';

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

/** A log over `records` (the store's memory), with segments of `segmentSize`, `sizes` already on disk. */
function makeLog(segmentSize: number, sizes: number[] = []) {
  const records: Rec[] = [];
  for (const size of sizes) for (let i = 0; i < size; i++) records.push({ id: records.length + 1 });
  const adapters = new Map<string, HeldAdapter>();
  const log = new SegmentLog<Rec>(sizes, {
    fileOf: (no) => `seg-${no}`,
    adapter: (file) => {
      const adapter = new HeldAdapter();
      adapters.set(file, adapter);
      return adapter;
    },
    segmentSize,
    records: (start, end) => records.slice(start, end),
  });
  const add = (n: number) => {
    for (let i = 0; i < n; i++) {
      records.push({ id: records.length + 1 });
      log.add();
    }
  };
  /** Each write asked for so far, as [file, ids]. */
  const writes = () => [...adapters].flatMap(([file, adapter]) => adapter.writes.map((w) => [file, w.ids] as const));
  return { log, adapters, add, writes };
}

/** Lets every already-resolved promise callback run. */
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('SegmentLog', () => {
  it('starts a new segment every segmentSize records, and writes each dirty one once with its records', async () => {
    const { log, adapters, add, writes } = makeLog(2);
    add(5);
    expect(log.length).toBe(5);
    const dirty = log.takeDirty();
    expect(dirty).toEqual([0, 1, 2]);
    expect(log.dirty).toBe(false);
    const done = log.write(dirty);
    for (const no of dirty) {
      await flush();
      adapters.get(`seg-${no}`)!.writes.at(-1)!.finish();
    }
    await done;
    expect(writes()).toEqual([
      ['seg-0', [1, 2]],
      ['seg-1', [3, 4]],
      ['seg-2', [5]],
    ]);
  });

  it('writes segment n + 1 only once segment n is complete on disk', async () => {
    const { log, adapters, add, writes } = makeLog(2);
    add(3);
    const done = log.write(log.takeDirty());
    await flush();
    expect(writes()).toEqual([['seg-0', [1, 2]]]);
    await flush();
    expect(writes()).toEqual([['seg-0', [1, 2]]]);
    adapters.get('seg-0')!.writes[0]!.finish();
    await flush();
    expect(writes()).toEqual([
      ['seg-0', [1, 2]],
      ['seg-1', [3]],
    ]);
    adapters.get('seg-1')!.writes[0]!.finish();
    await done;
  });

  it('marks only the segment of a changed or added record', async () => {
    // On disk: segments of 4, 1 and 3 records (written with other sizes); now segmentSize 3.
    const { log, add } = makeLog(3, [4, 1, 3]);
    expect(log.dirty).toBe(false);
    log.change(4);
    log.change(5);
    expect(log.takeDirty()).toEqual([0, 1]);
    log.change(8);
    expect(log.takeDirty()).toEqual([2]);
    // The last segment is full at 3: the next record starts segment 3.
    add(1);
    expect(log.takeDirty()).toEqual([3]);
    expect(() => log.change(10)).toThrow('SegmentLog: no record with id 10');
  });

  it('continues a last segment that is not full', () => {
    const { log, add } = makeLog(3, [3, 1]);
    add(2);
    expect(log.takeDirty()).toEqual([1]);
    add(1);
    expect(log.takeDirty()).toEqual([2]);
  });

  it('markDirty puts segments back after a failed write', async () => {
    const { log, adapters, add } = makeLog(10);
    add(2);
    const dirty = log.takeDirty();
    const done = log.write(dirty);
    await flush();
    adapters.get('seg-0')!.writes[0]!.fail(new Error('disk full'));
    await expect(done).rejects.toThrow('disk full');
    log.markDirty(dirty);
    expect(log.takeDirty()).toEqual([0]);
  });
});
