import { v7 as uuidv7 } from 'uuid';
import { prepareAppend, WrongExpectedVersionError, type ExpectedRevision } from '#ruche/eventstore';
import { planGroup, type GroupedAppend, type GroupState } from './postgres-append-plan.js';

function append(streamName: string, count: number, expected: ExpectedRevision, ids?: string[]): GroupedAppend {
  const events = prepareAppend(
    streamName,
    Array.from({ length: count }, (_, i) => ({ id: ids?.[i], type: 'Planned', data: { i } })),
    expected,
  );
  return { streamName, events, expected, callerIds: ids ?? [] };
}

const empty: GroupState = { head: 0, revisions: new Map(), existing: new Map() };

describe('planGroup', () => {
  it('gives positions after the head, without gaps, in call order across streams', () => {
    const plan = planGroup([append('space-a', 2, 'any'), append('space-b', 1, 'no_stream'), append('space-a', 1, 1)], {
      ...empty,
      head: 41,
    });
    expect(plan.rows.map((r) => [r.streamName, r.revision, r.position])).toEqual([
      ['space-a', 0, 42],
      ['space-a', 1, 43],
      ['space-b', 0, 44],
      ['space-a', 2, 45],
    ]);
    expect(plan.outcomes).toEqual([
      { ok: true, result: { nextExpectedRevision: 1, position: 43 } },
      { ok: true, result: { nextExpectedRevision: 0, position: 44 } },
      { ok: true, result: { nextExpectedRevision: 2, position: 45 } },
    ]);
    expect([...plan.streamHeads]).toEqual([
      ['space-a', { revision: 2, position: 45 }],
      ['space-b', { revision: 0, position: 44 }],
    ]);
    expect(plan.head).toBe(45);
  });

  it('decides each append against what the earlier ones of its group will have written', () => {
    const ids = [uuidv7(), uuidv7()];
    const plan = planGroup(
      [
        append('space-a', 2, 'no_stream', ids),
        append('space-a', 1, 'no_stream'),
        append('space-a', 2, 'no_stream', ids),
        append('space-a', 1, 0),
      ],
      { head: 10, revisions: new Map([['space-b', 4]]), existing: new Map() },
    );
    expect(plan.rows).toHaveLength(2);
    expect(plan.outcomes[1]).toMatchObject({ ok: false, error: expect.any(WrongExpectedVersionError) });
    expect(plan.outcomes[1]).toMatchObject({ error: { expected: 'no_stream', actual: 1 } });
    expect(plan.outcomes[2]).toEqual({ ok: true, result: { nextExpectedRevision: 1, position: 12 } });
    expect(plan.outcomes[3]).toMatchObject({ ok: false, error: { expected: 0, actual: 1 } });
  });

  it('answers a retry of ids already stored with where they landed, writing nothing', () => {
    const ids = [uuidv7(), uuidv7()];
    const state: GroupState = {
      head: 100,
      revisions: new Map([['space-a', 6]]),
      existing: new Map([
        [
          'space-a',
          new Map([
            [ids[0], { id: ids[0], revision: 5, position: 90 }],
            [ids[1], { id: ids[1], revision: 6, position: 91 }],
          ]),
        ],
      ]),
    };
    const plan = planGroup([append('space-a', 2, 4, ids), append('space-a', 2, 'any', ids)], state);
    expect(plan.rows).toEqual([]);
    expect(plan.outcomes).toEqual([
      { ok: true, result: { nextExpectedRevision: 6, position: 91 } },
      { ok: true, result: { nextExpectedRevision: 6, position: 91 } },
    ]);
    expect(plan.head).toBe(100);
  });
});
