import type { RecordedEvent, Upcaster } from '#ruche/eventstore';
import { upcastSpaceCreatedV1 } from '../space.js';

/** Older shapes of space events, read as today's (never rewritten in the log). */
export const spaceUpcasters: Upcaster[] = [
  {
    type: 'SpaceCreated',
    fromVersion: 1,
    upcast: (event: RecordedEvent): RecordedEvent => ({
      ...event,
      data: upcastSpaceCreatedV1(event.data as Record<string, unknown>),
      metadata: { ...event.metadata, schemaVersion: 2 },
    }),
  },
];
