import { PassThrough } from 'node:stream';
import {
  ANY,
  MaxAppendSizeExceededError,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError as ClientWrongExpectedVersionError,
  type AllStreamResolvedEvent,
  type JSONRecordedEvent,
} from '@kurrent/kurrentdb-client';
import { InvalidAppendError, prepareAppend, WrongExpectedVersionError, type RecordedEvent } from '#ruche/eventstore';
import {
  isStreamNotFound,
  isSystemEvent,
  toAppendError,
  toEventData,
  toMetadata,
  toPosition,
  toReadPosition,
  toRecordedEvent,
  toRevision,
  toStreamState,
} from './kurrentdb-mapping.js';
import { KurrentDbSubscription, redactConnectionString, type ClientAllSubscription } from './kurrentdb-event-store.js';

function clientEvent(overrides: Partial<JSONRecordedEvent> = {}): JSONRecordedEvent {
  return {
    streamId: 'topic-0190a5b4-0000-7000-8000-000000000001',
    id: '0190a5b4-0000-7000-8000-0000000000aa',
    isJson: true,
    revision: 3n,
    type: 'ReplyPosted',
    created: new Date('2025-03-14T09:26:53.589Z'),
    data: { body: 'Bonjour 🐝' },
    metadata: { userId: 'u-1', correlationId: 'c-1', schemaVersion: 2, extra: { uai: '0061234X' } },
    position: { commit: 4242n, prepare: 4242n },
    ...overrides,
  } as JSONRecordedEvent;
}

describe('KurrentDB mapping', () => {
  it('maps every expectation to the client stream state', () => {
    expect(toStreamState('any')).toBe(ANY);
    expect(toStreamState('no_stream')).toBe(NO_STREAM);
    expect(toStreamState('stream_exists')).toBe(STREAM_EXISTS);
    expect(toStreamState(0)).toBe(0n);
    expect(toStreamState(41)).toBe(41n);
  });

  it('maps the current stream state to a revision, -1 for no stream, refusing unsafe numbers', () => {
    expect(toRevision(NO_STREAM)).toBe(-1);
    expect(toRevision(0n)).toBe(0);
    expect(toRevision(12n)).toBe(12);
    expect(() => toRevision(2n ** 63n)).toThrow(/revision/);
    expect(toPosition(123456789n)).toBe(123456789);
    expect(() => toPosition(2n ** 64n - 1n)).toThrow(/position \(18446744073709551615\)/);
  });

  it('starts reads at the start for no position or 0, and at { commit: p, prepare: p } otherwise', () => {
    expect(toReadPosition(undefined)).toBe(START);
    expect(toReadPosition(0)).toBe(START);
    expect(toReadPosition(4242)).toEqual({ commit: 4242n, prepare: 4242n });
  });

  it('recognises the server own events by a $ type or a $ stream', () => {
    expect(isSystemEvent({ type: '$statsCollected', streamId: '$stats-127.0.0.1:2113' })).toBe(true);
    expect(isSystemEvent({ type: '$>', streamId: '$ce-topic' })).toBe(true);
    expect(isSystemEvent({ type: '$metadata', streamId: '$$topic-1' })).toBe(true);
    expect(isSystemEvent({ type: 'Anything', streamId: '$projections-x' })).toBe(true);
    expect(isSystemEvent({ type: 'ReplyPosted', streamId: 'topic-1' })).toBe(false);
  });

  it('sends a prepared event as JSON with its id, type, data and metadata (schemaVersion kept)', () => {
    const [prepared] = prepareAppend(
      'faq-1',
      [{ id: '0190a5b4-0000-7000-8000-000000000002', type: 'EntryPublished', data: { q: 'Où ?', n: [1, 2] }, metadata: { userId: 'u' } }],
      'any',
    );
    expect(toEventData(prepared!)).toEqual({
      id: '0190a5b4-0000-7000-8000-000000000002',
      contentType: 'application/json',
      type: 'EntryPublished',
      data: { q: 'Où ?', n: [1, 2] },
      metadata: { userId: 'u', schemaVersion: 1 },
    });
  });

  it('reads metadata back, defaulting schemaVersion to 1 and ignoring non-object metadata', () => {
    expect(toMetadata(undefined)).toEqual({ schemaVersion: 1 });
    expect(toMetadata(new Uint8Array([1, 2]))).toEqual({ schemaVersion: 1 });
    expect(toMetadata(['a'])).toEqual({ schemaVersion: 1 });
    expect(toMetadata({ userId: 'u' })).toEqual({ userId: 'u', schemaVersion: 1 });
    expect(toMetadata({ userId: 'u', schemaVersion: 4, k: [null] })).toEqual({ userId: 'u', schemaVersion: 4, k: [null] });
  });

  it('maps a recorded event to the port shape, position from the record or the resolved event', () => {
    expect(toRecordedEvent(clientEvent())).toEqual({
      id: '0190a5b4-0000-7000-8000-0000000000aa',
      type: 'ReplyPosted',
      data: { body: 'Bonjour 🐝' },
      metadata: { userId: 'u-1', correlationId: 'c-1', schemaVersion: 2, extra: { uai: '0061234X' } },
      streamName: 'topic-0190a5b4-0000-7000-8000-000000000001',
      revision: 3,
      position: 4242,
      createdAt: new Date('2025-03-14T09:26:53.589Z'),
    });
    expect(toRecordedEvent(clientEvent({ position: undefined }), 77n).position).toBe(77);
    expect(() => toRecordedEvent(clientEvent({ position: undefined }))).toThrow(/22\.6/);
  });

  it('maps the client WrongExpectedVersionError to ours, with the actual revision or -1', () => {
    const absent = new ClientWrongExpectedVersionError(undefined, { streamName: 'space-1', expected: 3n, current: NO_STREAM });
    const mappedAbsent = toAppendError(absent, 'space-1', 3);
    expect(mappedAbsent).toBeInstanceOf(WrongExpectedVersionError);
    expect(mappedAbsent).toMatchObject({ streamName: 'space-1', expected: 3, actual: -1, code: 'WRONG_EXPECTED_VERSION' });

    const behind = new ClientWrongExpectedVersionError(undefined, { streamName: 'space-1', expected: NO_STREAM, current: 5n });
    expect(toAppendError(behind, 'space-1', 'no_stream')).toMatchObject({ expected: 'no_stream', actual: 5 });
  });

  it('turns an append over the server size limit into an InvalidAppendError, and leaves other errors alone', () => {
    const tooBig = toAppendError(MaxAppendSizeExceededError.fromMaxAppendSize(1048576), 'space-1', 'any');
    expect(tooBig).toBeInstanceOf(InvalidAppendError);
    expect(tooBig).toMatchObject({ field: 'events', message: expect.stringContaining('1048576') });
    const unavailable = new UnavailableError();
    expect(toAppendError(unavailable, 'space-1', 'any')).toBe(unavailable);
    const plain = new Error('boom');
    expect(toAppendError(plain, 'space-1', 'any')).toBe(plain);
    expect(toAppendError('weird', 'space-1', 'any')).toBe('weird');
  });

  it('recognises a missing stream', () => {
    expect(isStreamNotFound(new StreamNotFoundError(undefined, 'space-1'))).toBe(true);
    expect(isStreamNotFound(new UnavailableError())).toBe(false);
    expect(isStreamNotFound(undefined)).toBe(false);
  });

  it('hides credentials in a connection string', () => {
    expect(redactConnectionString('kurrentdb://admin:changeit@db:2113?tls=false')).toBe('kurrentdb://***@db:2113?tls=false');
    expect(redactConnectionString('kurrentdb://127.0.0.1:2113?tls=false')).toBe('kurrentdb://127.0.0.1:2113?tls=false');
  });
});

