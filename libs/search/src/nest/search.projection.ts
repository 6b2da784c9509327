import type { RecordedEvent } from '#ruche/eventstore';
import { isDocumentEvent } from '#ruche/documents';
import { isFaqEvent } from '#ruche/faq';
import { isTopicEvent } from '#ruche/forums';
import { plainText } from '#ruche/markdown';
import { insertRows, REPLAY_FOLD_MAX_ROWS, type PhysicalTables, type Projection, type SqlDialect, type SqlExecutor, type SqlValue } from '#ruche/projections';
import { foldText, stemmedText } from '../french-text.js';
import type { SearchType } from '../search-request.js';
import { applySearchBatch, SearchFold } from './search-batch.projection.js';

export const SEARCH_PROJECTION = 'search';

/** A hit's visibility beyond the space's: FAQ drafts are for their author and the managers. */
export type EntryStatus = 'published' | 'draft';

/** One searchable thing, as `search_entries` holds it. */
export interface SearchEntryRow {
  /** The log position of the event that created it: unique, deterministic, and SQLite's FTS rowid. */
  doc_id: number;
  type: SearchType;
  /** The topic's, reply's, FAQ entry's or fiche's id. */
  ref_id: string;
  space_id: string;
  topic_id: string | null;
  /** The post whose body the entry holds: a reply's own id, a topic's opening post. */
  post_id: string | null;
  /** What a hit shows as its title: the topic's title for a reply too (not indexed for it). */
  title: string;
  /** Plain text (the Markdown as read), where excerpts come from. */
  body: string;
  status: EntryStatus;
  author_id: string;
  updated_at: string;
}

/** A NUL cannot be stored in a PostgreSQL text; Markdown bodies never have one (markdown-it replaces it), titles might. */
const clean = (title: string): string => title.replaceAll('\u0000', '');

const COLUMNS = 'doc_id, type, ref_id, space_id, topic_id, post_id, title, body, status, author_id, updated_at';

/** What the index matches on: a reply's title is its topic's, already found through the topic. */
const indexedTitle = (row: SearchEntryRow): string => (row.type === 'post' ? '' : row.title);

const rowValues = (row: SearchEntryRow) =>
  [row.doc_id, row.type, row.ref_id, row.space_id, row.topic_id, row.post_id, row.title, row.body, row.status, row.author_id, row.updated_at] as const;

/**
 * The engine-specific half of the index. The read-store port keeps SQL portable, but full-text
 * search is where SQLite and PostgreSQL have nothing in common (FTS5 virtual tables and MATCH;
 * tsvector, GIN and @@), so this projection, and the query beside it, branch on the dialect.
 * Everything else (which events make which entry, the `search_entries` table) is shared.
 */
export interface SearchEngine {
  readonly tables: readonly string[];
  /** Columns of `search_entries` that only this engine has. */
  readonly extraColumns: string;
  createIndex(db: SqlExecutor, t: PhysicalTables): Promise<void>;
  /** Optional: indexes only queries read through, built once over a rebuild's rows (Projection.createQueryIndexes). */
  createQueryIndexes?(db: SqlExecutor, t: PhysicalTables): Promise<void>;
  /** Inserts `row` (nothing when a row with its doc_id exists) and indexes its text. */
  insert(tx: SqlExecutor, t: PhysicalTables, row: SearchEntryRow): Promise<void>;
  /**
   * Inserts and indexes rows that no row has the doc_id of (the batch read them), in multi-row
   * statements; throws when one was there after all, and the batch is applied again one by one.
   * `fresh`: into empty tables (a replay's first write), without ON CONFLICT.
   */
  insertMany(tx: SqlExecutor, t: PhysicalTables, rows: readonly SearchEntryRow[], fresh?: boolean): Promise<void>;
  /** Replaces the row's fields, re-indexing its text when `reindex`. */
  update(tx: SqlExecutor, t: PhysicalTables, row: SearchEntryRow, reindex: boolean): Promise<void>;
  remove(tx: SqlExecutor, t: PhysicalTables, row: SearchEntryRow): Promise<void>;
}

const UPDATE_ROW = (table: string, extra = ''): string =>
  `UPDATE ${table} SET title = $2, body = $3, status = $4, updated_at = $5${extra} WHERE doc_id = $1`;

/**
 * SQLite: a contentless FTS5 table (`content=''`, so the text is not stored twice, and
 * `contentless_delete=1`, so a row can be deleted by rowid) over the stems of each entry's title
 * and body (french-text.ts), with the entry's doc_id as rowid. The unicode61 tokenizer with
 * remove_diacritics 2 finds the same words as our folding, which has already removed accents.
 * The runner's rebuild drops and renames tables: FTS5 renames its own shadow tables
 * (`<name>_data`, `_idx`, `_docsize`, `_config`) with the virtual table, and drops them with it.
 */
