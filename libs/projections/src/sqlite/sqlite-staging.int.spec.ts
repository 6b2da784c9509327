import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { EventStore, RecordedEvent } from '#ruche/eventstore';
import {
  isShadowTable,
  ProjectionRunner,
  RebuildFailedError,
  SqliteDatabase,
  type PhysicalTables,
  type Projection,
  type RebuildProgress,
  type SqlDatabase,
  type SqlExecutor,
} from '#ruche/projections';
import { sqliteBackend, type TestBackend } from '../testing/test-backends.js';

/*
 * A SQLite rebuild replays into a private staging database and copies its tables in (StagingArea). What must
 * hold: the copied tables equal a replay straight into the shadow tables, a contentless FTS5
 * index included, and stay writable and searchable afterwards; they are copied whole with their
 * indexes (query indexes built in the staging database), by SQLite's transfer of records; nothing of
 * the staging is left behind, even after a failure.
 */

type Table = 'notes' | 'note_words' | 'note_fts';

/** Notes with a composite text key, a secondary index and a contentless FTS5 index of their text. */
function notesProjection(options: { failAt?: () => number | undefined } = {}): Projection<Table> {
  const write = async (event: RecordedEvent, tx: SqlExecutor, t: PhysicalTables<Table>): Promise<void> => {
    if (options.failAt?.() === event.position) throw new Error(`refused at ${event.position}`);
    const data = event.data as { text: string; words: number };
    if (event.type === 'NoteWritten') {
      await tx.execute(`INSERT INTO ${t.notes} (stream, position, text) VALUES ($1, $2, $3)`, [event.streamName, event.position, data.text]);
      for (let word = 0; word < data.words; word++) {
        await tx.execute(`INSERT INTO ${t.note_words} (stream, word, position) VALUES ($1, $2, $3)`, [event.streamName, `w${word}-${event.position}`, event.position]);
      }
      await tx.execute(`INSERT INTO ${t.note_fts} (rowid, text) VALUES ($1, $2)`, [event.position, data.text]);
    } else if (event.type === 'NoteErased') {
      const erased = event.data as unknown as { position: number };
      await tx.execute(`DELETE FROM ${t.notes} WHERE position = $1`, [erased.position]);
      await tx.execute(`DELETE FROM ${t.note_fts} WHERE rowid = $1`, [erased.position]);
    }
  };
  return {
    name: 'staged_notes',
    version: 1,
    tables: ['notes', 'note_words', 'note_fts'],
    async createTables(db, t) {
      await db.execute(`CREATE TABLE IF NOT EXISTS ${t.notes} (stream TEXT NOT NULL, position BIGINT NOT NULL, text TEXT NOT NULL, PRIMARY KEY (stream, position))`);
      await db.execute(`CREATE INDEX IF NOT EXISTS ${t.notes}_by_position ON ${t.notes} (position)`);
      await db.execute(`CREATE TABLE IF NOT EXISTS ${t.note_words} (stream TEXT NOT NULL, word TEXT NOT NULL, position BIGINT NOT NULL, PRIMARY KEY (stream, word))`);
      await db.execute(`CREATE INDEX IF NOT EXISTS ${t.note_words}_by_position ON ${t.note_words} (position, word)`);
      await db.execute(`CREATE VIRTUAL TABLE IF NOT EXISTS ${t.note_fts} USING fts5(text, content = '', contentless_delete = 1)`);
    },
    async createQueryIndexes(db, t) {
      await db.execute(`CREATE INDEX IF NOT EXISTS ${t.note_words}_by_word ON ${t.note_words} (word)`);
    },
    apply: write,
  };
}

