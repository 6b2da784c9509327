import type {
  AppendOptions,
  AppendResult,
  EventStore,
  EventSubscription,
  EventToAppend,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StoreHealth,
  SubscribeToAllOptions,
} from './event-store.js';

/**
 * Turns an event of `type` at schema `fromVersion` into its next shape. Old events are upcast
 * on read and never rewritten: the log stays what happened.
 */
export interface Upcaster {
  type: string;
  fromVersion: number;
  upcast(event: RecordedEvent): RecordedEvent;
}

export function upcastEvent(event: RecordedEvent, upcasters: ReadonlyMap<string, Upcaster>): RecordedEvent {
  let current = event;
  for (let hops = 0; hops < 100; hops++) {
    const next = upcasters.get(`${current.type}@${current.metadata.schemaVersion}`);
    if (!next) return current;
    const upcast = next.upcast(current);
    if (upcast.metadata.schemaVersion <= current.metadata.schemaVersion && upcast.type === current.type) {
      throw new Error(`Upcaster for ${current.type}@${current.metadata.schemaVersion} must raise schemaVersion`);
    }
    current = upcast;
  }
  throw new Error(`Upcasting ${event.type} did not converge`);
}

/** Wraps any adapter so that everything read from it comes out in its latest shape. */
export function withUpcasters(store: EventStore, upcasters: readonly Upcaster[]): EventStore {
  if (upcasters.length === 0) return store;
  const byKey = new Map(upcasters.map((u) => [`${u.type}@${u.fromVersion}`, u]));
  const up = (e: RecordedEvent): RecordedEvent => upcastEvent(e, byKey);
  return {
    appendToStream: (s: string, e: readonly EventToAppend[], o?: AppendOptions): Promise<AppendResult> =>
      store.appendToStream(s, e, o),
    readStream: async (s: string, o?: ReadStreamOptions) => (await store.readStream(s, o)).map(up),
    readAll: async (o?: ReadAllOptions) => (await store.readAll(o)).map(up),
    readEvents: async (p: readonly number[]) => (await store.readEvents(p)).map(up),
    subscribeToAll(o?: SubscribeToAllOptions): EventSubscription {
      const inner = store.subscribeToAll(o);
      return {
        close: () => inner.close(),
        async *[Symbol.asyncIterator]() {
          for await (const e of inner) yield up(e);
        },
      };
    },
    streamRevision: (s: string) => store.streamRevision(s),
    headPosition: () => store.headPosition(),
    health: (): Promise<StoreHealth> => store.health(),
    close: () => store.close(),
  };
}
