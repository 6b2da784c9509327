import type { RecordedEvent } from '#ruche/eventstore';
import { chunks, insertRows, placeholders, selectIn, type PhysicalTables, type Projection, type SqlExecutor, type SqlValue } from '#ruche/projections';
import { markdownExcerpt } from '#ruche/markdown';
import { isDocumentEvent, type DocumentEvent } from '../document.js';

export type DocumentsTables = 'documents' | 'document_competences' | 'document_revisions' | 'document_contributors';

/** Competence codes as one column (`1.1,3.1`), in the framework's order the events keep. */
export const joinCompetences = (codes: readonly string[]): string => codes.join(',');
export const splitCompetences = (column: string): string[] => (column === '' ? [] : column.split(','));

/** The list's excerpt: plain text of the body, on one line. */
export const DOCUMENT_EXCERPT_CHARS = 240;
const excerptOf = (body: string): string => markdownExcerpt(body, DOCUMENT_EXCERPT_CHARS);

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/** A row of `documents` (applyBatch holds them; the queries read some of its columns). */
export interface DocumentRow {
  id: string;
  space_id: string;
  title: string;
  title_lower: string;
  body: string;
  excerpt: string;
  competences: string;
  revision: number;
  created_by: string;
  created_at: string;
  updated_at: string;
  views: number;
  position: number;
}
const DOCUMENT_COLUMNS: readonly (keyof DocumentRow)[] = [
  'id',
  'space_id',
  'title',
  'title_lower',
  'body',
  'excerpt',
  'competences',
  'revision',
  'created_by',
  'created_at',
  'updated_at',
  'views',
  'position',
];
/** What events change once a document exists. */
const MUTABLE_COLUMNS: readonly (keyof DocumentRow)[] = ['title', 'title_lower', 'body', 'excerpt', 'competences', 'revision', 'updated_at', 'views', 'position'];

/**
 * The fiches PIX of every space: the current revision of each (the document screen and the
 * lists, filtered by competence), every revision's body (history, diff, restore) and who wrote
 * them (contributors). Consultations move a `views` counter.
 */
