import type { RecordedEvent } from '#ruche/eventstore';
import { postgresService } from '#ruche/eventstore/testing';
import type { PhysicalTables, SqlDatabase } from '#ruche/projections';
import { postgresBackend, sqliteBackend, type TestBackend } from '../../../projections/src/testing/test-backends.js';
import { documentStreamName, type DocumentEvent } from '../document.js';
import { documentsProjection, type DocumentsTables } from './documents.projection.js';

/*
 * The documents projection's applyBatch sums consultations per document within a batch: against
 * `apply` one event at a time, on a history where documents are read many times, within one
 * batch and across batches, between revisions, and read before they exist (a read of nothing
 * counts nothing, whatever batch it falls in), the tables must be the same, views by value.
 */

const pg = await postgresService();
const backends: Array<[string, () => TestBackend]> = [['SQLite', sqliteBackend]];
if (pg.available) backends.push(['PostgreSQL', () => postgresBackend('documentsbatch')]);

const SPACE = '0195a1b2-0000-7000-8000-00000000a001';
const documentIds = [1, 2, 3].map((n) => `0195a1b2-0000-7000-8000-00000000d00${n}`);

function history(): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  const revisions = new Map<string, number>();
  let clock = Date.parse('2026-03-02T08:00:00.000Z');
  const push = (documentId: string, event: { type: DocumentEvent['type']; data: object }, by: string): void => {
    const stream = documentStreamName(documentId);
    const revision = revisions.get(stream) ?? 0;
    revisions.set(stream, revision + 1);
    clock += 60_000;
    const at = new Date(clock).toISOString();
    events.push({
      id: `e-${events.length + 1}`,
      type: event.type,
      data: { ...event.data, documentId, spaceId: SPACE, at, by },
      metadata: {},
      streamName: stream,
      revision,
      position: events.length + 1,
      createdAt: new Date(clock),
    } as RecordedEvent);
  };
  const read = (documentId: string, userId: string): void => push(documentId, { type: 'DocumentRead', data: { userId } }, userId);
  // Read before it exists: counts nothing.
  read(documentIds[0]!, 'u-early');
  push(documentIds[0]!, { type: 'DocumentCreated', data: { title: 'Fiche A', body: 'A1', competences: ['1.1'], revision: 1 } }, 'u-a');
  for (let round = 0; round < 12; round++) {
    for (let reader = 0; reader < 1 + (round % 4); reader++) read(documentIds[0]!, `u-r${reader}`);
    if (round === 2) push(documentIds[1]!, { type: 'DocumentCreated', data: { title: 'Fiche B', body: 'B1', competences: [], revision: 1 } }, 'u-b');
    if (round > 2) read(documentIds[1]!, `u-r${round}`);
    if (round % 5 === 4) push(documentIds[0]!, { type: 'DocumentRevised', data: { revision: 2 + Math.floor(round / 5), body: `A${round}` } }, 'u-a');
    if (round === 7) read(documentIds[2]!, 'u-too-early');
    if (round === 8) push(documentIds[2]!, { type: 'DocumentCreated', data: { title: 'Fiche C', body: 'C1', competences: ['2.1'], revision: 1 } }, 'u-c');
    if (round > 8) read(documentIds[2]!, 'u-late');
  }
  return events;
}

describe.each(backends)('documents applyBatch (%s)', (_label, makeBackend) => {
  let backend: TestBackend;
  let db: SqlDatabase;
  beforeAll(async () => {
    backend = makeBackend();
    db = await backend.openDb();
  });
  afterAll(async () => {
    await db?.close();
    await backend?.dispose();
  });

  const tablesOf = (suffix: string): PhysicalTables<DocumentsTables> =>
    Object.fromEntries(documentsProjection.tables.map((table) => [table, `${table}_${suffix}`])) as unknown as PhysicalTables<DocumentsTables>;
  const rows = async (t: PhysicalTables<DocumentsTables>): Promise<unknown[]> => [
    await db.query(`SELECT * FROM ${t.documents} ORDER BY id`),
    await db.query(`SELECT * FROM ${t.document_revisions} ORDER BY document_id, revision`),
    await db.query(`SELECT * FROM ${t.document_contributors} ORDER BY document_id, user_id`),
    await db.query(`SELECT * FROM ${t.document_competences} ORDER BY document_id, code`),
  ];

  it.each([1, 2, 3, 7, 16, 1000])('leaves the very tables apply leaves, in batches of %i', async (size) => {
    const events = history();
    const oneByOne = tablesOf(`one${size}`);
    const batched = tablesOf(`many${size}`);
    await db.transaction(async (tx) => {
      await documentsProjection.createTables(tx, oneByOne);
      await documentsProjection.createTables(tx, batched);
      for (const event of events) await documentsProjection.apply(event, tx, oneByOne);
      for (let i = 0; i < events.length; i += size) await documentsProjection.applyBatch!(events.slice(i, i + size), tx, batched);
    });
    expect(await rows(batched)).toEqual(await rows(oneByOne));
    // Views by value: the reads after each creation, none of the early ones.
    const reads = (id: string, from: number): number =>
      events.filter((e) => e.type === 'DocumentRead' && (e.data as { documentId: string }).documentId === id && e.position > from).length;
    const createdAt = (id: string): number => events.find((e) => e.type === 'DocumentCreated' && (e.data as { documentId: string }).documentId === id)!.position;
    const views = await db.query<{ id: string; views: number }>(`SELECT id, views FROM ${batched.documents} ORDER BY id`);
    expect(views.map((row) => [row.id, Number(row.views)])).toEqual(documentIds.map((id) => [id, reads(id, createdAt(id))]));
    expect(Number(views[0]!.views)).toBeGreaterThan(20);
  });
});