const sqliteEngine: SearchEngine = {
  tables: ['search_entries', 'search_fts'],
  extraColumns: '',
  async createIndex(db, t) {
    await db.execute(
      `CREATE VIRTUAL TABLE IF NOT EXISTS ${t.search_fts} USING fts5(title, body, content = '', contentless_delete = 1,
         tokenize = 'unicode61 remove_diacritics 2')`,
    );
  },
  async insert(tx, t, row) {
    const inserted = await tx.execute(
      `INSERT INTO ${t.search_entries} (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (doc_id) DO NOTHING`,
      rowValues(row),
    );
    if (inserted.rowCount === 0) return;
    await tx.execute(`INSERT INTO ${t.search_fts} (rowid, title, body) VALUES ($1, $2, $3)`, [
      row.doc_id,
      stemmedText(indexedTitle(row)),
      stemmedText(row.body),
    ]);
  },
  async insertMany(tx, t, rows, fresh = false) {
    const inserted = await insertRows(tx, `INSERT INTO ${t.search_entries} (${COLUMNS})`, 11, rows.map((row) => [...rowValues(row)]), fresh ? '' : 'ON CONFLICT (doc_id) DO NOTHING');
    if (inserted !== rows.length) throw new Error(`search batch: ${rows.length - inserted} entries were there already`);
    await insertRows(
      tx,
      `INSERT INTO ${t.search_fts} (rowid, title, body)`,
      3,
      rows.map((row) => [row.doc_id, stemmedText(indexedTitle(row)), stemmedText(row.body)]),
      '',
    );
  },
  async update(tx, t, row, reindex) {
    await tx.execute(UPDATE_ROW(t.search_entries!), [row.doc_id, row.title, row.body, row.status, row.updated_at]);
    if (!reindex) return;
    await tx.execute(`DELETE FROM ${t.search_fts} WHERE rowid = $1`, [row.doc_id]);
    await tx.execute(`INSERT INTO ${t.search_fts} (rowid, title, body) VALUES ($1, $2, $3)`, [
      row.doc_id,
      stemmedText(indexedTitle(row)),
      stemmedText(row.body),
    ]);
  },
  async remove(tx, t, row) {
    await tx.execute(`DELETE FROM ${t.search_entries} WHERE doc_id = $1`, [row.doc_id]);
    await tx.execute(`DELETE FROM ${t.search_fts} WHERE rowid = $1`, [row.doc_id]);
  },
};

/**
 * PostgreSQL: a tsvector column beside the text, under a GIN index, built by the `french`
 * configuration from the folded text (its stemmer does not remove accents): the title weighs A,
 * the body D, so a title hit ranks first.
 */
const DOCUMENT = `setweight(to_tsvector('french', $12), 'A') || setweight(to_tsvector('french', $13), 'D')`;
const postgresEngine: SearchEngine = {
  tables: ['search_entries'],
  extraColumns: ', document tsvector NOT NULL',
  async createIndex() {
    // The text index is for queries only (createQueryIndexes).
  },
  // Built once over a rebuild's rows: grown entry by entry, its pending list was merged again and
  // again during the replay, and VACUUM merged the rest.
  async createQueryIndexes(db, t) {
    await db.execute(`CREATE INDEX IF NOT EXISTS ${t.search_entries}_document ON ${t.search_entries} USING GIN (document)`);
  },
  async insert(tx, t, row) {
    await tx.execute(
      `INSERT INTO ${t.search_entries} (${COLUMNS}, document)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, ${DOCUMENT}) ON CONFLICT (doc_id) DO NOTHING`,
      [...rowValues(row), foldText(indexedTitle(row)), foldText(row.body)],
    );
  },
  async insertMany(tx, t, rows, fresh = false) {
    const inserted = await insertRows(
      tx,
      `INSERT INTO ${t.search_entries} (${COLUMNS}, document)`,
      13,
      rows.map((row): SqlValue[] => [...rowValues(row), foldText(indexedTitle(row)), foldText(row.body)]),
      fresh ? '' : 'ON CONFLICT (doc_id) DO NOTHING',
      // The last two values of each row are the texts its tsvector is made of.
      (p) => `${p.slice(0, 11).join(', ')}, setweight(to_tsvector('french', ${p[11]}), 'A') || setweight(to_tsvector('french', ${p[12]}), 'D')`,
    );
    if (inserted !== rows.length) throw new Error(`search batch: ${rows.length - inserted} entries were there already`);
  },
  async update(tx, t, row, reindex) {
    if (!reindex) {
      await tx.execute(UPDATE_ROW(t.search_entries!), [row.doc_id, row.title, row.body, row.status, row.updated_at]);
      return;
    }
    await tx.execute(
      UPDATE_ROW(t.search_entries!, `, document = setweight(to_tsvector('french', $6), 'A') || setweight(to_tsvector('french', $7), 'D')`),
      [row.doc_id, row.title, row.body, row.status, row.updated_at, foldText(indexedTitle(row)), foldText(row.body)],
    );
  },
  async remove(tx, t, row) {
    await tx.execute(`DELETE FROM ${t.search_entries} WHERE doc_id = $1`, [row.doc_id]);
  },
};

