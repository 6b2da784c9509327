import type { AppendResult, ExpectedRevision } from './event-store.js';
import { WrongExpectedVersionError } from './errors.js';

/** Does the stream's current revision (-1: no stream) satisfy the expectation? */
export function expectationHolds(expected: ExpectedRevision, current: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return current === -1;
    case 'stream_exists':
      return current >= 0;
    default:
      return current === expected;
  }
}

/** Where an event of the batch already stands in the stream, if it does. */
export interface ExistingEvent {
  id: string;
  revision: number;
  position: number;
}

/**
 * EventStoreDB's idempotence rules, applied when an append cannot simply be written (its
 * expectation failed, or one of its ids is already in the stream):
 * - every id already stored, contiguously and in batch order, at the place the expectation
 *   names: a retry, answered with where it landed the first time;
 * - none stored: a genuine conflict;
 * - some stored, or stored elsewhere: a partially committed or misplaced batch, a conflict.
 */
export function resolveRetry(
  streamName: string,
  expected: ExpectedRevision,
  current: number,
  batchIds: readonly string[],
  existing: ReadonlyMap<string, ExistingEvent>,
): AppendResult {
  const found = batchIds.map((id) => existing.get(id));
  const conflict = new WrongExpectedVersionError(streamName, expected, current);
  if (found.some((e) => e === undefined)) throw conflict;
  const first = found[0]!.revision;
  const contiguous = found.every((e, i) => e!.revision === first + i);
  if (!contiguous) throw conflict;
  const placeMatches =
    expected === 'any' || expected === 'stream_exists' ? true : expected === 'no_stream' ? first === 0 : first === expected + 1;
  if (!placeMatches) throw conflict;
  const last = found[found.length - 1]!;
  return { nextExpectedRevision: last.revision, position: last.position };
}
