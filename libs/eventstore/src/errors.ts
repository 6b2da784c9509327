import type { ExpectedRevision } from './event-store.js';

/** Base of the store's typed errors; `code` is stable for mapping to HTTP. */
export abstract class EventStoreError extends Error {
  abstract readonly code: string;
}

/** The stream is not where the append expected it (HTTP 409 at the API). */
export class WrongExpectedVersionError extends EventStoreError {
  readonly code = 'WRONG_EXPECTED_VERSION';
  constructor(
    readonly streamName: string,
    readonly expected: ExpectedRevision,
    /** Revision of the stream's last event, -1 when the stream does not exist. */
    readonly actual: number,
  ) {
    super(`Wrong expected version on stream ${streamName}: expected ${String(expected)}, actual ${actual}`);
    this.name = 'WrongExpectedVersionError';
  }
}

/** The append was malformed; nothing was written. `field` names the problem. */
export class InvalidAppendError extends EventStoreError {
  readonly code = 'INVALID_APPEND';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`Invalid append: ${field} ${reason}`);
    this.name = 'InvalidAppendError';
  }
}

export class EventStoreClosedError extends EventStoreError {
  readonly code = 'STORE_CLOSED';
  constructor() {
    super('The event store is closed');
    this.name = 'EventStoreClosedError';
  }
}