export const documentsProjection: Projection<DocumentsTables> = {
  name: 'documents',
  version: 1,
  // Seconds to replay a school year (see Projection.replayWeight).
  replayWeight: { sqlite: 2, postgres: 39 },
  // The forums' most frequent events: documents read their own streams only (see Projection.ignores).
  ignores: ['TopicRead', 'TopicCaughtUp', 'ReactionAdded', 'ReactionRemoved'],
  tables: ['documents', 'document_competences', 'document_revisions', 'document_contributors'],
  async createTables(db: SqlExecutor, t: PhysicalTables<DocumentsTables>): Promise<void> {
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.documents} (
         id TEXT PRIMARY KEY,
         space_id TEXT NOT NULL,
         title TEXT NOT NULL,
         title_lower TEXT NOT NULL,
         body TEXT NOT NULL,
         excerpt TEXT NOT NULL,
         competences TEXT NOT NULL,
         revision INTEGER NOT NULL,
         created_by TEXT NOT NULL,
         created_at TEXT NOT NULL,
         updated_at TEXT NOT NULL,
         views INTEGER NOT NULL,
         position BIGINT NOT NULL
       )`,
    );
    await db.execute(`CREATE INDEX IF NOT EXISTS ${t.documents}_by_space ON ${t.documents} (space_id, updated_at, id)`);
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.document_competences} (
         document_id TEXT NOT NULL,
         code TEXT NOT NULL,
         space_id TEXT NOT NULL,
         PRIMARY KEY (document_id, code)
       )`,
    );
    await db.execute(`CREATE INDEX IF NOT EXISTS ${t.document_competences}_by_code ON ${t.document_competences} (space_id, code)`);
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.document_revisions} (
         document_id TEXT NOT NULL,
         revision INTEGER NOT NULL,
         body TEXT NOT NULL,
         summary TEXT,
         restored_from INTEGER,
         author_id TEXT NOT NULL,
         created_at TEXT NOT NULL,
         size_bytes INTEGER NOT NULL,
         position BIGINT NOT NULL,
         PRIMARY KEY (document_id, revision)
       )`,
    );
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.document_contributors} (
         document_id TEXT NOT NULL,
         user_id TEXT NOT NULL,
         first_at TEXT NOT NULL,
         revisions INTEGER NOT NULL,
         PRIMARY KEY (document_id, user_id)
       )`,
    );
  },
  /**
   * The batch's document events applied in memory, then written with a few multi-row statements:
   * the documents it touched (read once, upserted once), their competences, revisions and
   * contributors. The same tables as `apply` one event at a time (a test holds them equal). One
   * to eight statements per event on PostgreSQL made documents the slowest share of a rebuild
   * replayed side by side.
   */
  async applyBatch(events: readonly RecordedEvent[], tx: SqlExecutor, t: PhysicalTables<DocumentsTables>): Promise<void> {
    const documentEvents = events.filter((event): event is RecordedEvent & DocumentEvent => isDocumentEvent(event));
    if (documentEvents.length === 0) return;
    const documents = new Map<string, DocumentRow>();
    const loaded = await selectIn<DocumentRow>(
      tx,
      `SELECT ${DOCUMENT_COLUMNS.join(', ')} FROM ${t.documents}`,
      'id',
      documentEvents.map((event) => event.data.documentId),
    );
    for (const row of loaded) documents.set(row.id, { ...row, revision: Number(row.revision), views: Number(row.views), position: Number(row.position) });
    const changed = new Set<DocumentRow>();
    /** Each re-tagged document's last competences, with the space its rows carry. */
    const tagged = new Map<string, { spaceId: string; codes: readonly string[] }>();
    /** `${documentId}\n${revision}`: the first insert wins, as ON CONFLICT DO NOTHING. */
    const revisions = new Map<string, SqlValue[]>();
    const contributors = new Map<string, { documentId: string; userId: string; firstAt: string; revisions: number }>();

    for (const event of documentEvents) {
      const { documentId, spaceId, at, by } = event.data;
      const document = documents.get(documentId);
      const addRevision = (revision: number, body: string, summary: string | null, restoredFrom: number | null): void => {
        const key = `${documentId}\n${revision}`;
        if (!revisions.has(key)) revisions.set(key, [documentId, revision, body, summary, restoredFrom, by, at, utf8Bytes(body), event.position]);
        const contributor = `${documentId}\n${by}`;
        const entry = contributors.get(contributor);
        if (entry) entry.revisions += 1;
        else contributors.set(contributor, { documentId, userId: by, firstAt: at, revisions: 1 });
      };
      const setCompetences = (codes: readonly string[]): void => {
        tagged.set(documentId, { spaceId, codes });
        if (document) (document.competences = joinCompetences(codes)), changed.add(document);
      };
      const touch = (): void => {
        if (document) (document.updated_at = at), (document.position = event.position), changed.add(document);
      };
      switch (event.type) {
        case 'DocumentCreated': {
          const { title, body, competences } = event.data;
          if (!document) {
            const created: DocumentRow = {
              id: documentId,
              space_id: spaceId,
              title,
              title_lower: title.toLowerCase(),
              body,
              excerpt: excerptOf(body),
              competences: joinCompetences(competences),
              revision: 1,
              created_by: by,
              created_at: at,
              updated_at: at,
              views: 0,
              position: event.position,
            };
            documents.set(documentId, created);
            changed.add(created);
          }
          setCompetences(competences);
          addRevision(1, body, null, null);
          break;
        }
        case 'DocumentRevised': {
          const { revision, body, summary, restoredFrom } = event.data;
          if (document) (document.body = body), (document.excerpt = excerptOf(body)), (document.revision = revision);
          addRevision(revision, body, summary ?? null, restoredFrom ?? null);
          touch();
          break;
        }
        case 'DocumentRetitled':
          if (document) (document.title = event.data.title), (document.title_lower = event.data.title.toLowerCase());
          touch();
          break;
        case 'DocumentCompetencesChanged':
          setCompetences(event.data.competences);
          touch();
          break;
        case 'DocumentRead':
          if (document) (document.views += 1), changed.add(document);
          break;
        default: {
          const _exhaustive: never = event;
          break;
        }
      }
    }

    await insertRows(
      tx,
      `INSERT INTO ${t.documents} (${DOCUMENT_COLUMNS.join(', ')})`,
      DOCUMENT_COLUMNS.length,
      [...changed].map((row) => DOCUMENT_COLUMNS.map((column) => row[column])),
      `ON CONFLICT (id) DO UPDATE SET ${MUTABLE_COLUMNS.map((column) => `${column} = excluded.${column}`).join(', ')}`,
    );
    for (const chunk of chunks([...tagged.keys()], 1)) {
      await tx.execute(`DELETE FROM ${t.document_competences} WHERE document_id IN (${placeholders(chunk.length).join(', ')})`, [...chunk]);
    }
    await insertRows(
      tx,
      `INSERT INTO ${t.document_competences} (document_id, code, space_id)`,
      3,
      [...tagged].flatMap(([documentId, { spaceId, codes }]) => [...new Set(codes)].map((code) => [documentId, code, spaceId])),
      'ON CONFLICT (document_id, code) DO NOTHING',
    );
    await insertRows(
      tx,
      `INSERT INTO ${t.document_revisions} (document_id, revision, body, summary, restored_from, author_id, created_at, size_bytes, position)`,
      9,
      [...revisions.values()],
      'ON CONFLICT (document_id, revision) DO NOTHING',
    );
    await insertRows(
      tx,
      `INSERT INTO ${t.document_contributors} (document_id, user_id, first_at, revisions)`,
      4,
      [...contributors.values()].map((entry) => [entry.documentId, entry.userId, entry.firstAt, entry.revisions]),
      `ON CONFLICT (document_id, user_id) DO UPDATE SET revisions = ${t.document_contributors}.revisions + excluded.revisions`,
    );
  },
  async apply(recorded: RecordedEvent, tx: SqlExecutor, t: PhysicalTables<DocumentsTables>): Promise<void> {
    if (!isDocumentEvent(recorded)) return;
    const event = recorded;
    const { documentId, spaceId, at, by } = event.data;
    const addRevision = async (revision: number, body: string, summary: string | null, restoredFrom: number | null): Promise<void> => {
      await tx.execute(
        `INSERT INTO ${t.document_revisions} (document_id, revision, body, summary, restored_from, author_id, created_at, size_bytes, position)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (document_id, revision) DO NOTHING`,
        [documentId, revision, body, summary, restoredFrom, by, at, utf8Bytes(body), recorded.position],
      );
      await tx.execute(
        `INSERT INTO ${t.document_contributors} (document_id, user_id, first_at, revisions) VALUES ($1, $2, $3, 1)
         ON CONFLICT (document_id, user_id) DO UPDATE SET revisions = ${t.document_contributors}.revisions + 1`,
        [documentId, by, at],
      );
    };
    const setCompetences = async (codes: readonly string[]): Promise<void> => {
      await tx.execute(`DELETE FROM ${t.document_competences} WHERE document_id = $1`, [documentId]);
      for (const code of codes) {
        await tx.execute(
          `INSERT INTO ${t.document_competences} (document_id, code, space_id) VALUES ($1, $2, $3) ON CONFLICT (document_id, code) DO NOTHING`,
          [documentId, code, spaceId],
        );
      }
      await tx.execute(`UPDATE ${t.documents} SET competences = $2 WHERE id = $1`, [documentId, joinCompetences(codes)]);
    };
    const touch = (): Promise<unknown> =>
      tx.execute(`UPDATE ${t.documents} SET updated_at = $2, position = $3 WHERE id = $1`, [documentId, at, recorded.position]);

    switch (event.type) {
      case 'DocumentCreated': {
        const { title, body, competences } = event.data;
        await tx.execute(
          `INSERT INTO ${t.documents} (id, space_id, title, title_lower, body, excerpt, competences, revision, created_by, created_at, updated_at,
             views, position)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $9, 0, $10) ON CONFLICT (id) DO NOTHING`,
          [documentId, spaceId, title, title.toLowerCase(), body, excerptOf(body), joinCompetences(competences), by, at, recorded.position],
        );
        await setCompetences(competences);
        await addRevision(1, body, null, null);
        return;
      }
      case 'DocumentRevised': {
        const { revision, body, summary, restoredFrom } = event.data;
        await tx.execute(`UPDATE ${t.documents} SET body = $2, excerpt = $3, revision = $4 WHERE id = $1`, [
          documentId,
          body,
          excerptOf(body),
          revision,
        ]);
        await addRevision(revision, body, summary ?? null, restoredFrom ?? null);
        return void (await touch());
      }
      case 'DocumentRetitled':
        await tx.execute(`UPDATE ${t.documents} SET title = $2, title_lower = $3 WHERE id = $1`, [
          documentId,
          event.data.title,
          event.data.title.toLowerCase(),
        ]);
        return void (await touch());
      case 'DocumentCompetencesChanged':
        await setCompetences(event.data.competences);
        return void (await touch());
      case 'DocumentRead':
        await tx.execute(`UPDATE ${t.documents} SET views = views + 1 WHERE id = $1`, [documentId]);
        return;
      default: {
        const _exhaustive: never = event;
        return;
      }
    }
  },
};
