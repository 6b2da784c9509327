/**
 * A stream's model as a decider (Jérémie Chassaing's pattern, as in Emmett): `decide` turns a
 * command and the current state into new events without I/O; `evolve` folds one event into the
 * state; `initialState` is the state of a stream with no events.
 */
export interface Decider<Command, Event, State> {
  /** Throws a DomainError before building any event; returns [] when there is nothing to do. */
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  initialState(): State;
}

/** The state after `events`, folded from the initial state. */
export function foldEvents<Command, Event, State>(decider: Decider<Command, Event, State>, events: readonly Event[]): State {
  return events.reduce((state, event) => decider.evolve(state, event), decider.initialState());
}
