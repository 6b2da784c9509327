/**
 * readEvents' positions checked, without duplicates and in order (a RangeError names a bad
 * one), shared by every adapter so that they answer the same input the same way.
 */
export function positionsToRead(positions: readonly number[]): number[] {
  if (!Array.isArray(positions)) throw new RangeError('positions must be an array of integers >= 1');
  for (const position of positions) {
    if (typeof position !== 'number' || !Number.isSafeInteger(position) || position < 1) {
      throw new RangeError(`positions must be integers >= 1 (got ${JSON.stringify(position) ?? String(position)})`);
    }
  }
  return [...new Set(positions)].sort((a, b) => a - b);
}