const digest = async (db: SqlDatabase): Promise<Record<string, unknown>> => ({
  notes: await db.query('SELECT * FROM notes ORDER BY stream, position'),
  words: await db.query('SELECT * FROM note_words ORDER BY stream, word'),
  // A contentless FTS5 table answers NULL for its columns: compare what it indexes instead.
  fts: await db.query(`SELECT rowid AS id FROM note_fts ORDER BY rowid`),
  terms: await db.query(`SELECT rowid AS id FROM note_fts WHERE note_fts MATCH 'alpha' ORDER BY rowid`),
  // Each index's name less its generation (`__r<n>`), and its columns.
  indexes: (await db.query<{ name: string; sql: string }>(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name`)).map(
    (row) => row.sql.replace(/__r[0-9]+/g, ''),
  ),
  // What the query planner reads through: the copied indexes must hold every row.
  byWord: await db.query(`SELECT count(*) AS n FROM note_words INDEXED BY ${await indexName(db, 'note_words', '_by_word')} WHERE word >= 'w'`),
});

/** The physical name of a table's index (its generation changes with each rebuild). */
async function indexName(db: SqlDatabase, table: string, suffix: string): Promise<string> {
  const rows = await db.query<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = $1`, [table]);
  const found = rows.find((row) => row.name.endsWith(suffix));
  if (!found) throw new Error(`No index ${suffix} on ${table}`);
  return found.name;
}

const stagingFiles = (filename: string): string[] =>
  readdirSync(dirname(filename)).filter((name) => name.startsWith(`${basename(filename)}-staging-`));

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe('SQLite rebuild through a staging file', () => {
  let backend: TestBackend;
  let store: EventStore;
  let db: SqlDatabase;
  let filename: string;
  let erased: number[] = [];

  beforeAll(async () => {
    backend = sqliteBackend();
    filename = (backend.target as { filename: string }).filename;
    store = await backend.openStore();
    db = await backend.openDb();
    // 3,000 notes of 9 words each: 27,000 word rows.
    for (let batch = 0; batch < 30; batch++) {
      const events = Array.from({ length: 100 }, (_, i) => ({
        type: 'NoteWritten',
        data: { text: `${i % 3 === 0 ? 'alpha' : 'beta'} note ${batch}-${i}`, words: 9 },
      }));
      await store.appendToStream(`note-${batch % 7}`, events, { expectedRevision: 'any' });
    }
    const head = await store.headPosition();
    erased = [head - 3, head - 30, 12];
    for (const position of erased) await store.appendToStream('erasure-log', [{ type: 'NoteErased', data: { position } }], { expectedRevision: 'any' });
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    await store?.close();
    await backend?.dispose();
  });

  it('copies tables equal to a replay straight into the shadow tables, the FTS5 index included, and keeps them searchable and writable', async () => {
    const runner = new ProjectionRunner({ store, db, projections: [notesProjection()], logger: quiet });
    const phases = new Set<RebuildProgress['phase']>();
    await runner.rebuild('staged_notes', { staging: false });
    const direct = await digest(db);
    await runner.rebuild('staged_notes', { onProgress: (progress) => void phases.add(progress.phase) });
    expect(phases).toContain('copy');
    // Every table (FTS5's own included) copied as records with its indexes, not row by row.
    expect([...(db as SqliteDatabase).copiedRowByRow]).toEqual([]);
    const staged = await digest(db);
    expect(staged).toEqual(direct);
    expect(staged.byWord).toEqual([{ n: 27_000 }]);
    expect((staged.words as unknown[]).length).toBe(27_000);
    expect((staged.notes as unknown[]).length).toBe(3_000 - erased.length);
    // 34 notes of each 100 say alpha (i = 0, 3, …, 99), less the erased ones.
    expect((staged.terms as unknown[]).length).toBe(30 * 34 - erased.filter((p) => ((p - 1) % 100) % 3 === 0).length);
    expect(stagingFiles(filename)).toEqual([]);
    expect((await db.query<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table'`)).map((r) => r.name).filter(isShadowTable)).toEqual([]);
    expect(await db.queryOne(`SELECT 1 AS ok FROM note_fts WHERE note_fts MATCH 'alpha' LIMIT 1`)).toEqual({ ok: 1 });
    // FTS5's own integrity check: its index agrees with its structure after the copy.
    await expect(db.execute(`INSERT INTO note_fts (note_fts) VALUES ('integrity-check')`)).resolves.toBeDefined();

    // The live runner goes on writing the copied tables: new rows are found, erased ones are not.
    await runner.start();
    try {
      const written = await store.appendToStream('note-late', [{ type: 'NoteWritten', data: { text: 'gamma late note', words: 2 } }]);
      const gone = (direct.fts as { id: number }[])[5]!.id;
      const erasure = await store.appendToStream('erasure-log', [{ type: 'NoteErased', data: { position: gone } }], { expectedRevision: 'any' });
      expect(await runner.waitForPosition(erasure.position, 10_000)).toBe(true);
      expect(await db.query(`SELECT rowid AS id FROM note_fts WHERE note_fts MATCH 'gamma'`)).toEqual([{ id: written.position }]);
      expect(await db.query(`SELECT rowid AS id FROM note_fts WHERE rowid = $1`, [gone])).toEqual([]);
      await expect(db.execute(`INSERT INTO note_fts (note_fts) VALUES ('integrity-check')`)).resolves.toBeDefined();
    } finally {
      await runner.stop();
    }
    // And what the staged tables became still equals a replay straight into the shadow tables.
    const afterLive = await digest(db);
    await runner.rebuild('staged_notes', { staging: false });
    expect(await digest(db)).toEqual(afterLive);
  }, 60_000);

  it("lets this process's statements on the read store run between the tables it copies in, not only after the last", async () => {
    const runner = new ProjectionRunner({ store, db, projections: [notesProjection()], logger: quiet });
    const order: string[] = [];
    let reports = 0;
    let answered: Promise<unknown> | undefined;
    await runner.rebuild('staged_notes', {
      onProgress: (progress) => {
        if (progress.phase !== 'copy') return;
        // The first report comes as the copy starts, then one after each table.
        order.push(`copy ${++reports}`);
        if (reports === 2) answered = db.query('SELECT COUNT(*) AS n FROM projection_checkpoints').then(() => order.push('query'));
      },
    });
    await answered;
    expect(reports).toBeGreaterThan(3);
    expect(order.indexOf('query')).toBe(order.indexOf('copy 2') + 1);
  }, 60_000);

  it('stages in a private database without a journal: no file beside the read store while a replay writes it, and none after', async () => {
    const before = readdirSync(dirname(filename)).sort();
    const staging = SqliteDatabase.openScratch();
    try {
      await staging.transaction(async (tx) => {
        await tx.execute('CREATE TABLE pages (body TEXT NOT NULL)');
        for (let i = 0; i < 2_000; i++) await tx.execute('INSERT INTO pages (body) VALUES ($1)', [`page ${i} `.repeat(50)]);
      });
      expect(await staging.query('PRAGMA journal_mode')).toEqual([{ journal_mode: 'off' }]);
      expect(await staging.query('PRAGMA page_size')).toEqual([{ page_size: 16_384 }]);
      // About 2 MB staged, nothing of it in a file: no staging file, no journal, no temporary file here.
      expect(readdirSync(dirname(filename)).sort()).toEqual(before);
      expect(await staging.queryOne('SELECT COUNT(*) AS n FROM pages')).toEqual({ n: 2_000 });
    } finally {
      await staging.closeStaged(false);
    }
  });

  it('deletes what dead rebuilds left in staging files, keeps a live one, and leaves nothing after a failed replay', async () => {
    let failAt: number | undefined;
    const runner = new ProjectionRunner({ store, db, projections: [notesProjection({ failAt: () => failAt })], logger: quiet });
    await runner.rebuild('staged_notes');
    const before = await digest(db);
    // A file of a rebuild that died (no claim names its id), and one a running rebuild holds.
    const dead = `${filename}-staging-00000000-dead-4000-8000-000000000000`;
    const live = `${filename}-staging-11111111-live-4000-8000-111111111111`;
    writeFileSync(dead, 'left by a killed rebuild');
    writeFileSync(`${dead}.1`, "a replay thread's, left by a killed rebuild");
    writeFileSync(live, 'held by a rebuild of another projection');
    writeFileSync(`${live}.1`, "held by that rebuild's replay thread");
    // Another id that merely starts like the live one is no thread of it.
    writeFileSync(`${live}1`, 'left by a killed rebuild whose id extends the live one');
    await db.execute(
      `INSERT INTO projection_checkpoints (name, position, generation, version, status, updated_at, rebuild_owner, rebuild_heartbeat)
       VALUES ('other_projection', 0, 0, 1, 'running', $1, '11111111-live-4000-8000-111111111111', $1)`,
      [new Date().toISOString()],
    );
    try {
      failAt = Math.floor((await store.headPosition()) / 2);
      await expect(runner.rebuild('staged_notes')).rejects.toBeInstanceOf(RebuildFailedError);
      expect(await digest(db)).toEqual(before);
      expect(existsSync(dead)).toBe(false);
      expect(stagingFiles(filename).sort()).toEqual([basename(live), `${basename(live)}.1`]);
      failAt = undefined;
      await runner.rebuild('staged_notes');
      expect(await digest(db)).toEqual(before);
      expect(stagingFiles(filename).sort()).toEqual([basename(live), `${basename(live)}.1`]);
    } finally {
      await db.execute(`DELETE FROM projection_checkpoints WHERE name = 'other_projection'`);
      for (const file of stagingFiles(filename)) rmSync(join(dirname(filename), file), { force: true });
    }
  }, 60_000);
});
