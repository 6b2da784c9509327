/**
 * The event log port. Its semantics follow EventStoreDB/KurrentDB so that every adapter
 * (SQLite, PostgreSQL, KurrentDB) can stand in for the others; one contract suite
 * (`testing/event-store-contract.ts`) proves it for each.
 */

/** Where an append expects the stream to be. A number is the exact revision of its last event. */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | number;

export const ANY = 'any' as const;
export const NO_STREAM = 'no_stream' as const;
export const STREAM_EXISTS = 'stream_exists' as const;

/** Metadata every recorded event carries; adapters keep unknown keys as they are. */
export interface EventMetadata {
  userId?: string;
  correlationId?: string;
  causationId?: string;
  schemaVersion: number;
  [key: string]: unknown;
}

/** An event to append. `id` defaults to a fresh UUIDv7; give it to make retries idempotent. */
export interface EventToAppend<Type extends string = string, Data = unknown> {
  id?: string;
  type: Type;
  data: Data;
  metadata?: Partial<EventMetadata>;
}

/** An event as the log recorded it. */
export interface RecordedEvent<Type extends string = string, Data = unknown> {
  id: string;
  type: Type;
  data: Data;
  metadata: EventMetadata;
  streamName: string;
  /** 0-based revision in its stream. */
  revision: number;
  /** Global position: strictly increasing in commit order across the whole log. */
  position: number;
  createdAt: Date;
}

export interface AppendOptions {
  expectedRevision?: ExpectedRevision;
}

export interface AppendResult {
  /** Revision of the last event of the batch: the expected revision for the next append. */
  nextExpectedRevision: number;
  /** Global position of the last event of the batch. */
  position: number;
}

export interface ReadStreamOptions {
  direction?: 'forwards' | 'backwards';
  /** Inclusive start revision (default: the start, or the end when reading backwards). */
  fromRevision?: number;
  maxCount?: number;
}

export interface ReadAllOptions {
  /** Exclusive: only events after this position (default: from the beginning). */
  fromPosition?: number;
  maxCount?: number;
}

export interface SubscribeToAllOptions {
  /** Exclusive: only events after this position (default: from the beginning). */
  fromPosition?: number;
}

/**
 * A catch-up subscription: yields history after `fromPosition`, then live events, in position
 * order, without gap or duplicate. Breaking out of the loop or calling `close()` ends it.
 */
export interface EventSubscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
}

export type StoreHealth = { status: 'up' | 'down'; adapter: string; lastPosition?: number; detail?: string };

export interface EventStore {
  /** Appends atomically; throws WrongExpectedVersionError on a revision mismatch. */
  appendToStream(streamName: string, events: readonly EventToAppend[], options?: AppendOptions): Promise<AppendResult>;
  /** A stream's events; an absent stream reads as an empty list. */
  readStream(streamName: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** Events of every stream in commit (position) order. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /**
   * The events at these global positions, in position order, each once; a position the log
   * does not hold is left out. For reads that already know where their events are (a read
   * model that keeps positions, as the indicators' explain does) without scanning the log.
   */
  readEvents(positions: readonly number[]): Promise<RecordedEvent[]>;
  subscribeToAll(options?: SubscribeToAllOptions): EventSubscription;
  /** Revision of the stream's last event, or -1 when it has none. */
  streamRevision(streamName: string): Promise<number>;
  /** Position of the last committed event, or 0 when the log is empty. */
  headPosition(): Promise<number>;
  health(): Promise<StoreHealth>;
  close(): Promise<void>;
}