const engines: Readonly<Record<SqlDialect, SearchEngine>> = { sqlite: sqliteEngine, postgres: postgresEngine };

/**
 * The French full-text index of what people write in spaces: one entry per topic (its title
 * and opening post), reply, FAQ entry (question and answer, with its draft/published status)
 * and fiche PIX (title and current body). Bodies are indexed as plain text (what readers
 * see, no Markdown syntax); a deleted reply leaves the index, a deleted opening post leaves
 * its topic's title only. Access is not decided here: queries join the spaces read model.
 *
 * `dialect` is the read store's (SqlDatabase.dialect): the projection runs on one engine for its
 * whole life, and the executors the runner hands to `apply` do not say which.
 */
export function searchProjection(dialect: SqlDialect): Projection {
  const engine = engines[dialect];
  const entryBy = (tx: SqlExecutor, t: PhysicalTables, where: string, params: readonly string[]) =>
    tx.queryOne<SearchEntryRow>(`SELECT ${COLUMNS} FROM ${t.search_entries} WHERE ${where}`, params);
  /** The tables themselves, one statement at a time: what `apply` reads and writes. */
  const sqlEntries = (tx: SqlExecutor, t: PhysicalTables): SearchEntries => ({
    byRef: (type, id) => entryBy(tx, t, 'ref_id = $1 AND type = $2', [id, type]),
    byPost: (postId) => entryBy(tx, t, 'post_id = $1', [postId]),
    insert: (row) => engine.insert(tx, t, row),
    update: (row, reindex) => engine.update(tx, t, row, reindex),
    remove: (row) => engine.remove(tx, t, row),
  });

  return {
    name: SEARCH_PROJECTION,
    version: 1,
    // Seconds to replay a school year (see Projection.replayWeight).
    replayWeight: { sqlite: 25, postgres: 32 },
    // Consultations and reactions change no text (see Projection.ignores).
    ignores: ['TopicRead', 'TopicCaughtUp', 'DocumentRead', 'ReactionAdded', 'ReactionRemoved'],
    tables: engine.tables,
    async createTables(db: SqlExecutor, t: PhysicalTables): Promise<void> {
      await db.execute(
        `CREATE TABLE IF NOT EXISTS ${t.search_entries} (
           doc_id BIGINT PRIMARY KEY,
           type TEXT NOT NULL,
           ref_id TEXT NOT NULL,
           space_id TEXT NOT NULL,
           topic_id TEXT,
           post_id TEXT,
           title TEXT NOT NULL,
           body TEXT NOT NULL,
           status TEXT NOT NULL,
           author_id TEXT NOT NULL,
           updated_at TEXT NOT NULL${engine.extraColumns}
         )`,
      );
      await db.execute(`CREATE UNIQUE INDEX IF NOT EXISTS ${t.search_entries}_by_ref ON ${t.search_entries} (ref_id, type)`);
      await db.execute(`CREATE INDEX IF NOT EXISTS ${t.search_entries}_by_post ON ${t.search_entries} (post_id)`);
      await db.execute(`CREATE INDEX IF NOT EXISTS ${t.search_entries}_by_space ON ${t.search_entries} (space_id)`);
      await engine.createIndex(db, t);
    },
    async createQueryIndexes(db: SqlExecutor, t: PhysicalTables): Promise<void> {
      await engine.createQueryIndexes?.(db, t);
    },

    apply(recorded: RecordedEvent, tx: SqlExecutor, t: PhysicalTables): Promise<void> {
      return applyToEntries(recorded, sqlEntries(tx, t));
    },

    applyBatch(events: readonly RecordedEvent[], tx: SqlExecutor, t: PhysicalTables): Promise<void> {
      return applySearchBatch(events, tx, t, engine, applyToEntries);
    },
    // A rebuild's replay: every entry held, none read back or updated, each written once. An
    // entry holds its text (about 1 KB, several times a counter's row): a third of the rows.
    replayFold: (maxRows = Math.floor(REPLAY_FOLD_MAX_ROWS / 3)) => new SearchFold(engine, applyToEntries, maxRows, true),
  };
}

