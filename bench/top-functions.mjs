#!/usr/bin/env node
/**
 * Prints where a CPU profile spent its time: `node bench/top-functions.mjs <file.cpuprofile> [n]`.
 * Profiles come from `npm run bench -- --profile` (.tmp/bench-profiles/). Self time is the time in
 * the function itself; inclusive adds what it called. "(idle)" is the event loop waiting.
 */
import { readFileSync } from 'node:fs';

const [file, count = '30'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/top-functions.mjs <file.cpuprofile> [n]');
  process.exit(1);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parents = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
const label = ({ callFrame: f }) => `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;

const selfById = new Map();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  selfById.set(id, (selfById.get(id) ?? 0) + dt);
  total += dt;
});
const self = new Map();
const inclusive = new Map();
for (const [id, dt] of selfById) {
  const name = label(nodes.get(id));
  self.set(name, (self.get(name) ?? 0) + dt);
  // Each function once per stack, however deep its recursion.
  const seen = new Set();
  for (let at = id; at !== undefined; at = parents.get(at)) {
    const key = label(nodes.get(at));
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
  }
}
const top = (map) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(count))
    .map(([name, dt]) => `${((100 * dt) / total).toFixed(1).padStart(5)} %  ${name}`)
    .join('\n');
console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled\n\nself\n${top(self)}\n\ninclusive\n${top(inclusive)}`);
