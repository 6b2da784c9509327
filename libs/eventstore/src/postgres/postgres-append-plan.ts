import type { AppendResult, ExpectedRevision } from '../event-store.js';
import type { PreparedEvent } from '../append-validation.js';
import { expectationHolds, resolveRetry, type ExistingEvent } from '../append-rules.js';

/** One appendToStream call waiting in a group. */
export interface GroupedAppend {
  streamName: string;
  events: readonly PreparedEvent[];
  expected: ExpectedRevision;
  /** Ids the caller chose: only these can already be stored (fresh UUIDv7 ids cannot). */
  callerIds: readonly string[];
}

/** What the log holds, read under the append lock, for the streams and ids of a group. */
export interface GroupState {
  head: number;
  /** Current revision of each stream of the group that exists. */
  revisions: ReadonlyMap<string, number>;
  /** Caller-chosen ids already stored, by stream. */
  existing: ReadonlyMap<string, ReadonlyMap<string, ExistingEvent>>;
}

export interface PlannedRow {
  position: number;
  streamName: string;
  revision: number;
  event: PreparedEvent;
}

export type AppendOutcome = { ok: true; result: AppendResult } | { ok: false; error: unknown };

export interface GroupPlan {
  rows: PlannedRow[];
  /** Last revision and position of each stream the group writes to. */
  streamHeads: Map<string, { revision: number; position: number }>;
  outcomes: AppendOutcome[];
  head: number;
}

/**
 * Decides a whole group in call order, as if each append ran alone after the previous one:
 * an append sees the revisions and ids the earlier appends of its group will write, so two
 * appends to one stream chain, and a retry of an append of the same group is recognised.
 * Positions follow the log's head without gaps; the caller holds the append lock, so nobody
 * else can take them.
 */
export function planGroup(appends: readonly GroupedAppend[], state: GroupState): GroupPlan {
  const revisions = new Map(state.revisions);
  const existing = new Map<string, Map<string, ExistingEvent>>();
  for (const [stream, ids] of state.existing) existing.set(stream, new Map(ids));
  const rows: PlannedRow[] = [];
  const streamHeads = new Map<string, { revision: number; position: number }>();
  const outcomes: AppendOutcome[] = [];
  let head = state.head;

  for (const append of appends) {
    const current = revisions.get(append.streamName) ?? -1;
    const stored = existing.get(append.streamName);
    const anyStored = stored !== undefined && append.callerIds.some((id) => stored.has(id));
    if (!anyStored && expectationHolds(append.expected, current)) {
      let revision = current;
      let ids = stored;
      if (!ids) existing.set(append.streamName, (ids = new Map()));
      for (const event of append.events) {
        revision++;
        head++;
        rows.push({ position: head, streamName: append.streamName, revision, event });
        ids.set(event.id, { id: event.id, revision, position: head });
      }
      revisions.set(append.streamName, revision);
      streamHeads.set(append.streamName, { revision, position: head });
      outcomes.push({ ok: true, result: { nextExpectedRevision: revision, position: head } });
      continue;
    }
    try {
      const ids = append.events.map((e) => e.id);
      const result = resolveRetry(append.streamName, append.expected, current, ids, stored ?? new Map());
      outcomes.push({ ok: true, result });
    } catch (error) {
      outcomes.push({ ok: false, error });
    }
  }
  return { rows, streamHeads, outcomes, head };
}
