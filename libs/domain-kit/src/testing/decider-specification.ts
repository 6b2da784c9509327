import { deepStrictEqual, fail } from 'node:assert/strict';
import type { Decider } from '../decider.js';
import { DomainError, type DomainErrorCode } from '../domain-error.js';

/** What a specification can assert once the command is known. */
export interface DeciderThen<Event> {
  /** decide returns exactly these events, in this order. */
  then(expected: Event | readonly Event[]): void;
  /** decide returns [] (nothing to do). */
  thenNothingHappens(): void;
  /**
   * decide throws a DomainError with this code and this field; omitting `field` asserts the
   * error names none, so a VALIDATION test always says which field it expects.
   */
  thenThrows(code: DomainErrorCode, field?: string): void;
}

export interface DeciderWhen<Command, Event> {
  when(command: Command): DeciderThen<Event>;
}

/** `given(events).when(command).then(events)`: a decider's behaviour, stated on events only. */
export type DeciderSpecification<Command, Event> = (given?: Event | readonly Event[]) => DeciderWhen<Command, Event>;

const asList = <T>(value: T | readonly T[] | undefined): readonly T[] =>
  value === undefined ? [] : Array.isArray(value) ? (value as readonly T[]) : [value as T];

/**
 * After oskardudycz's decider specification (EventSourcing.NodeJS, samples/decider): the state is
 * rebuilt by folding the given events, so a test never builds internal state by hand.
 *
 * ```ts
 * const given = DeciderSpecification.for(spaceDecider);
 * given([created]).when(join).then([joined]);
 * ```
 */
export const DeciderSpecification = {
  for<Command, Event extends { type: string }, State>(decider: Pick<Decider<Command, Event, State>, 'decide' | 'evolve' | 'initialState'>): DeciderSpecification<Command, Event> {
    return (given) => ({
      when(command: Command): DeciderThen<Event> {
        const run = (): Event[] => {
          const state = asList(given).reduce((s, e) => decider.evolve(s, e), decider.initialState());
          return decider.decide(command, state);
        };
        return {
          then(expected) {
            deepStrictEqual(run(), [...asList(expected)]);
          },
          thenNothingHappens() {
            deepStrictEqual(run(), []);
          },
          thenThrows(code, field) {
            let events: Event[];
            try {
              events = run();
            } catch (error) {
              if (!(error instanceof DomainError)) throw error;
              deepStrictEqual({ code: error.code, field: error.field }, { code, field }, `DomainError: ${error.message}`);
              return;
            }
            fail(`expected a DomainError ${code}${field ? ` on ${field}` : ''}, but decide returned ${JSON.stringify(events)}`);
          },
        };
      },
    });
  },
};
