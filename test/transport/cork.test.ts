/** Write coalescing: a turn's small writes to one socket leave together; big turns are not held. */
import { Writable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { heldBytes, holdForThisTurn } from '../../lib/transport/cork.js';

/** A writable that records each batch it is asked to write (one batch = one system call on a socket). */
function recorder() {
  const batches: string[][] = [];
  const stream = new Writable({
    writev(chunks, done) {
      batches.push(chunks.map((c) => c.chunk.toString()));
      done();
    },
    write(chunk, _encoding, done) {
      batches.push([chunk.toString()]);
      done();
    },
  });
  return { stream, batches };
}

describe('holdForThisTurn', () => {
  it('sends the writes of one turn as one batch, after the turn', async () => {
    const { stream, batches } = recorder();
    for (const text of ['a', 'b', 'c']) {
      holdForThisTurn(stream, text.length);
      stream.write(text);
    }
    expect(batches).toEqual([]);
    expect(heldBytes(stream)).toBe(3);
    await nextTurn();
    expect(batches).toEqual([['a', 'b', 'c']]);
    expect(heldBytes(stream)).toBe(0);
  });

  it('lets a socket go at once when a turn brings it more than 64 KiB', async () => {
    const { stream, batches } = recorder();
    const big = 'x'.repeat(40 * 1024);
    holdForThisTurn(stream, big.length);
    stream.write(big);
    holdForThisTurn(stream, big.length);
    expect(batches).toEqual([[big]]);
    stream.write(big);
    expect(batches).toEqual([[big], [big]]);
    expect(heldBytes(stream)).toBe(0);
    await nextTurn();
    expect(batches).toHaveLength(2);
  });
});
