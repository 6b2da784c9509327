import {
  ANY,
  ErrorType,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  isCommandError,
  type AppendStreamState,
  type CurrentStreamState,
  type EventData,
  type JSONType,
  type Position,
  type ReadPosition,
  type RecordedEvent as KurrentRecordedEvent,
} from '@kurrent/kurrentdb-client';
import type { EventMetadata, ExpectedRevision, RecordedEvent } from '../event-store.js';
import { InvalidAppendError, WrongExpectedVersionError } from '../errors.js';
import type { PreparedEvent } from '../append-validation.js';

/**
 * Pure translations between the port and `@kurrent/kurrentdb-client`, kept apart from the
 * adapter so that they are tested without a server.
 *
 * Positions: an event written through gRPC is committed implicitly, so its commit position and
 * its prepare position are both its own log position, unique and increasing in commit order.
 * The port's `position` is that commit position as a number; going back, `{ commit: p,
 * prepare: p }` names the same record. (Events of legacy explicit transactions, written through
 * the old TCP API, share one commit position: this mapping does not distinguish them.)
 */

export function toStreamState(expected: ExpectedRevision): AppendStreamState {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      return BigInt(expected);
  }
}

/** The client's current stream state as a port revision: -1 for no stream. */
export function toRevision(state: CurrentStreamState): number {
  if (state === NO_STREAM) return -1;
  return toSafeNumber(state, 'revision');
}

export function toPosition(commit: bigint): number {
  return toSafeNumber(commit, 'position');
}

function toSafeNumber(value: bigint, what: string): number {
  const n = Number(value);
  // Servers older than 22.6 answer stream reads with ulong.MaxValue for positions they lack.
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new Error(`KurrentDB returned a ${what} (${value}) outside the safe integer range`);
  }
  return n;
}

/** Where a read or subscription starts for an exclusive port position (0 or none: the start). */
export function toReadPosition(fromPosition: number | undefined): ReadPosition {
  if (fromPosition === undefined || fromPosition <= 0) return START;
  const p = BigInt(fromPosition);
  return { commit: p, prepare: p } satisfies Position;
}

/** `$`-prefixed types and streams are the server's own (stats, metadata, links, projections). */
export function isSystemEvent(event: { type: string; streamId: string }): boolean {
  return event.type.startsWith('$') || event.streamId.startsWith('$');
}

export function toEventData(event: PreparedEvent): EventData {
  // Validated JSON already; the client serialises `data` and `metadata` with JSON.stringify.
  return {
    id: event.id,
    contentType: 'application/json',
    type: event.type,
    data: event.data as JSONType,
    metadata: event.metadata as unknown as JSONType,
  };
}

export function toMetadata(raw: unknown): EventMetadata {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || raw instanceof Uint8Array) {
    return { schemaVersion: 1 };
  }
  const metadata = raw as Partial<EventMetadata>;
  const schemaVersion = Number.isSafeInteger(metadata.schemaVersion) ? metadata.schemaVersion! : 1;
  return { ...metadata, schemaVersion };
}

/**
 * A recorded event in the port's shape. `commitPosition` is the resolved event's, used when the
 * record itself carries no position.
 */
export function toRecordedEvent(event: KurrentRecordedEvent, commitPosition?: bigint): RecordedEvent {
  const commit = event.position?.commit ?? commitPosition;
  if (commit === undefined) {
    throw new Error(`KurrentDB returned event ${event.id} without a position: the server must be 22.6 or later`);
  }
  return {
    id: event.id,
    type: event.type,
    data: event.data,
    metadata: toMetadata(event.metadata),
    streamName: event.streamId,
    revision: toSafeNumber(event.revision, 'revision'),
    position: toPosition(commit),
    createdAt: event.created,
  };
}

/**
 * Maps the client's append failures to the port's errors: a wrong expected version keeps the
 * expectation as the caller gave it and the actual revision (-1 for no stream); an append over
 * the server's size limit is an invalid append (nothing was written). Anything else is returned
 * as it is.
 */
export function toAppendError(error: unknown, streamName: string, expected: ExpectedRevision): unknown {
  if (!(error instanceof Error) || !isCommandError(error)) return error;
  switch (error.type) {
    case ErrorType.WRONG_EXPECTED_VERSION:
      return new WrongExpectedVersionError(streamName, expected, toRevision(error.actualState));
    case ErrorType.MAXIMUM_APPEND_SIZE_EXCEEDED:
      return new InvalidAppendError('events', `exceed the server's maximum append size (${error.maxAppendSize} bytes)`);
    default:
      return error;
  }
}

export function isStreamNotFound(error: unknown): boolean {
  return error instanceof Error && isCommandError(error) && error.type === ErrorType.STREAM_NOT_FOUND;
}
