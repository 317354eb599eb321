import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { Journal, listJournals, readJournal } from '../../../lib/store/lowdb/journal.js';
import { tmpDir } from '../../helpers/tmp-dir.js';

type Write = (buffer: Buffer, offset: number, length: number, position: number) => Promise<{ bytesWritten: number }>;

const rec = (n: number) => JSON.stringify({ n });
const lines = (...ns: number[]) => ns.map((n) => `${rec(n)}\n`).join('');

describe('Journal', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let journals: Journal[];
  let handleMethods: { write: Write };
  let write: MockInstance<Write>;
  /** FileHandle's own write, to call from a mock. */
  let original: Write;

  beforeEach(async () => {
    dir = await tmpDir();
    journals = [];
    const probe = await open(join(dir.path, 'probe'), 'w');
    handleMethods = Object.getPrototypeOf(probe) as { write: Write };
    await probe.close();
    original = handleMethods.write;
    write = vi.spyOn(handleMethods, 'write');
  });
  afterEach(async () => {
    write.mockRestore();
    await Promise.all(journals.map((j) => j.close().catch(() => {})));
    await dir.remove();
  });

  // Through the thread pool (FileHandle.write, which these tests gate and fail); the synchronous
  // small-batch write has its own tests below.
  const make = (options: { no?: number; validSize?: number; exists?: boolean; syncWriteMax?: number } = {}) => {
    const journal = new Journal({ dir: dir.path, no: 0, validSize: 0, exists: false, fsync: false, syncWriteMax: 0, ...options });
    journals.push(journal);
    return journal;
  };
  const file = (no = 0) => readFile(join(dir.path, `${no}.jsonl`), 'utf8');

  it('without fsync, writes a small batch synchronously: on disk when its turn ends, no thread-pool write', async () => {
    const journal = make({ syncWriteMax: 1024 });
    // The first write opens the file (asynchronously); the batches after it have nothing to wait for.
    await journal.whenWritten(journal.append(rec(0)));
    const seqs = [1, 2, 3].map((n) => journal.append(rec(n)));
    // This callback is queued after the journal's own setImmediate, so it runs once that turn ended.
    await new Promise((resolve) => setImmediate(resolve));
    expect(journal.whenWritten(seqs[2]!)).toBeNull();
    expect(write).not.toHaveBeenCalled();
    expect(await file()).toBe(lines(0, 1, 2, 3));
    // A batch larger than syncWriteMax goes through the thread pool.
    const big = 'x'.repeat(2000);
    const seq = journal.append(JSON.stringify({ big }));
    await journal.whenWritten(seq);
    expect(write).toHaveBeenCalledTimes(1);
    expect(await file()).toBe(`${lines(0, 1, 2, 3)}${JSON.stringify({ big })}\n`);
  });

  it('with fsync, never writes synchronously', async () => {
    const journal = make({ syncWriteMax: 1024, ...({ fsync: true } as object) });
    await journal.whenWritten(journal.append(rec(1)));
    expect(write).toHaveBeenCalledTimes(1);
  });

  it('writes the records of one turn with one write, in order', async () => {
    const journal = make();
    const seqs = [1, 2, 3].map((n) => journal.append(rec(n)));
    expect(seqs).toEqual([1, 2, 3]);
    const waits = seqs.map((seq) => journal.whenWritten(seq));
    expect(new Set(waits).size).toBe(1);
    await waits[0];
    expect(write).toHaveBeenCalledTimes(1);
    expect(journal.whenWritten(3)).toBeNull();
    expect(await file()).toBe(lines(1, 2, 3));
    expect(journal.size).toBe(lines(1, 2, 3).length);
  });

  it('gathers the records appended while a write is in flight into the next write', async () => {
    const journal = make();
    let release!: () => void;
    let entered!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const writing = new Promise<void>((resolve) => (entered = resolve));
    write.mockImplementationOnce(async function (this: unknown, ...args: Parameters<Write>) {
      entered();
      await gate;
      return original.apply(this, args);
    });
    const first = journal.append(rec(1));
    await writing;
    const later = [2, 3, 4].map((n) => journal.append(rec(n)));
    expect(journal.whenWritten(first)).not.toBe(journal.whenWritten(later[0]!));
    release();
    await journal.whenWritten(later.at(-1)!);
    expect(write).toHaveBeenCalledTimes(2);
    expect(await file()).toBe(lines(1, 2, 3, 4));
  });

  it('rejects the callers of a failed write, keeps its records, and writes them, whole, with the next one', async () => {
    const journal = make();
    // The first write gets half of its bytes into the file, then fails.
    write.mockImplementationOnce(async function (this: unknown, buffer, offset, length, position) {
      await original.call(this, buffer, offset, Math.floor(length / 2), position);
      throw new Error('disk full');
    });
    journal.append(rec(1));
    const failed = journal.whenWritten(journal.append(rec(2)));
    await expect(failed).rejects.toThrow('disk full');
    expect(journal.whenWritten(1)).not.toBeNull();
    expect(journal.size).toBe(0);

    await journal.whenWritten(journal.append(rec(3)));
    expect(await file()).toBe(lines(1, 2, 3));
    expect(journal.whenWritten(3)).toBeNull();
  });

  it('writes a failed batch again when a caller waits for it', async () => {
    const journal = make();
    write.mockRejectedValueOnce(new Error('EIO'));
    const seq = journal.append(rec(1));
    await expect(journal.whenWritten(seq)).rejects.toThrow('EIO');
    await journal.whenWritten(seq);
    expect(await file()).toBe(lines(1));
  });

  it('writes again after a failed write when records came in during it', async () => {
    const journal = make();
    let release!: () => void;
    let entered!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const writing = new Promise<void>((resolve) => (entered = resolve));
    write.mockImplementationOnce(async () => {
      entered();
      await gate;
      throw new Error('EIO');
    });
    const failing = journal.whenWritten(journal.append(rec(1)));
    await writing;
    const second = journal.whenWritten(journal.append(rec(2)));
    release();
    await expect(failing).rejects.toThrow('EIO');
    await second;
    expect(await file()).toBe(lines(1, 2));
  });

  it('rotate() sends later records to the next file and resolves with the old number', async () => {
    const journal = make();
    await journal.whenWritten(journal.append(rec(1)));
    const rotated = journal.rotate();
    await journal.whenWritten(journal.append(rec(2)));
    expect(await rotated).toBe(0);
    expect(journal.no).toBe(1);
    expect(await file(0)).toBe(lines(1));
    expect(await file(1)).toBe(lines(2));
    await journal.remove([0]);
    expect(listJournals(dir.path).map((j) => j.no)).toEqual([1]);
  });

  it('continues an existing file from its valid size, cutting off a torn end', async () => {
    await writeFile(join(dir.path, '3.jsonl'), `${lines(1)}{"n":`);
    const journal = make({ no: 3, validSize: lines(1).length, exists: true });
    expect(journal.wroteAny).toBe(false);
    await journal.whenWritten(journal.append(rec(2)));
    expect(journal.wroteAny).toBe(true);
    expect(await file(3)).toBe(lines(1, 2));
  });
});

