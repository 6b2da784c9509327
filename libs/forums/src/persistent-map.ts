/**
 * An immutable string-keyed map whose `set` copies one bucket (about size/32 entries) instead of
 * the whole map, so that folding a topic of thousands of posts stays linear: the command side
 * caches states and `evolve` must never change the state it is given.
 */
export class PersistentMap<V> {
  private static readonly BUCKETS = 32;

  private constructor(
    private readonly buckets: readonly (ReadonlyMap<string, V> | undefined)[],
    readonly size: number,
  ) {}

  static empty<V>(): PersistentMap<V> {
    return new PersistentMap<V>(new Array<undefined>(PersistentMap.BUCKETS).fill(undefined), 0);
  }

  private static bucketOf(key: string): number {
    // FNV-1a over the UTF-16 code units: cheap and well spread for UUIDs and user ids.
    let hash = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
    return (hash >>> 0) % PersistentMap.BUCKETS;
  }

  get(key: string): V | undefined {
    return this.buckets[PersistentMap.bucketOf(key)]?.get(key);
  }

  has(key: string): boolean {
    return this.buckets[PersistentMap.bucketOf(key)]?.has(key) ?? false;
  }

  /** A new map with `key` set to `value`; this one is left as it was. */
  set(key: string, value: V): PersistentMap<V> {
    const index = PersistentMap.bucketOf(key);
    const bucket = this.buckets[index];
    const had = bucket?.has(key) ?? false;
    const next = new Map(bucket ?? []).set(key, value);
    const buckets = this.buckets.slice();
    buckets[index] = next;
    return new PersistentMap(buckets, had ? this.size : this.size + 1);
  }

  *entries(): IterableIterator<[string, V]> {
    for (const bucket of this.buckets) if (bucket) yield* bucket.entries();
  }
}
