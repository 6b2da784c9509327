import { InvalidAppendError, prepareAppend, resolveRetry, WrongExpectedVersionError } from '#ruche/eventstore';

describe('prepareAppend', () => {
  const ok = [{ type: 'SpaceCreated', data: { name: 'TRIBU PIX' } }];

  it.each([
    ['space', 'streamName'],
    ['Space-1', 'streamName'],
    ['space-', 'streamName'],
    ['space-a b', 'streamName'],
    ['-abc', 'streamName'],
  ])('rejects stream name %p naming %s', (stream, field) => {
    expect(() => prepareAppend(stream, ok, 'any')).toThrow(expect.objectContaining({ field }));
  });

  it.each([['later'], [-1], [1.5], [null], [{}], [Number.NaN]])('rejects expectedRevision %p', (expected) => {
    expect(() => prepareAppend('space-1', ok, expected)).toThrow(expect.objectContaining({ field: 'expectedRevision' }));
  });

  it('rejects an empty type, a bad id, duplicated ids and non-JSON data, naming each', () => {
    expect(() => prepareAppend('space-1', [{ type: '', data: {} }], 'any')).toThrow(/events\[0\]\.type/);
    expect(() => prepareAppend('space-1', [{ type: '  ', data: {} }], 'any')).toThrow(/events\[0\]\.type/);
    expect(() => prepareAppend('space-1', [{ id: 'nope', type: 'A', data: {} }], 'any')).toThrow(/events\[0\]\.id/);
    const id = '0190a5b4-0000-7000-8000-000000000001';
    expect(() =>
      prepareAppend('space-1', [{ id, type: 'A', data: {} }, { id, type: 'B', data: {} }], 'any'),
    ).toThrow(/events\[1\]\.id/);
    expect(() => prepareAppend('space-1', [{ type: 'A', data: { n: 10n } }], 'any')).toThrow(/events\[0\]\.data/);
    expect(() => prepareAppend('space-1', [{ type: 'A', data: { f: () => 1 } }], 'any')).toThrow(/events\[0\]\.data/);
    expect(() => prepareAppend('space-1', [{ type: 'A', data: Infinity }], 'any')).toThrow(/events\[0\]\.data/);
    expect(() => prepareAppend('space-1', [{ type: 'A', data: undefined }], 'any')).toThrow(/events\[0\]\.data/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => prepareAppend('space-1', [{ type: 'A', data: cyclic }], 'any')).toThrow(InvalidAppendError);
    expect(() => prepareAppend('space-1', [], 'any')).toThrow(/events/);
  });

  it('refuses NUL and lone surrogates in types, and lower-cases ids so that one UUID has one spelling', () => {
    expect(() => prepareAppend('space-1', [{ type: 'A\u0000B', data: {} }], 'any')).toThrow(/events\[0\]\.type/);
    expect(() => prepareAppend('space-1', [{ type: 'A\ud800', data: {} }], 'any')).toThrow(/events\[0\]\.type/);
    const upper = '0190A5B4-0000-7000-8000-00000000000A';
    expect(prepareAppend('space-1', [{ id: upper, type: 'A', data: {} }], 'any')[0]!.id).toBe(upper.toLowerCase());
    expect(() =>
      prepareAppend('space-1', [{ id: upper, type: 'A', data: {} }, { id: upper.toLowerCase(), type: 'B', data: {} }], 'any'),
    ).toThrow(/events\[1\]\.id/);
  });

  it('fills ids (UUIDv7) and schemaVersion 1, keeping metadata', () => {
    const [event] = prepareAppend('establishment-0061234X', [{ type: 'A', data: { é: '✓' }, metadata: { userId: 'u' } }], 3);
    expect(event!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    expect(event!.metadata).toEqual({ userId: 'u', schemaVersion: 1 });
    expect(JSON.parse(event!.dataJson)).toEqual({ é: '✓' });
  });
});

describe('resolveRetry', () => {
  const at = (entries: Array<[string, number, number]>) =>
    new Map(entries.map(([id, revision, position]) => [id, { id, revision, position }]));

  it('answers a retry of a fully stored batch with where it landed', () => {
    expect(resolveRetry('s-1', -1 as never, 1, ['a', 'b'], at([['a', 0, 10], ['b', 1, 11]]))).toEqual({
      nextExpectedRevision: 1,
      position: 11,
    });
    expect(resolveRetry('s-1', 'no_stream', 1, ['a', 'b'], at([['a', 0, 10], ['b', 1, 11]])).position).toBe(11);
    expect(resolveRetry('s-1', 'any', 5, ['c'], at([['c', 4, 20]])).nextExpectedRevision).toBe(4);
  });

  it('refuses partial batches, other places and unknown ids', () => {
    expect(() => resolveRetry('s-1', 'no_stream', 1, ['a', 'b', 'c'], at([['a', 0, 1], ['b', 1, 2]]))).toThrow(
      WrongExpectedVersionError,
    );
    expect(() => resolveRetry('s-1', 3, 5, ['a'], at([['a', 0, 1]]))).toThrow(WrongExpectedVersionError);
    expect(() => resolveRetry('s-1', 'no_stream', 5, ['x'], at([]))).toThrow(WrongExpectedVersionError);
    expect(() => resolveRetry('s-1', 'any', 5, ['a', 'b'], at([['a', 0, 1], ['b', 2, 3]]))).toThrow(
      WrongExpectedVersionError,
    );
  });
});
