import type { Adapter } from 'lowdb';
import { describe, expect, it } from 'vitest';
import { CoalescingAdapter } from '../../lib/store/coalescing-adapter.js';

/** Records what it is asked to write; each write finishes or fails when the test says so. */
class HeldAdapter implements Adapter<number[]> {
  writes: { data: number[]; finish: () => void; fail: (error: Error) => void }[] = [];
  async read(): Promise<number[] | null> {
    return [42];
  }
  write(data: number[]): Promise<void> {
    return new Promise((resolve, reject) => this.writes.push({ data: [...data], finish: resolve, fail: reject }));
  }
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('CoalescingAdapter', () => {
  it('merges the writes asked for during a write into one, with the newest data', async () => {
    const inner = new HeldAdapter();
    const adapter = new CoalescingAdapter(inner);
    const data: number[] = [];
    const first = (data.push(1), adapter.write(data));
    await flush();
    expect(inner.writes.map((w) => w.data)).toEqual([[1]]);

    const rest = [2, 3, 4, 5].map((n) => (data.push(n), adapter.write(data)));
    let restDone = false;
    void Promise.all(rest).then(() => (restDone = true));
    inner.writes[0]!.finish();
    await first;
    await flush();
    expect(restDone).toBe(false);
    expect(inner.writes.map((w) => w.data)).toEqual([[1], [1, 2, 3, 4, 5]]);
    inner.writes[1]!.finish();
    await Promise.all(rest);
    expect(inner.writes).toHaveLength(2);
  });

  it('rejects only the callers of the failed write, and goes on writing', async () => {
    const inner = new HeldAdapter();
    const adapter = new CoalescingAdapter(inner);
    const failed = adapter.write([1]);
    await flush();
    const next = adapter.write([1, 2]);
    inner.writes[0]!.fail(new Error('disk full'));
    await expect(failed).rejects.toThrow('disk full');
    await flush();
    inner.writes[1]!.finish();
    await next;
    expect(inner.writes.map((w) => w.data)).toEqual([[1], [1, 2]]);
  });

  it('reads through the inner adapter', async () => {
    expect(await new CoalescingAdapter(new HeldAdapter()).read()).toEqual([42]);
  });
});