/**
 * Where one event's effect is decided, for `apply` (on the tables) and `applyBatch` (on rows
 * held in memory for the batch) alike: the same code makes the same entries.
 */
export interface SearchEntries {
  byRef(type: SearchType, id: string): Promise<SearchEntryRow | undefined>;
  byPost(postId: string): Promise<SearchEntryRow | undefined>;
  /** Inserts `row` (nothing when a row with its doc_id exists) and indexes its text. */
  insert(row: SearchEntryRow): Promise<void>;
  /** Replaces the row's fields, re-indexing its text when `reindex`. */
  update(row: SearchEntryRow, reindex: boolean): Promise<void>;
  remove(row: SearchEntryRow): Promise<void>;
}

async function applyToEntries(recorded: RecordedEvent, entries: SearchEntries): Promise<void> {
  const byRef = (type: SearchType, id: string) => entries.byRef(type, id);
  const change = async (before: SearchEntryRow | undefined, after: Partial<SearchEntryRow>) => {
    if (!before) return;
    const row = { ...before, ...after };
    await entries.update(row, row.title !== before.title || row.body !== before.body);
  };
  const base = { doc_id: recorded.position, status: 'published' as EntryStatus, topic_id: null, post_id: null };

  if (isTopicEvent(recorded)) {
    const event = recorded;
    switch (event.type) {
      case 'TopicOpened': {
        const d = event.data;
        return entries.insert({
          ...base, type: 'topic', ref_id: d.topicId, space_id: d.spaceId, topic_id: d.topicId, post_id: d.postId,
          title: clean(d.title), body: plainText(d.body), author_id: d.by, updated_at: d.at,
        });
      }
      case 'ReplyPosted': {
        const d = event.data;
        const topic = await byRef('topic', d.topicId);
        return entries.insert({
          ...base, type: 'post', ref_id: d.postId, space_id: d.spaceId, topic_id: d.topicId, post_id: d.postId,
          title: topic?.title ?? '', body: plainText(d.body), author_id: d.by, updated_at: d.at,
        });
      }
      case 'PostEdited': {
        const post = await entries.byPost(event.data.postId);
        return change(post, { body: plainText(event.data.body), updated_at: event.data.at });
      }
      case 'PostDeleted': {
        // A deleted post's text must never be found again: a reply leaves the index, an
        // opening post leaves its topic's title only.
        const post = await entries.byPost(event.data.postId);
        if (post?.type === 'post') return entries.remove(post);
        return change(post, { body: '', updated_at: event.data.at });
      }
      default:
        return;
    }
  }

  if (isFaqEvent(recorded)) {
    const event = recorded;
    switch (event.type) {
      case 'FaqEntryDrafted': {
        const d = event.data;
        return entries.insert({
          ...base, type: 'faq', ref_id: d.entryId, space_id: d.spaceId, status: 'draft',
          title: clean(d.question), body: plainText(d.answer), author_id: d.by, updated_at: d.at,
        });
      }
      case 'FaqEntryEdited': {
        const { question, answer, at } = event.data;
        return change(await byRef('faq', event.data.entryId), {
          ...(question !== undefined ? { title: clean(question) } : {}),
          ...(answer !== undefined ? { body: plainText(answer) } : {}),
          updated_at: at,
        });
      }
      case 'FaqEntryPublished':
        return change(await byRef('faq', event.data.entryId), { status: 'published', updated_at: event.data.at });
      case 'FaqEntryUnpublished':
        return change(await byRef('faq', event.data.entryId), { status: 'draft', updated_at: event.data.at });
      default:
        return;
    }
  }

  if (isDocumentEvent(recorded)) {
    const event = recorded;
    switch (event.type) {
      case 'DocumentCreated': {
        const d = event.data;
        return entries.insert({
          ...base, type: 'document', ref_id: d.documentId, space_id: d.spaceId,
          title: clean(d.title), body: plainText(d.body), author_id: d.by, updated_at: d.at,
        });
      }
      case 'DocumentRevised':
        return change(await byRef('document', event.data.documentId), { body: plainText(event.data.body), updated_at: event.data.at });
      case 'DocumentRetitled':
        return change(await byRef('document', event.data.documentId), { title: clean(event.data.title), updated_at: event.data.at });
      default:
        return;
    }
  }
}

/** The search context's projections, for the read store's dialect. */
export function searchProjections(dialect: SqlDialect): Projection[] {
  return [searchProjection(dialect)];
}