describe('readJournal and listJournals', () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    dir = await tmpDir();
  });
  afterEach(async () => {
    await dir.remove();
  });

  const read = (path: string, last: boolean) => {
    const records: unknown[] = [];
    const { validSize } = readJournal(path, last, (r) => records.push(r));
    return { records, validSize };
  };

  it('hands over the records in order and leaves out a torn end of the last journal', async () => {
    const path = join(dir.path, '0.jsonl');
    await writeFile(path, `${lines(1, 2)}{"n":3, "te`);
    expect(read(path, true)).toEqual({ records: [{ n: 1 }, { n: 2 }], validSize: lines(1, 2).length });
    await writeFile(path, lines(1, 2));
    expect(read(path, true)).toEqual({ records: [{ n: 1 }, { n: 2 }], validSize: lines(1, 2).length });
    await writeFile(path, '');
    expect(read(path, true)).toEqual({ records: [], validSize: 0 });
  });

  it('fails naming the file and the line', async () => {
    const path = join(dir.path, '0.jsonl');
    await writeFile(path, `${lines(1)}{"n":\n${lines(3)}`);
    expect(() => read(path, true)).toThrow(`lowdbStore: ${path} line 2: `);
    await writeFile(path, `${lines(1)}\n${lines(3)}`);
    expect(() => read(path, true)).toThrow(`lowdbStore: ${path} line 2: `);
    await writeFile(path, `${lines(1, 2)}{"n":`);
    expect(() => read(path, false)).toThrow(`lowdbStore: ${path} line 3: torn record in a journal that is not the last one`);
    await writeFile(path, lines(1, 2));
    expect(() =>
      readJournal(path, true, (r) => {
        if ((r as { n: number }).n === 2) throw new Error('no such chat');
      }),
    ).toThrow(`lowdbStore: ${path} line 2: no such chat`);
    expect(() => read(join(dir.path, 'missing.jsonl'), true)).toThrow(`lowdbStore: cannot read ${join(dir.path, 'missing.jsonl')}`);
  });

  it('lists journal files by number, ignoring other names', async () => {
    for (const name of ['10.jsonl', '9.jsonl', '.9.jsonl.tmp', 'notes.txt', '0.jsonl']) await writeFile(join(dir.path, name), '');
    expect(listJournals(dir.path)).toEqual([0, 9, 10].map((no) => ({ no, path: join(dir.path, `${no}.jsonl`) })));
  });
});
