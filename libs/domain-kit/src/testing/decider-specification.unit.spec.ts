import { AssertionError } from 'node:assert';
import { type Decider, DomainError } from '#ruche/domain-kit';
import { DeciderSpecification } from '#ruche/domain-kit/testing';

// A counter small enough to see every path of the helper.
type Added = { type: 'Added'; data: { by: number } };
type Add = { type: 'Add'; data: { by: number } };
const counter: Decider<Add, Added, number> = {
  initialState: () => 0,
  evolve: (state, event) => state + event.data.by,
  decide: (command, state) => {
    if (command.data.by <= 0) throw DomainError.validation('by', 'must be positive');
    if (state + command.data.by > 10) throw DomainError.conflict('too much');
    if (command.data.by === 7) throw new TypeError('not a domain error');
    return state === 5 ? [] : [{ type: 'Added', data: { by: command.data.by } }];
  },
  eventSchemaVersions: { Added: 1 },
};
const add = (by: number): Add => ({ type: 'Add', data: { by } });
const added = (by: number): Added => ({ type: 'Added', data: { by } });
const given = DeciderSpecification.for(counter);

describe('DeciderSpecification', () => {
  it('folds the given events before deciding, and passes on the expected events', () => {
    given([added(4), added(5)]).when(add(1)).then([added(1)]);
    given(added(2)).when(add(1)).then(added(1));
    given().when(add(3)).then([added(3)]);
    given([added(5)]).when(add(1)).thenNothingHappens();
  });

  it('fails when the events differ, or when something happens instead of nothing', () => {
    expect(() => given([]).when(add(1)).then([added(2)])).toThrow(AssertionError);
    expect(() => given([]).when(add(1)).then([])).toThrow(AssertionError);
    expect(() => given([]).when(add(1)).thenNothingHappens()).toThrow(AssertionError);
  });

  it('fails when the given events do not lead where the test assumed (state really is folded)', () => {
    expect(() => given([added(10)]).when(add(1)).then([added(1)])).toThrow(/too much/);
  });

  it('passes thenThrows on the same code and field, and fails on any difference', () => {
    given([]).when(add(0)).thenThrows('VALIDATION', 'by');
    given([added(10)]).when(add(1)).thenThrows('CONFLICT');
    expect(() => given([]).when(add(0)).thenThrows('VALIDATION', 'other')).toThrow(AssertionError);
    expect(() => given([]).when(add(0)).thenThrows('VALIDATION')).toThrow(AssertionError);
    expect(() => given([]).when(add(0)).thenThrows('CONFLICT', 'by')).toThrow(AssertionError);
  });

  it('fails thenThrows when decide returns events, and lets other errors through', () => {
    expect(() => given([]).when(add(1)).thenThrows('CONFLICT')).toThrow(/expected a DomainError CONFLICT, but decide returned/);
    expect(() => given([]).when(add(7)).thenThrows('CONFLICT')).toThrow(TypeError);
  });
});
