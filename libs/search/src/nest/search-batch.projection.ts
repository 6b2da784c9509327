import type { RecordedEvent } from '#ruche/eventstore';
import { insertRows, selectIn, type PhysicalTables, type SqlExecutor, type SqlValue } from '#ruche/projections';
import type { SearchType } from '../search-request.js';
import type { SearchEngine, SearchEntries, SearchEntryRow } from './search.projection.js';

/*
 * The search projection applied a batch at a time: the same tables as `apply` one event at a
 * time (a test holds them equal), because each event goes through the very code `apply` runs
 * (applyToEntries), only against rows held in memory for the batch. The rows the batch's events
 * look up are read in three queries up front; the entries created in the batch are written at
 * the end by multi-row inserts (and, on SQLite, multi-row inserts into the FTS table); the rare
 * changes and removals of entries older than the batch go through the engine one row at a
 * time, as `apply` would. A lookup of a row not read up front throws: the runner then applies
 * the batch again one event at a time, so a gap here costs speed, never exactness.
 * Events the index ignores (most of the log: reads, reactions) cost a lookup.
 */

type Apply = (event: RecordedEvent, entries: SearchEntries) => Promise<void>;

/** Events that create an entry (doc_id = their position), and what the others look up. */
const INSERTS = new Set(['TopicOpened', 'ReplyPosted', 'FaqEntryDrafted', 'DocumentCreated']);
const LOOKUPS: Readonly<Record<string, (data: Record<string, string>) => { ref?: [SearchType, string]; post?: string }>> = {
  ReplyPosted: (d) => ({ ref: ['topic', d.topicId!] }),
  PostEdited: (d) => ({ post: d.postId! }),
  PostDeleted: (d) => ({ post: d.postId! }),
  FaqEntryEdited: (d) => ({ ref: ['faq', d.entryId!] }),
  FaqEntryPublished: (d) => ({ ref: ['faq', d.entryId!] }),
  FaqEntryUnpublished: (d) => ({ ref: ['faq', d.entryId!] }),
  DocumentRevised: (d) => ({ ref: ['document', d.documentId!] }),
  DocumentRetitled: (d) => ({ ref: ['document', d.documentId!] }),
};
const HANDLED = new Set([...INSERTS, ...Object.keys(LOOKUPS)]);

const COLUMNS = 'doc_id, type, ref_id, space_id, topic_id, post_id, title, body, status, author_id, updated_at';


function selectEntries(tx: SqlExecutor, t: PhysicalTables, column: string, ids: ReadonlySet<string | number>): Promise<SearchEntryRow[]> {
  return selectIn<SearchEntryRow>(tx, `SELECT ${COLUMNS} FROM ${t.search_entries}`, column, ids);
}

interface Held {
  row: SearchEntryRow;
  /** In the table before the batch (else created by it). */
  stored: boolean;
  removed: boolean;
  /** Stored rows: changed by the batch, and whether their text was indexed again. */
  changed: boolean;
  reindexed: boolean;
}

const refKey = (type: string, id: string): string => `${type}\u0000${id}`;

export async function applySearchBatch(
  events: readonly RecordedEvent[],
  tx: SqlExecutor,
  t: PhysicalTables,
  engine: SearchEngine,
  apply: Apply,
): Promise<void> {
  const relevant = events.filter((event) => HANDLED.has(event.type));
  if (relevant.length === 0) return;

  const docIds = new Set<number>();
  const refIds = new Set<string>();
  const refs = new Set<string>();
  const posts = new Set<string>();
  for (const event of relevant) {
    if (INSERTS.has(event.type)) docIds.add(event.position);
    const lookup = LOOKUPS[event.type]?.(event.data as Record<string, string>);
    if (lookup?.ref) {
      refIds.add(lookup.ref[1]);
      refs.add(refKey(...lookup.ref));
    }
    if (lookup?.post) posts.add(lookup.post);
  }

  const held = new Map<number, Held>();
  const byRef = new Map<string, Held>();
  const byPost = new Map<string, Held[]>();
  const hold = (row: SearchEntryRow, stored: boolean): Held => {
    const entry: Held = { row, stored, removed: false, changed: false, reindexed: false };
    held.set(row.doc_id, entry);
    byRef.set(refKey(row.type, row.ref_id), entry);
    if (row.post_id !== null) byPost.set(row.post_id, [...(byPost.get(row.post_id) ?? []), entry]);
    return entry;
  };
  const loaded = [...(await selectEntries(tx, t, 'doc_id', docIds)), ...(await selectEntries(tx, t, 'ref_id', refIds)), ...(await selectEntries(tx, t, 'post_id', posts))];
  for (const row of loaded) {
    const docId = Number(row.doc_id);
    if (!held.has(docId)) hold({ ...row, doc_id: docId }, true);
  }

  const entries: SearchEntries = {
    async byRef(type, id) {
      const key = refKey(type, id);
      if (!refs.has(key)) throw new Error(`search batch: ${type} ${id} was not read for this batch`);
      const entry = byRef.get(key);
      return entry && !entry.removed ? { ...entry.row } : undefined;
    },
    async byPost(postId) {
      if (!posts.has(postId)) throw new Error(`search batch: post ${postId} was not read for this batch`);
      const live = (byPost.get(postId) ?? []).filter((entry) => !entry.removed);
      // Which of several rows a lone SELECT answers is the engine's choice: leave it to `apply`.
      if (live.length > 1) throw new Error(`search batch: ${live.length} entries hold post ${postId}`);
      return live[0] ? { ...live[0].row } : undefined;
    },
    async insert(row) {
      if (!docIds.has(row.doc_id)) throw new Error(`search batch: doc_id ${row.doc_id} was not read for this batch`);
      const existing = held.get(row.doc_id);
      if (existing && !existing.removed) return; // ON CONFLICT (doc_id) DO NOTHING
      const other = byRef.get(refKey(row.type, row.ref_id));
      // The unique (ref_id, type) index would refuse it: let `apply` fail on it.
      if (other && !other.removed) throw new Error(`search batch: ${row.type} ${row.ref_id} is there already`);
      hold({ ...row }, false);
    },
    async update(row, reindex) {
      const entry = held.get(row.doc_id);
      if (!entry || entry.removed) throw new Error(`search batch: entry ${row.doc_id} is not held`);
      entry.row = { ...row };
      entry.changed = true;
      entry.reindexed ||= reindex;
    },
    async remove(row) {
      const entry = held.get(row.doc_id);
      if (!entry || entry.removed) throw new Error(`search batch: entry ${row.doc_id} is not held`);
      entry.removed = true;
    },
  };
  for (const event of relevant) await apply(event, entries);

  // Older rows first, one at a time as `apply` writes them (rare), then the batch's new rows.
  const created: SearchEntryRow[] = [];
  for (const entry of held.values()) {
    if (!entry.stored) {
      if (!entry.removed) created.push(entry.row);
    } else if (entry.removed) {
      await engine.remove(tx, t, entry.row);
    } else if (entry.changed) {
      await engine.update(tx, t, entry.row, entry.reindexed);
    }
  }
  created.sort((a, b) => a.doc_id - b.doc_id);
  await engine.insertMany(tx, t, created);
}
