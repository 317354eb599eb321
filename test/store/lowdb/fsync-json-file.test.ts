import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsyncJSONFile } from '../../../lib/store/lowdb/fsync-json-file.js';
import { tmpDir } from '../../helpers/tmp-dir.js';

describe('FsyncJSONFile', () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    dir = await tmpDir();
  });
  afterEach(async () => {
    await dir.remove();
  });

  it('reads null for a missing file and back what it wrote', async () => {
    const file = new FsyncJSONFile<{ n: number }>(join(dir.path, 'a.json'));
    expect(await file.read()).toBeNull();
    await file.write({ n: 1 });
    expect(await file.read()).toEqual({ n: 1 });
  });

  it('resolves every caller of a burst, the file ends with the newest data, no temp file is left', async () => {
    const path = join(dir.path, 'a.json');
    const file = new FsyncJSONFile<number[]>(path);
    const data: number[] = [];
    const writes = Array.from({ length: 20 }, (_, i) => {
      data.push(i);
      return file.write([...data]);
    });
    await Promise.all(writes);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(data);
    expect(await readdir(dir.path)).toEqual(['a.json']);
  });

  it('rejects when the write fails', async () => {
    const file = new FsyncJSONFile<number>(join(dir.path, 'missing-dir', 'a.json'));
    await expect(file.write(1)).rejects.toThrow(/ENOENT/);
  });
});
