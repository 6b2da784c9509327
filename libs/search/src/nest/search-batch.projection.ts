import type { RecordedEvent } from '#ruche/eventstore';
import { selectIn, type PhysicalTables, type ReplayFold, type SqlExecutor } from '#ruche/projections';
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
  const fold = new SearchFold(engine, apply);
  await fold.applyBatch(events, tx, t);
  await fold.finish(tx, t);
}

/**
 * Search entries folded in memory: one batch's (applyBatch above), or a whole replay's
 * (Projection.replayFold). A replay from 0 into empty tables holds every entry it made, so no
 * batch reads anything back (each reply looked its topic's entry up, a school year's replay
 * read ~300,000 rows with their text back) and no entry is updated in the table: each is
 * written once, as it ends up, at `finish`. Past `maxHeld` entries it writes them early, and
 * from then on reads back what it no longer holds, as a batch does.
 */
export class SearchFold implements ReplayFold {
  private readonly held = new Map<number, Held>();
  private readonly byRef = new Map<string, Held>();
  private readonly byPost = new Map<string, Held[]>();
  /** Keys whose rows of the tables are all held (read back, or none there). */
  private readonly knownDocIds = new Set<number>();
  private readonly knownRefs = new Set<string>();
  private readonly knownPosts = new Set<string>();

  /**
   * @param fresh the tables are empty (a replay from 0 into new shadow tables): until its first
   *   write every row there is is held, so nothing is read back, and that write inserts without
   *   ON CONFLICT.
   */
  constructor(
    private readonly engine: SearchEngine,
    private readonly apply: Apply,
    private readonly maxHeld = Number.POSITIVE_INFINITY,
    private fresh = false,
  ) {}

  async applyBatch(events: readonly RecordedEvent[], tx: SqlExecutor, t: PhysicalTables): Promise<void> {
    const relevant = events.filter((event) => HANDLED.has(event.type));
    if (relevant.length === 0) return;
    const { held, byRef, byPost, knownDocIds, knownRefs, knownPosts } = this;
    if (!this.fresh) await this.readBack(relevant, tx, t);

    const complete = this.fresh;
    const known = {
      docId: (docId: number) => complete || knownDocIds.has(docId),
      ref: (key: string) => complete || knownRefs.has(key),
      post: (postId: string) => complete || knownPosts.has(postId),
    };
    const hold = (row: SearchEntryRow, stored: boolean): void => this.hold(row, stored);
    const entries: SearchEntries = {
      async byRef(type, id) {
        const key = refKey(type, id);
        if (!known.ref(key)) throw new Error(`search batch: ${type} ${id} was not read for this batch`);
        const entry = byRef.get(key);
        return entry && !entry.removed ? { ...entry.row } : undefined;
      },
      async byPost(postId) {
        if (!known.post(postId)) throw new Error(`search batch: post ${postId} was not read for this batch`);
        const live = (byPost.get(postId) ?? []).filter((entry) => !entry.removed);
        // Which of several rows a lone SELECT answers is the engine's choice: leave it to `apply`.
        if (live.length > 1) throw new Error(`search batch: ${live.length} entries hold post ${postId}`);
        return live[0] ? { ...live[0].row } : undefined;
      },
      async insert(row) {
        if (!known.docId(row.doc_id)) throw new Error(`search batch: doc_id ${row.doc_id} was not read for this batch`);
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
    for (const event of relevant) await this.apply(event, entries);
    if (held.size > this.maxHeld) await this.finish(tx, t);
  }

  /** Writes what it holds and forgets it: later batches read those entries back. */
  async finish(tx: SqlExecutor, t: PhysicalTables): Promise<void> {
    // Older rows first, one at a time as `apply` writes them (rare), then the new rows.
    const created: SearchEntryRow[] = [];
    for (const entry of this.held.values()) {
      if (!entry.stored) {
        if (!entry.removed) created.push(entry.row);
      } else if (entry.removed) {
        await this.engine.remove(tx, t, entry.row);
      } else if (entry.changed) {
        await this.engine.update(tx, t, entry.row, entry.reindexed);
      }
    }
    created.sort((a, b) => a.doc_id - b.doc_id);
    // Into empty tables, every row is new: a plain insert (see `fresh`).
    const fresh = this.fresh;
    this.fresh = false;
    await this.engine.insertMany(tx, t, created, fresh);
    this.held.clear();
    this.byRef.clear();
    this.byPost.clear();
    this.knownDocIds.clear();
    this.knownRefs.clear();
    this.knownPosts.clear();
  }

  private hold(row: SearchEntryRow, stored: boolean): void {
    const entry: Held = { row, stored, removed: false, changed: false, reindexed: false };
    this.held.set(row.doc_id, entry);
    this.byRef.set(refKey(row.type, row.ref_id), entry);
    if (row.post_id !== null) this.byPost.set(row.post_id, [...(this.byPost.get(row.post_id) ?? []), entry]);
  }

  /** Reads back, in three queries, the rows the batch's events look up that it does not know yet. */
  private async readBack(relevant: readonly RecordedEvent[], tx: SqlExecutor, t: PhysicalTables): Promise<void> {
    const docIds = new Set<number>();
    const refs = new Set<string>();
    const refIds = new Set<string>();
    const posts = new Set<string>();
    for (const event of relevant) {
      if (INSERTS.has(event.type) && !this.knownDocIds.has(event.position)) docIds.add(event.position);
      const lookup = LOOKUPS[event.type]?.(event.data as Record<string, string>);
      if (lookup?.ref && !this.knownRefs.has(refKey(...lookup.ref))) {
        refs.add(refKey(...lookup.ref));
        refIds.add(lookup.ref[1]);
      }
      if (lookup?.post && !this.knownPosts.has(lookup.post)) posts.add(lookup.post);
    }
    const loaded = [...(await selectEntries(tx, t, 'doc_id', docIds)), ...(await selectEntries(tx, t, 'ref_id', refIds)), ...(await selectEntries(tx, t, 'post_id', posts))];
    for (const row of loaded) {
      const docId = Number(row.doc_id);
      if (!this.held.has(docId)) this.hold({ ...row, doc_id: docId }, true);
    }
    for (const docId of docIds) this.knownDocIds.add(docId);
    for (const ref of refs) this.knownRefs.add(ref);
    for (const post of posts) this.knownPosts.add(post);
  }
}
