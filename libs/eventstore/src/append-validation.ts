import { v7 as uuidv7, validate as isUuid } from 'uuid';
import type { EventMetadata, EventToAppend, ExpectedRevision } from './event-store.js';
import { InvalidAppendError } from './errors.js';

/** `<category>-<id>`: a lower-case category, a dash, then an id without spaces. */
const STREAM_NAME = /^[a-z][a-z0-9_]{0,62}-[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}$/;
const MAX_TYPE_LENGTH = 200;

/** An event checked and serialised once, ready for any adapter to store. */
export interface PreparedEvent {
  id: string;
  type: string;
  data: unknown;
  metadata: EventMetadata;
  dataJson: string;
  metadataJson: string;
}

export function assertStreamName(streamName: unknown): asserts streamName is string {
  if (typeof streamName !== 'string' || !STREAM_NAME.test(streamName)) {
    throw new InvalidAppendError('streamName', `must look like <category>-<id> (got ${JSON.stringify(streamName)})`);
  }
}

export function streamCategory(streamName: string): string {
  return streamName.slice(0, streamName.indexOf('-'));
}

export function assertExpectedRevision(expected: unknown): asserts expected is ExpectedRevision {
  if (expected === 'any' || expected === 'no_stream' || expected === 'stream_exists') return;
  if (typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= 0) return;
  throw new InvalidAppendError(
    'expectedRevision',
    `must be 'any', 'no_stream', 'stream_exists' or a revision >= 0 (got ${JSON.stringify(expected) ?? String(expected)})`,
  );
}

/** JSON.stringify silently drops or nulls some values; an event log must not. */
function strictJson(value: unknown, field: string): string {
  const replacer = (_key: string, v: unknown): unknown => {
    switch (typeof v) {
      case 'function':
      case 'symbol':
      case 'bigint':
        throw new InvalidAppendError(field, `is not JSON-serialisable (contains a ${typeof v})`);
      case 'number':
        if (!Number.isFinite(v)) throw new InvalidAppendError(field, `is not JSON-serialisable (contains ${v})`);
        return v;
      default:
        return v;
    }
  };
  let json: string | undefined;
  try {
    json = JSON.stringify(value, replacer);
  } catch (error) {
    if (error instanceof InvalidAppendError) throw error;
    throw new InvalidAppendError(field, `is not JSON-serialisable (${(error as Error).message})`);
  }
  if (json === undefined) throw new InvalidAppendError(field, 'is not JSON-serialisable (undefined)');
  return json;
}

/**
 * Checks a whole append before anything is written, and serialises it once.
 * Throws InvalidAppendError naming the first problem found.
 */
export function prepareAppend(
  streamName: unknown,
  events: readonly EventToAppend[],
  expectedRevision: unknown,
): PreparedEvent[] {
  assertStreamName(streamName);
  assertExpectedRevision(expectedRevision);
  if (!Array.isArray(events) || events.length === 0) {
    throw new InvalidAppendError('events', 'must be a non-empty array');
  }
  const seen = new Set<string>();
  return events.map((event, index) => {
    const at = `events[${index}]`;
    if (event === null || typeof event !== 'object') throw new InvalidAppendError(at, 'must be an object');
    if (typeof event.type !== 'string' || event.type.trim() === '' || event.type.length > MAX_TYPE_LENGTH) {
      throw new InvalidAppendError(`${at}.type`, `must be a non-empty string of at most ${MAX_TYPE_LENGTH} characters`);
    }
    // PostgreSQL text cannot hold NUL, and a lone surrogate does not survive UTF-8: refuse both
    // here so that every adapter stores the same types.
    if (/\u0000/.test(event.type) || !event.type.isWellFormed()) {
      throw new InvalidAppendError(`${at}.type`, 'must not contain NUL characters or lone surrogates');
    }
    const rawId: unknown = event.id ?? uuidv7();
    if (typeof rawId !== 'string' || !isUuid(rawId)) throw new InvalidAppendError(`${at}.id`, 'must be a UUID');
    // One UUID, one spelling: adapters compare ids as text.
    const id = rawId.toLowerCase();
    if (seen.has(id)) throw new InvalidAppendError(`${at}.id`, 'appears twice in the same append');
    seen.add(id);
    const rawMetadata = event.metadata ?? {};
    if (rawMetadata === null || typeof rawMetadata !== 'object' || Array.isArray(rawMetadata)) {
      throw new InvalidAppendError(`${at}.metadata`, 'must be an object');
    }
    const schemaVersion = rawMetadata.schemaVersion ?? 1;
    if (!Number.isSafeInteger(schemaVersion) || schemaVersion < 1) {
      throw new InvalidAppendError(`${at}.metadata.schemaVersion`, 'must be an integer >= 1');
    }
    const metadata: EventMetadata = { ...rawMetadata, schemaVersion };
    return {
      id,
      type: event.type,
      data: event.data,
      metadata,
      dataJson: strictJson(event.data, `${at}.data`),
      metadataJson: strictJson(metadata, `${at}.metadata`),
    };
  });
}
