/**
 * A map that forgets its least recently set entries beyond `max`: for caches and bookkeeping that
 * must not grow with traffic.
 */
export class BoundedMap<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly max: number) {}

  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as K);
  }

  /** Removes the entry; true when it was there. */
  delete(key: K): boolean {
    return this.entries.delete(key);
  }
}
