/**
 * The package as a shop gets it: `npm pack`, the tarball installed into scratch apps (Express 5 and
 * Express 4, each with the @types a TypeScript shop has), the README's examples compiled by tsc from
 * there (nodenext strict and bundler, skipLibCheck false) and its JavaScript example run; publint and
 * attw on the tarball. Installs prefer npm's local cache, so a warm machine needs no network.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tmpDir } from './helpers/tmp-dir.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const npm = (cwd: string, ...args: string[]) => run('npm', args, { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false' } });

interface PackedFile {
  path: string;
}
let scratch: { path: string; remove: () => Promise<void> };
let tarball: string;
let packed: { size: number; unpackedSize: number; entryCount: number; files: PackedFile[] };
const apps: Record<'express5' | 'express4', string> = { express5: '', express4: '' };

/** Every fenced block of `lang` in the README that imports the package. */
async function readmeBlocks(lang: 'js' | 'ts'): Promise<string[]> {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
  return blocks.filter((b) => b.includes("from 'ah-chat'"));
}

/** What the README's snippets leave to the shop: its database, mailer and (in later snippets) app and authSeller. */
const SHOP_DECLARATIONS = `
interface ShopSeller { id: number; displayName: string }
declare const db: {
  sellers: {
    findByChatToken(id: number | string, token: string): Promise<ShopSeller | null>;
    find(id: number | string): Promise<ShopSeller | null>;
  };
};
declare const mailer: { send(to: string, text: string): Promise<void> };
declare function sellerEmail(sellerId: number | string): Promise<string>;
declare const app: import('express').Express;
declare const authSeller: import('ah-chat').AuthSeller;
declare module 'nodemailer' {
  const nodemailer: { createTransport(options: object): { sendMail(message: object): Promise<unknown> } };
  export default nodemailer;
}
`;

const TSCONFIGS = {
  nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
};

async function makeApp(name: keyof typeof apps, express: string, typesExpress: string): Promise<void> {
  const dir = join(scratch.path, name);
  await mkdir(dir);
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: `scratch-${name}`, private: true, type: 'module' }));
  await npm(dir, 'install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', tarball, express, typesExpress, '@types/node@20');
  await mkdir(join(dir, 'src'));
  await writeFile(join(dir, 'src', 'shop.d.ts'), SHOP_DECLARATIONS);
  const blocks = [...(await readmeBlocks('ts')), ...(await readmeBlocks('js'))];
  await Promise.all(blocks.map((block, i) => writeFile(join(dir, 'src', `readme-${i}.ts`), block)));
  for (const [kind, resolution] of Object.entries(TSCONFIGS)) {
    const compilerOptions = { ...resolution, target: 'es2022', strict: true, skipLibCheck: false, noEmit: true, types: ['node'], esModuleInterop: true };
    await writeFile(join(dir, `tsconfig.${kind}.json`), JSON.stringify({ compilerOptions, include: ['src'] }));
  }
  apps[name] = dir;
}

beforeAll(async () => {
  scratch = await tmpDir('ahchat-package-');
  // npm test has just built dist/ (the same `npm run build` that prepack runs).
  const { stdout } = await npm(root, 'pack', '--json', '--ignore-scripts', '--pack-destination', scratch.path);
  packed = JSON.parse(stdout)[0];
  tarball = join(scratch.path, (packed as unknown as { filename: string }).filename);
  await Promise.all([makeApp('express5', 'express@5', '@types/express@5'), makeApp('express4', 'express@4', '@types/express@4')]);
}, 240_000);

afterAll(async () => {
  await scratch?.remove();
});

