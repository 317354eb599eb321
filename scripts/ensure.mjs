#!/usr/bin/env node
/**
 * Run first by `npm run demo` and `npm test`, so that a fresh clone needs no other step. Node's own
 * modules only: it runs before anything is installed.
 *
 *   deps      `npm ci` when node_modules is missing or older than package-lock.json
 *   browser   the widget tests' Chromium: AHCHAT_CHROMIUM, else /usr/bin/chromium; when it is
 *             missing, Debian's package is installed with apt-get (as root only). A browser is
 *             never downloaded from anywhere else.
 *
 * Usage: node scripts/ensure.mjs deps [browser]
 *
 * The fast path (everything present) is two stat calls and an existence check.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Whether `npm ci` must run: no installed tree, or a lockfile changed since the tree was installed. */
export function needsInstall(dir) {
  const installed = join(dir, 'node_modules', '.package-lock.json');
  if (!existsSync(installed)) return true;
  return statSync(join(dir, 'package-lock.json')).mtimeMs > statSync(installed).mtimeMs;
}

/** The browser the e2e tests launch (test/e2e/harness.ts reads the same variable). */
export function chromiumPath(env = process.env) {
  return env.AHCHAT_CHROMIUM || '/usr/bin/chromium';
}

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(command, env = process.env) {
  return (env.PATH ?? '').split(delimiter).some((dir) => dir && executable(join(dir, command)));
}

function step(command, args, env = process.env) {
  console.log(`> ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env });
  if (result.status !== 0) {
    console.error(`ensure: ${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`})`);
    process.exit(1);
  }
}

function ensureDependencies() {
  if (!needsInstall(root)) return;
  console.log('ensure: installing dependencies (node_modules is missing or older than package-lock.json)');
  spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' }).status === 0 || process.exit(1);
}

function ensureBrowser() {
  const path = chromiumPath();
  if (executable(path)) return;
  const why = `the widget's browser tests need Chromium at ${path}`;
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!asRoot || !onPath('apt-get')) {
    console.error(`ensure: ${why}. Install Debian's package: sudo apt-get install -y chromium (or set AHCHAT_CHROMIUM to a Chromium binary).`);
    process.exit(1);
  }
  console.log(`ensure: ${why}; installing Debian's chromium package`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  step('apt-get', ['update', '-qq'], env);
  step('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], env);
  if (!executable(path)) {
    console.error(`ensure: apt-get installed chromium, but ${path} is still missing (is AHCHAT_CHROMIUM right?)`);
    process.exit(1);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const steps = process.argv.slice(2);
  const unknown = steps.find((s) => s !== 'deps' && s !== 'browser');
  if (unknown !== undefined || steps.length === 0) {
    console.error(`ensure: usage: node scripts/ensure.mjs deps [browser]${unknown ? ` (unknown step ${JSON.stringify(unknown)})` : ''}`);
    process.exit(1);
  }
  if (steps.includes('deps')) ensureDependencies();
  if (steps.includes('browser')) ensureBrowser();
}
