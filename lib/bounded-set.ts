/** A set that forgets its oldest entries beyond `max`: for bookkeeping that must not grow with traffic. */
export class BoundedSet<T> {
  private readonly items = new Set<T>();

  constructor(private readonly max: number) {}

  add(item: T): void {
    this.items.delete(item);
    this.items.add(item);
    if (this.items.size > this.max) this.items.delete(this.items.values().next().value as T);
  }

  /** Removes the item; true when it was there. */
  take(item: T): boolean {
    return this.items.delete(item);
  }
}
