/** What a file loaded on demand runs last: it hands what it holds to the bundle that asked for it (widget/chunks.ts). */
import type { ChunkRegistry, Chunks } from './chunks.js';

export function handBack<N extends keyof Chunks>(name: N, module: Chunks[N]): void {
  (globalThis as unknown as Record<symbol, ChunkRegistry | undefined>)[Symbol.for('ahchat.inbox')]?.d[name]?.(module);
}
