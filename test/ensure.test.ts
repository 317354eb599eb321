/**
 * scripts/ensure.mjs, which `npm test` and `npm run demo` run first: dependencies installed when
 * missing or stale, and a missing Chromium installed from Debian's package. apt-get here is a stub
 * on PATH that records its arguments and "installs" the browser at AHCHAT_CHROMIUM, so the machine's
 * own Chromium is never touched.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tmpDir } from './helpers/tmp-dir.js';
// @ts-expect-error a plain ES module script without declarations
import { needsInstall } from '../scripts/ensure.mjs';

const run = promisify(execFile);
const ENSURE = join(import.meta.dirname, '..', 'scripts', 'ensure.mjs');

let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await tmpDir('ahchat-ensure-');
});
afterEach(async () => {
  await dir.remove();
});

/** Only the browser step: the deps step would run npm ci on this very checkout. */
async function ensure(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [ENSURE, 'browser'], { env: { HOME: dir.path, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('dependencies', () => {
  it('asks for npm ci without node_modules, and when package-lock.json is newer than the installed tree', async () => {
    await writeFile(join(dir.path, 'package-lock.json'), '{}');
    expect(needsInstall(dir.path)).toBe(true);
    await mkdir(join(dir.path, 'node_modules'));
    await writeFile(join(dir.path, 'node_modules', '.package-lock.json'), '{}');
    const past = new Date(Date.now() - 60_000);
    await utimes(join(dir.path, 'package-lock.json'), past, past);
    expect(needsInstall(dir.path)).toBe(false);
    const future = new Date(Date.now() + 60_000);
    await utimes(join(dir.path, 'package-lock.json'), future, future);
    expect(needsInstall(dir.path)).toBe(true);
  });
});

describe('browser', () => {
  let bin: string;
  let log: string;
  let chromium: string;
  beforeEach(async () => {
    bin = join(dir.path, 'bin');
    log = join(dir.path, 'apt.log');
    chromium = join(dir.path, 'browser', 'chromium');
    await mkdir(bin);
    await mkdir(join(dir.path, 'browser'));
    await writeFile(log, '');
    const stub = `#!/bin/sh\necho "$DEBIAN_FRONTEND $*" >> "${log}"\nif [ "$1" = install ]; then printf '#!/bin/sh\\n' > "$AHCHAT_CHROMIUM"; chmod +x "$AHCHAT_CHROMIUM"; fi\n`;
    await writeFile(join(bin, 'apt-get'), stub);
    await chmod(join(bin, 'apt-get'), 0o755);
  });

  it('does nothing when the browser is there', async () => {
    await writeFile(chromium, '#!/bin/sh\n');
    await chmod(chromium, 0o755);
    const result = await ensure({ AHCHAT_CHROMIUM: chromium, PATH: `${bin}:/usr/bin:/bin` });
    expect(result.code).toBe(0);
    expect(await readFile(log, 'utf8')).toBe('');
  });

  it('installs Debian’s chromium with apt-get when it is missing (machines of this kind run as root)', async () => {
    const result = await ensure({ AHCHAT_CHROMIUM: chromium, PATH: `${bin}:/usr/bin:/bin` });
    expect(result.code).toBe(0);
    expect((await readFile(log, 'utf8')).trim().split('\n')).toEqual([
      'noninteractive update -qq',
      'noninteractive install -y -qq --no-install-recommends chromium',
    ]);
    expect(result.stdout).toContain("installing Debian's chromium package");
  });

  it('fails with the command to run when it cannot install (no apt-get)', async () => {
    const result = await ensure({ AHCHAT_CHROMIUM: chromium, PATH: join(dir.path, 'empty') });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`need Chromium at ${chromium}`);
    expect(result.stderr).toContain('apt-get install -y chromium');
  });
});