/**
 * The client's subscription is a Node.js Readable fed by a gRPC call, which needs a server. A
 * PassThrough in object mode is the same kind of stream, so the wrapper's own behaviour (mapping,
 * skipping, ending) is checked here; the gRPC side is the contract suite's, with a server.
 */
class FakeClientSubscription extends PassThrough implements ClientAllSubscription {
  unsubscribed = 0;
  constructor() {
    super({ objectMode: true });
  }
  async unsubscribe(): Promise<void> {
    this.unsubscribed++;
  }
}

function resolved(commit: bigint, overrides: Partial<JSONRecordedEvent> = {}): AllStreamResolvedEvent {
  return { event: clientEvent({ position: { commit, prepare: commit }, ...overrides }), commitPosition: commit } as AllStreamResolvedEvent;
}

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

describe('KurrentDbSubscription', () => {
  it('yields mapped events after fromPosition, skips system events, and close() ends a pending loop', async () => {
    const source = new FakeClientSubscription();
    const subscription = new KurrentDbSubscription(source, 100);
    const received: RecordedEvent[] = [];
    const loop = (async () => {
      for await (const event of subscription) received.push(event);
    })();
    source.write(resolved(100n));
    source.write(resolved(150n, { type: '$statsCollected', streamId: '$stats-1' }));
    source.write(resolved(200n));
    source.write({ commitPosition: 250n });
    source.write(resolved(300n, { revision: 4n }));
    await waitUntil(() => received.length === 2, 'two events');
    await subscription.close();
    await loop;
    expect(received.map((e) => [e.position, e.revision])).toEqual([
      [200, 3],
      [300, 4],
    ]);
    expect(source.unsubscribed).toBe(1);
    expect(source.destroyed).toBe(true);
  });

  it('unsubscribes when the consumer breaks out of the loop', async () => {
    const source = new FakeClientSubscription();
    const subscription = new KurrentDbSubscription(source, 0);
    source.write(resolved(10n));
    source.write(resolved(20n));
    for await (const event of subscription) {
      expect(event.position).toBe(10);
      break;
    }
    expect(source.unsubscribed).toBe(1);
    expect(source.destroyed).toBe(true);
  });

  it('hands a server error to the consumer, even one raised before it started reading', async () => {
    const source = new FakeClientSubscription();
    const subscription = new KurrentDbSubscription(source, 0);
    source.emit('error', new Error('access denied'));
    await expect(
      (async () => {
        for await (const event of subscription) void event;
      })(),
    ).rejects.toThrow('access denied');
    expect(source.unsubscribed).toBe(1);
  });
});
