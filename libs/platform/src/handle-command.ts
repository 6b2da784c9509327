import { v5 as uuidv5, v7 as uuidv7 } from 'uuid';
import { WrongExpectedVersionError, type EventStore, type RecordedEvent } from '#ruche/eventstore';

/** What the command side needs of a decider: pure decide and evolve, and its events' shapes. */
export interface StreamDecider<Command, Event extends { type: string; data: unknown }, State> {
  decide(command: Command, state: State): readonly Event[];
  evolve(state: State, event: Event): State;
  initialState(): State;
  readonly eventSchemaVersions: Readonly<Record<Event['type'], number>>;
}

/** Who and what a command is, as its events' metadata records it. */
export interface CommandContext {
  /**
   * Identifies the command: its events' ids derive from it, and a command whose events are
   * already in the stream is answered from them instead of deciding again. A client retry with
   * the same Idempotency-Key gets the same commandId (see IdempotencyInterceptor).
   */
  commandId: string;
  userId?: string;
  correlationId?: string;
  causationId?: string;
}

/** Where a command landed: the answer every command endpoint gives. */
export interface CommandResult<Event> {
  revision: number;
  position: number;
  /** The events this call decided ([] when nothing was to be done or the command had landed before). */
  events: readonly Event[];
  /** true when the command had already landed (a retry): nothing was written this time. */
  replayed: boolean;
}

/** A stream folded up to `revision`. */
export interface LoadedStream<State> {
  state: State;
  /** Revision of the last event, -1 for an empty stream. */
  revision: number;
  /** Position of the last event, 0 for an empty stream. */
  position: number;
  /**
   * commandId → where that command's last event landed, for every command seen in the stream.
   * Shared, append-only, by every state of one stream's lineage (copying it per command would
   * cost O(commands)); an entry counts for a state only when its revision ≤ the state's revision.
   */
  landed: Map<string, { revision: number; position: number }>;
}

const EVENT_ID_NAMESPACE = '6f1c3a0e-9a54-4c55-9a3b-2a1f0d8e4b71';

/** The id of the `index`-th event of a command: the same on every retry of that command. */
export function eventIdOf(commandId: string, index: number): string {
  return uuidv5(`${commandId}/${index}`, EVENT_ID_NAMESPACE);
}

/** A sub-command's id (a command that writes to a second stream), stable across retries. */
export function subCommandId(commandId: string, name: string): string {
  return uuidv5(`${commandId}:${name}`, EVENT_ID_NAMESPACE);
}

/** A command id for a command sent without an Idempotency-Key. */
export function newCommandId(): string {
  return uuidv7();
}

/**
 * Folded states of recently used streams, so that a command on a long stream reads only the
 * events appended since (from any process) instead of the whole stream: a stream of thousands of
 * posts costs what a fresh one does. States are immutable (evolve returns a new one), so an
 * entry is never changed in place; the least recently used entries go first.
 */
export class StreamStateCache {
  private readonly entries = new Map<string, LoadedStream<unknown>>();

  constructor(readonly maxStreams = 5000) {}

  get<State>(key: string): LoadedStream<State> | undefined {
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry as LoadedStream<State> | undefined;
  }

  set<State>(key: string, value: LoadedStream<State>): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.maxStreams) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** Keys the cache by stream and decider, as two deciders may fold one stream differently. */
const deciderKeys = new WeakMap<object, number>();
let nextDeciderKey = 1;
function cacheKey(streamName: string, decider: object): string {
  let key = deciderKeys.get(decider);
  if (key === undefined) {
    key = nextDeciderKey++;
    deciderKeys.set(decider, key);
  }
  return `${key}:${streamName}`;
}

function fold<Event extends { type: string; data: unknown }, State>(
  from: LoadedStream<State>,
  events: readonly RecordedEvent[],
  decider: Pick<StreamDecider<unknown, Event, State>, 'evolve'>,
): LoadedStream<State> {
  if (events.length === 0) return from;
  let { state } = from;
  const { landed } = from;
  for (const event of events) {
    state = decider.evolve(state, event as unknown as Event);
    const commandId = event.metadata.commandId;
    if (typeof commandId === 'string') landed.set(commandId, { revision: event.revision, position: event.position });
  }
  const last = events[events.length - 1]!;
  return { state, revision: last.revision, position: last.position, landed };
}

/**
 * The stream folded to its last event: from the cache plus the events appended since when a
 * cache is given, from the whole stream otherwise.
 */
export async function loadStream<Event extends { type: string; data: unknown }, State>(
  store: EventStore,
  streamName: string,
  decider: Pick<StreamDecider<unknown, Event, State>, 'evolve' | 'initialState'>,
  cache?: StreamStateCache,
): Promise<LoadedStream<State>> {
  const key = cache ? cacheKey(streamName, decider) : '';
  const cached = cache?.get<State>(key);
  const from: LoadedStream<State> = cached ?? { state: decider.initialState(), revision: -1, position: 0, landed: new Map() };
  const events = await store.readStream(streamName, from.revision >= 0 ? { fromRevision: from.revision + 1 } : {});
  const loaded = fold(from, events, decider);
  if (cache && loaded.revision >= 0) cache.set(key, loaded);
  return loaded;
}

/**
 * Load → decide → append with the revision loaded. A conflict means someone wrote meanwhile:
 * deciding again on the fresh state is safe (decide is pure), so it is retried a few times
 * before the conflict reaches the caller as a 409. A command whose events are already in the
 * stream (a retry after a lost answer) is answered from them and writes nothing. Nothing is
 * published here: events reach projections and websockets only through the store's subscription.
 */
export async function handleCommand<Command, Event extends { type: string; data: unknown }, State>(
  store: EventStore,
  streamName: string,
  decider: StreamDecider<Command, Event, State>,
  command: Command | ((state: State) => Command),
  context: CommandContext,
  options: { cache?: StreamStateCache; maxAttempts?: number } = {},
): Promise<CommandResult<Event>> {
  const maxAttempts = options.maxAttempts ?? 4;
  for (let attempt = 1; ; attempt++) {
    const loaded = await loadStream(store, streamName, decider, options.cache);
    const previously = loaded.landed.get(context.commandId);
    if (previously && previously.revision <= loaded.revision) return { ...previously, events: [], replayed: true };
    const cmd = typeof command === 'function' ? (command as (state: State) => Command)(loaded.state) : command;
    const events = decider.decide(cmd, loaded.state);
    if (events.length === 0) return { revision: loaded.revision, position: loaded.position, events, replayed: false };
    try {
      const result = await store.appendToStream(
        streamName,
        events.map((e, index) => ({
          id: eventIdOf(context.commandId, index),
          type: e.type,
          data: e.data,
          metadata: {
            commandId: context.commandId,
            userId: context.userId,
            correlationId: context.correlationId ?? context.commandId,
            causationId: context.causationId ?? context.commandId,
            schemaVersion: decider.eventSchemaVersions[e.type as Event['type']],
          },
        })),
        { expectedRevision: loaded.revision === -1 ? 'no_stream' : loaded.revision },
      );
      if (options.cache) {
        // What was just written is known: fold it in, so the next command reads nothing it need not.
        let state = loaded.state;
        for (const event of events) state = decider.evolve(state, event);
        const landed = loaded.landed.set(context.commandId, { revision: result.nextExpectedRevision, position: result.position });
        options.cache.set(cacheKey(streamName, decider), { state, revision: result.nextExpectedRevision, position: result.position, landed });
      }
      return { revision: result.nextExpectedRevision, position: result.position, events, replayed: false };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError && attempt < maxAttempts) continue;
      throw error;
    }
  }
}