describe('the lockfile', () => {
  it('is in sync with package.json: npm install changes nothing in it', async () => {
    const dir = join(scratch.path, 'lock');
    await mkdir(dir);
    const lock = await readFile(join(root, 'package-lock.json'), 'utf8');
    await writeFile(join(dir, 'package.json'), await readFile(join(root, 'package.json')));
    await writeFile(join(dir, 'package-lock.json'), lock);
    await npm(dir, 'install', '--package-lock-only', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund');
    expect(await readFile(join(dir, 'package-lock.json'), 'utf8')).toBe(lock);
  }, 60_000);
});

describe('the tarball', () => {
  it('holds dist/, README, LICENSE and CHANGELOG, and no source maps', () => {
    const files = packed.files.map((f) => f.path);
    for (const file of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/index.js', 'dist/index.d.ts', 'dist/server/index.js', 'dist/widget/ahchat.js', 'dist/postgres.js', 'dist/redis.js']) {
      expect(files).toContain(file);
    }
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files.filter((f) => !/^(dist\/|package\.json$|README\.md$|LICENSE$|CHANGELOG\.md$)/.test(f))).toEqual([]);
    console.log(`tarball: ${packed.size} B packed, ${packed.unpackedSize} B unpacked, ${packed.entryCount} files`);
  });

  it('builds before packing', async () => {
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
    expect(pkg.scripts.prepack).toBe('npm run build');
  });

  it('passes publint and attw (ESM only)', async () => {
    const publint = await run(process.execPath, [join(root, 'node_modules', 'publint', 'src', 'cli.js'), '--strict', tarball], { cwd: root });
    expect(publint.stdout).toContain('All good!');
    // attw exits non-zero on any problem; the CJS and node10 columns are ignored for an ESM-only package.
    await run(process.execPath, [join(root, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js'), tarball, '--profile', 'esm-only', '--format', 'ascii'], { cwd: root });
  }, 60_000);
});

/** Both settings with Express 5's types; Express 4's types with nodenext only, to keep the run short. */
const COMPILED: Record<keyof typeof apps, string[]> = { express5: ['nodenext', 'bundler'], express4: ['nodenext'] };

describe.each(['express5', 'express4'] as const)('installed in a scratch app (%s)', (name) => {
  it.each(COMPILED[name])('compiles the README examples with tsc (%s, strict, skipLibCheck false)', async (kind) => {
    const result = await run(process.execPath, [tsc, '-p', `tsconfig.${kind}.json`], { cwd: apps[name] }).catch((error: { stdout: string }) => error);
    expect(result.stdout).toBe('');
  }, 60_000);

  it('runs the README JavaScript example: widget, probes and a buyer over the socket', async () => {
    const example = (await readmeBlocks('js'))[0]!;
    expect(example).toContain('app.listen(8001);');
    const program = `
import { WebSocket } from 'ws';
const db = { sellers: {
  async findByChatToken(id, token) { return String(id) === '10' && token === 't0ken' ? { id: 10, displayName: 'Shop' } : null; },
  async find(id) { return String(id) === '10' ? { id: 10, displayName: 'Shop' } : null; },
} };
${example.replace('app.listen(8001);', 'const server = app.listen(0, "127.0.0.1");')}
await new Promise((resolve) => server.once('listening', resolve));
const base = 'http://127.0.0.1:' + server.address().port + '/ahchat';
const widget = await fetch(base + '/ahchat.js');
const health = await fetch(base + '/health');
const ready = await fetch(base + '/ready');
const socket = new WebSocket(base.replace('http', 'ws'));
await new Promise((resolve, reject) => { socket.once('open', resolve); socket.once('error', reject); });
socket.send(JSON.stringify({ command: 'auth', data: { name: 'Alice', sellerId: 10 } }));
const auth = await new Promise((resolve) => socket.once('message', (data) => resolve(JSON.parse(String(data)))));
socket.close();
await chat.close();
server.close();
console.log(JSON.stringify({ widget: widget.status, health: health.status, ready: ready.status, auth: auth.command, seller: Object.values(auth.data.chats)[0].chatter }));
`;
    await writeFile(join(apps[name], 'example.mjs'), program);
    const { stdout } = await run(process.execPath, ['example.mjs'], { cwd: apps[name], timeout: 30_000 });
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({ widget: 200, health: 200, ready: 200, auth: 'auth', seller: 'Shop' });
    const { stdout: version } = await run(process.execPath, ['-e', "console.log(require('express/package.json').version)"], { cwd: apps[name] });
    expect(version.trim().startsWith(name === 'express5' ? '5.' : '4.')).toBe(true);
  }, 60_000);

  it("loads with require() as well as import (Node's require of ES modules)", async () => {
    const { stdout } = await run(process.execPath, ['-e', "const { ahChat, memoryStore } = require('ah-chat'); console.log(typeof ahChat, typeof memoryStore)"], { cwd: apps[name] });
    expect(stdout.trim()).toBe('function function');
  });

  it('has the ah-chat bin: npx ah-chat --help', async () => {
    const { stdout } = await run('npx', ['--no-install', 'ah-chat', '--help'], { cwd: apps[name] });
    expect(stdout).toMatch(/^ah-chat 0\.\d+\.\d+: the AH Chat standalone server/);
    expect(stdout).toContain('AHCHAT_SELLERS');
  }, 30_000);
});
