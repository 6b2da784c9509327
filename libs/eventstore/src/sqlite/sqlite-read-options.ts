/** SQLite's LIMIT reads -1 as "no limit". */
export const NO_LIMIT = -1;

function assertNonNegativeInteger(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be an integer >= 0 (got ${JSON.stringify(value) ?? String(value)})`);
  }
}

/** `maxCount` as a LIMIT: absent means everything. */
export function limitOf(maxCount: unknown): number {
  if (maxCount === undefined) return NO_LIMIT;
  assertNonNegativeInteger(maxCount, 'maxCount');
  return maxCount;
}

/** A revision or position bound, `fallback` when absent. */
export function boundOf(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  assertNonNegativeInteger(value, name);
  return value;
}
