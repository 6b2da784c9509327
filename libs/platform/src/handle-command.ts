import { WrongExpectedVersionError, type EventStore, type RecordedEvent } from '#ruche/eventstore';

/** What a decider needs here: pure decide and evolve over `{ type, data }` events. */
export interface StreamDecider<Command, Event extends { type: string; data: unknown }, State> {
  decide(command: Command, state: State): readonly Event[];
  evolve(state: State, event: Event): State;
  initialState(): State;
}

export interface CommandContext {
  userId?: string;
  correlationId?: string;
  causationId?: string;
}

/** Where a command landed: the answer every command endpoint gives. */
export interface CommandResult<Event> {
  revision: number;
  position: number;
  events: readonly Event[];
}

export async function loadStream<Event extends { type: string; data: unknown }, State>(
  store: EventStore,
  streamName: string,
  decider: Pick<StreamDecider<unknown, Event, State>, 'evolve' | 'initialState'>,
): Promise<{ state: State; revision: number; position: number; events: RecordedEvent[] }> {
  const events = await store.readStream(streamName);
  let state = decider.initialState();
  for (const event of events) state = decider.evolve(state, event as unknown as Event);
  const last = events[events.length - 1];
  return { state, revision: last ? last.revision : -1, position: last ? last.position : 0, events };
}

/**
 * Load → decide → append with the revision loaded. A conflict means someone wrote meanwhile:
 * deciding again on the fresh state is safe (decide is pure), so it is retried a few times
 * before the conflict reaches the caller as a 409. Nothing is published here: events reach
 * projections and websockets only through the store's subscription.
 */
export async function handleCommand<Command, Event extends { type: string; data: unknown }, State>(
  store: EventStore,
  streamName: string,
  decider: StreamDecider<Command, Event, State>,
  command: Command | ((state: State) => Command),
  context: CommandContext = {},
  maxAttempts = 4,
): Promise<CommandResult<Event>> {
  for (let attempt = 1; ; attempt++) {
    const loaded = await loadStream(store, streamName, decider);
    const cmd = typeof command === 'function' ? (command as (state: State) => Command)(loaded.state) : command;
    const events = decider.decide(cmd, loaded.state);
    if (events.length === 0) return { revision: loaded.revision, position: loaded.position, events };
    try {
      const result = await store.appendToStream(
        streamName,
        events.map((e) => ({
          type: e.type,
          data: e.data,
          metadata: { userId: context.userId, correlationId: context.correlationId, causationId: context.causationId, schemaVersion: 1 },
        })),
        { expectedRevision: loaded.revision === -1 ? 'no_stream' : loaded.revision },
      );
      return { revision: result.nextExpectedRevision, position: result.position, events };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError && attempt < maxAttempts) continue;
      throw error;
    }
  }
}
