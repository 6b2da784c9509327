import type { RecordedEvent } from '#ruche/eventstore';
import type { PhysicalTables, Projection, SqlExecutor } from '#ruche/projections';
import { isFaqEvent } from '../faq-entry.js';

type FaqTables = 'faq_entries';

/**
 * Lower-cased, accents and case folded ("Évaluation" → "evaluation"): the sort key of a
 * category, and the text `?q=` looks into, the same in SQLite and PostgreSQL (no collation
 * or LOWER() of either store involved).
 */
export function foldText(value: string): string {
  return value.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

const searchTextOf = (question: string, answer: string): string => foldText(`${question}\n${answer}`);

/**
 * The FAQ of each space, one row per entry with its current text: the FAQ screen (grouped by
 * category, ordered within it) and the lookups of single entries. Drafts are rows too: the
 * queries show them to their author and the space's managers only.
 */
export const faqProjection: Projection<FaqTables> = {
  name: 'faq',
  version: 1,
  // FAQ entries' own events only: the consultations and reactions pass it by (see Projection.ignores).
  ignores: ['TopicRead', 'TopicCaughtUp', 'DocumentRead', 'ReactionAdded', 'ReactionRemoved'],
  tables: ['faq_entries'],
  async createTables(db: SqlExecutor, t: PhysicalTables<FaqTables>): Promise<void> {
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${t.faq_entries} (
         id TEXT PRIMARY KEY,
         space_id TEXT NOT NULL,
         question TEXT NOT NULL,
         answer TEXT NOT NULL,
         search_text TEXT NOT NULL,
         category TEXT NOT NULL,
         category_key TEXT NOT NULL,
         sort_order INTEGER NOT NULL,
         status TEXT NOT NULL,
         author_id TEXT NOT NULL,
         from_topic_id TEXT,
         created_at TEXT NOT NULL,
         updated_at TEXT NOT NULL,
         published_at TEXT,
         revision INTEGER NOT NULL,
         position BIGINT NOT NULL
       )`,
    );
    await db.execute(
      `CREATE INDEX IF NOT EXISTS ${t.faq_entries}_by_space ON ${t.faq_entries} (space_id, category_key, category, sort_order, created_at, id)`,
    );
    await db.execute(`CREATE INDEX IF NOT EXISTS ${t.faq_entries}_by_topic ON ${t.faq_entries} (from_topic_id)`);
  },
  async apply(recorded: RecordedEvent, tx: SqlExecutor, t: PhysicalTables<FaqTables>): Promise<void> {
    if (!isFaqEvent(recorded)) return;
    const event = recorded;
    const { entryId, at } = event.data;
    const touch = (): Promise<unknown> =>
      tx.execute(`UPDATE ${t.faq_entries} SET updated_at = $2, revision = $3, position = $4 WHERE id = $1`, [
        entryId,
        at,
        recorded.revision,
        recorded.position,
      ]);
    switch (event.type) {
      case 'FaqEntryDrafted': {
        const d = event.data;
        await tx.execute(
          `INSERT INTO ${t.faq_entries} (id, space_id, question, answer, search_text, category, category_key, sort_order, status,
             author_id, from_topic_id, created_at, updated_at, published_at, revision, position)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'draft', $9, $10, $11, $11, NULL, $12, $13)
           ON CONFLICT (id) DO NOTHING`,
          [d.entryId, d.spaceId, d.question, d.answer, searchTextOf(d.question, d.answer), d.category, foldText(d.category), d.order,
            d.by, d.fromTopicId ?? null, d.at, recorded.revision, recorded.position],
        );
        return;
      }
      case 'FaqEntryEdited': {
        const { question, answer, category } = event.data;
        if (question !== undefined || answer !== undefined) {
          const row = await tx.queryOne<{ question: string; answer: string }>(`SELECT question, answer FROM ${t.faq_entries} WHERE id = $1`, [entryId]);
          if (!row) return;
          const q = question ?? row.question;
          const a = answer ?? row.answer;
          await tx.execute(`UPDATE ${t.faq_entries} SET question = $2, answer = $3, search_text = $4 WHERE id = $1`, [entryId, q, a, searchTextOf(q, a)]);
        }
        if (category !== undefined) {
          await tx.execute(`UPDATE ${t.faq_entries} SET category = $2, category_key = $3 WHERE id = $1`, [entryId, category, foldText(category)]);
        }
        return void (await touch());
      }
      case 'FaqEntryPublished':
        await tx.execute(`UPDATE ${t.faq_entries} SET status = 'published', published_at = $2 WHERE id = $1`, [entryId, at]);
        return void (await touch());
      case 'FaqEntryUnpublished':
        await tx.execute(`UPDATE ${t.faq_entries} SET status = 'draft' WHERE id = $1`, [entryId]);
        return void (await touch());
      case 'FaqEntryMoved':
        await tx.execute(`UPDATE ${t.faq_entries} SET sort_order = $2 WHERE id = $1`, [entryId, event.data.order]);
        return void (await touch());
      default: {
        const _exhaustive: never = event;
        return;
      }
    }
  },
};
