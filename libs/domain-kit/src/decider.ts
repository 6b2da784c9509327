/**
 * A stream's model as a decider (Jérémie Chassaing's pattern, as in Emmett): `decide` turns a
 * command and the current state into new events without I/O; `evolve` folds one event into the
 * state; `initialState` is the state of a stream with no events.
 *
 * `evolve` must return a new state and never change the one it is given: the command side caches
 * states per stream and folds only the events appended since.
 *
 * `eventSchemaVersions` says which shape of each event type `decide` writes; an event read back
 * with an older version is upcast before `evolve` sees it (see the eventstore's Upcaster).
 */
export interface Decider<Command, Event extends { type: string }, State> {
  /** Throws a DomainError before building any event; returns [] when there is nothing to do. */
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  initialState(): State;
  readonly eventSchemaVersions: EventSchemaVersions<Event['type']>;
}

/** The schema version each event type is written with; a record, so none can be left out. */
export type EventSchemaVersions<Type extends string> = Readonly<Record<Type, number>>;

/** The state after `events`, folded from the initial state. */
export function foldEvents<Command, Event extends { type: string }, State>(
  decider: Pick<Decider<Command, Event, State>, 'evolve' | 'initialState'>,
  events: readonly Event[],
): State {
  return events.reduce((state, event) => decider.evolve(state, event), decider.initialState());
}
