/**
 * What a file loaded on demand runs last: it hands what it holds to the bundle that asked for it.
 * widget/chunks.ts's loadChunk gives the module its type; this side knows only the registry's slot,
 * so that the files on demand do not import the loader that imports their types.
 */
type Waiting = { d: Record<string, ((module: unknown) => void) | undefined> };

export function handBack(name: string, module: unknown): void {
  (globalThis as unknown as Record<symbol, Waiting | undefined>)[Symbol.for('ahchat.inbox')]?.d[name]?.(module);
}
