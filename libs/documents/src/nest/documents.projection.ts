import type { RecordedEvent } from '#ruche/eventstore';
import { chunks, type PhysicalTables, type Projection, type SqlExecutor } from '#ruche/projections';
import { markdownExcerpt } from '#ruche/markdown';
import { isDocumentEvent } from '../document.js';

export type DocumentsTables = 'documents' | 'document_competences' | 'document_revisions' | 'document_contributors';

/** Competence codes as one column (`1.1,3.1`), in the framework's order the events keep. */
export const joinCompetences = (codes: readonly string[]): string => codes.join(',');
export const splitCompetences = (column: string): string[] => (column === '' ? [] : column.split(','));

/** The list's excerpt: plain text of the body, on one line. */
export const DOCUMENT_EXCERPT_CHARS = 240;
const excerptOf = (body: string): string => markdownExcerpt(body, DOCUMENT_EXCERPT_CHARS);

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * The fiches PIX of every space: the current revision of each (the document screen and the
 * lists, filtered by competence), every revision's body (history, diff, restore) and who wrote
 * them (contributors). Consultations move a `views` counter.
 */
export const documentsProjection: Projection<DocumentsTables> = {
  name: 'documents',
  version: 1,
  // Seconds to replay a school year (see Projection.replayWeight).
  replayWeight: { sqlite: 3, postgres: 39 },
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
   * Consultations, most of a year's document events, are summed per document and written once per
   * batch; every other event is applied in order by `apply`. Only a creation could see a view
   * counter move (from nothing to 0), so pending views are written before each one.
   */
  async applyBatch(events: readonly RecordedEvent[], tx: SqlExecutor, t: PhysicalTables<DocumentsTables>): Promise<void> {
    let views = new Map<string, number>();
    // A statement per chunk of documents, not per document: a school year's 78,000 counters were
    // a quarter of a PostgreSQL rebuild's statements.
    const flush = async (): Promise<void> => {
      for (const chunk of chunks([...views], 2)) {
        const cases = chunk.map((_, i) => `WHEN $${2 * i + 1} THEN CAST($${2 * i + 2} AS BIGINT)`).join(' ');
        const ids = chunk.map((_, i) => `$${2 * i + 1}`).join(', ');
        await tx.execute(`UPDATE ${t.documents} SET views = views + CASE id ${cases} END WHERE id IN (${ids})`, chunk.flat());
      }
      views = new Map();
    };
    for (const event of events) {
      if (event.type === 'DocumentRead' && isDocumentEvent(event)) {
        views.set(event.data.documentId, (views.get(event.data.documentId) ?? 0) + 1);
        continue;
      }
      if (event.type === 'DocumentCreated' && views.size > 0) await flush();
      await documentsProjection.apply(event, tx, t);
    }
    await flush();
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
