import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { SqliteEventStore, type EventStore } from '#ruche/eventstore';
import { postgresService, testDatabaseUrl, uniqueSchema } from '#ruche/eventstore/testing';
import { openPostgresDatabase, openSqliteDatabase, type ProjectionRunner, type SqlDatabase } from '#ruche/projections';
import { EVENT_STORE, PROJECTION_RUNNER } from '#ruche/platform';
import { identityProjections } from '#ruche/identity/nest';
import { spacesProjections } from '#ruche/spaces/nest';
import { faqProjections } from '#ruche/faq/nest';
import { documentsProjections } from '#ruche/documents/nest';
import { forumsProjections } from '#ruche/forums/nest';
import { loadConfiguration } from '../../apps/api/src/config/configuration.js';
import { createApp } from '../../apps/api/src/bootstrap.js';
import { importEvents, ImportRefusedError } from '../../apps/api/src/import/import-events.js';
import { seedDemoAcademy } from '../../seeds/demo-academy.js';

/**
 * Moving an académie: the demo académie written through the app on SQLite, exported by the CLI,
 * imported into PostgreSQL, exported again and imported into a new SQLite file. Every hop keeps
 * the same events (ids, streams, revisions, types, data, metadata, order) and rebuilds read
 * models with the same digests. Search tables are left out: their SQLite and PostgreSQL
 * full-text indexes differ by design.
 */
const cli = path.resolve('dist/apps/api/src/cli.js');
const postgres = await postgresService();
const tables = [...identityProjections, ...spacesProjections, ...faqProjections, ...documentsProjections, ...forumsProjections].flatMap((p) => [...p.tables]);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ruche-move-'));
const schemas: string[] = [];

afterAll(async () => {
  fs.rmSync(work, { recursive: true, force: true });
  if (schemas.length === 0) return;
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
});

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', SEED: 'none', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

/** Rows of every read-model table, order-independent: equal digests, equal contents. */
async function digests(db: SqlDatabase): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of tables) {
    const rows = (await db.query(`SELECT * FROM ${table}`)).map((row) => JSON.stringify(Object.entries(row).sort(([a], [b]) => a.localeCompare(b))));
    rows.sort();
    out[table] = `${rows.length}:${createHash('sha256').update(rows.join('\n')).digest('hex')}`;
  }
  return out;
}

/** An export's events without the recorded time (the time of the import on the target). */
function eventsOf(file: string): Array<Record<string, unknown>> {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const { createdAt: _createdAt, ...event } = JSON.parse(line) as Record<string, unknown>;
      return event;
    });
}

const sqliteEnv = (dir: string): Record<string, string> => ({ DATA_DIR: dir });

// Without PostgreSQL (and without REQUIRE_SERVICES=1) postgresService() has said the round trip is skipped.
describe('events export and import', () => {
  const source = path.join(work, 'source');
  let sourceDigests: Record<string, string>;
  let head = 0;

  beforeAll(async () => {
    const app = await createApp(loadConfiguration({ NODE_ENV: 'test', SEED: 'none', DATA_DIR: source }));
    await app.init();
    try {
      await seedDemoAcademy(app);
      head = await app.get<EventStore>(EVENT_STORE).headPosition();
      expect(await app.get<ProjectionRunner>(PROJECTION_RUNNER).waitForPosition(head, 60_000)).toBe(true);
    } finally {
      await app.close();
    }
    const db = await openSqliteDatabase({ filename: path.join(source, 'ruche-read.sqlite') });
    sourceDigests = await digests(db);
    await db.close();
    // The demo académie fills users, spaces, members, topics, posts, FAQ entries and fiches.
    expect(Object.values(sourceDigests).filter((digest) => !digest.startsWith('0:')).length).toBeGreaterThanOrEqual(8);
  }, 120_000);

  (postgres.available ? it : it.skip)('moves SQLite → PostgreSQL → SQLite with the same events and the same read models', async () => {
    const first = path.join(work, 'from-sqlite.jsonl');
    const exported = await runCli(['events', 'export', first], sqliteEnv(source));
    expect(exported).toEqual({ code: 0, stderr: expect.stringContaining(`events exported, up to position ${head}`) });
    const original = eventsOf(first);
    expect(original.length).toBe(head);
    expect(new Set(original.map((e) => e.type)).size).toBeGreaterThan(10);

    const schema = uniqueSchema('move');
    schemas.push(schema);
    const pgEnv = { DATABASE_URL: testDatabaseUrl, DATABASE_SCHEMA: schema };
    const imported = await runCli(['events', 'import', first], pgEnv);
    expect(imported.code).toBe(0);
    expect(imported.stderr).toContain(`${head} events imported`);
    const pgDb = await openPostgresDatabase({ connectionString: testDatabaseUrl, schema });
    expect(await digests(pgDb)).toEqual(sourceDigests);
    await pgDb.close();

    const second = path.join(work, 'from-postgres.jsonl');
    expect((await runCli(['events', 'export', second], pgEnv)).code).toBe(0);
    expect(eventsOf(second)).toEqual(original);

    const target = path.join(work, 'target');
    expect((await runCli(['events', 'import', second], sqliteEnv(target))).code).toBe(0);
    const third = path.join(work, 'back-in-sqlite.jsonl');
    expect((await runCli(['events', 'export', third], sqliteEnv(target))).code).toBe(0);
    expect(eventsOf(third)).toEqual(original);
    const targetDb = await openSqliteDatabase({ filename: path.join(target, 'ruche-read.sqlite') });
    expect(await digests(targetDb)).toEqual(sourceDigests);
    await targetDb.close();

    // Into a store that is no longer empty: refused with a clear message, exit 65, nothing written.
    const again = await runCli(['events', 'import', second], sqliteEnv(target));
    expect(again).toEqual({ code: 65, stderr: expect.stringContaining('the target event store is not empty') });
    const store = SqliteEventStore.open({ filename: path.join(target, 'ruche.sqlite') });
    expect(await store.headPosition()).toBe(head);
    await store.close();
  }, 240_000);

  describe('refusals, each writing nothing', () => {
    let lines: string[];
    let store: EventStore;

    beforeAll(async () => {
      const file = path.join(work, 'refusals-source.jsonl');
      const exported = await runCli(['events', 'export', file], sqliteEnv(source));
      expect(exported.code).toBe(0);
      lines = fs.readFileSync(file, 'utf8').split('\n').filter((line) => line !== '');
    }, 60_000);

    beforeEach(() => {
      store = SqliteEventStore.open({ filename: path.join(fs.mkdtempSync(path.join(work, 'empty-')), 'ruche.sqlite') });
    });
    afterEach(async () => store.close());

    async function refusal(content: string[]): Promise<string[]> {
      const file = path.join(work, `bad-${Date.now()}-${Math.random().toString(36).slice(2)}.jsonl`);
      fs.writeFileSync(file, content.join('\n') + '\n');
      const error = await importEvents(store, file).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ImportRefusedError);
      expect(await store.headPosition()).toBe(0);
      return (error as ImportRefusedError).problems;
    }

    it('refuses a broken line, naming it', async () => {
      const broken = [...lines];
      broken[2] = broken[2]!.slice(0, 40);
      expect(await refusal(broken)).toEqual([expect.stringMatching(/^line 3: not JSON/)]);
    });

    it('refuses a duplicate id, naming both lines', async () => {
      const duplicated = [...lines];
      const firstId = (JSON.parse(lines[0]!) as { id: string }).id;
      duplicated[4] = JSON.stringify({ ...(JSON.parse(lines[4]!) as object), id: firstId });
      expect(await refusal(duplicated)).toContain(`line 5: id ${firstId} is already the id of line 1`);
    });

    it('refuses events out of order, a hole in a stream, and a line that is not an event', async () => {
      const swapped = [lines[1]!, lines[0]!, ...lines.slice(2)];
      expect((await refusal(swapped)).some((p) => /^line 2: position \d+ does not follow \d+$/.test(p))).toBe(true);
      const first = JSON.parse(lines[0]!) as { streamName: string };
      const hole = lines.filter((line, index) => index === 0 || (JSON.parse(line) as { streamName: string }).streamName !== first.streamName);
      hole.splice(1, 0, JSON.stringify({ ...(JSON.parse(lines[0]!) as object), id: '01900000-0000-7000-8000-000000000001', position: (JSON.parse(lines[0]!) as { position: number }).position + 0.5, revision: 5 }));
      expect(await refusal(hole)).toContain('line 2: position must be an integer >= 1');
      expect(await refusal(['{"hello":"world"}'])).toEqual(['line 1: position must be an integer >= 1']);
      expect(await refusal([])).toEqual(['line 1: empty line']);
    });

    it('refuses a stream whose revisions skip one', async () => {
      const first = JSON.parse(lines[0]!) as { streamName: string; position: number };
      const skipped = [lines[0]!, JSON.stringify({ ...(JSON.parse(lines[0]!) as object), id: '01900000-0000-7000-8000-000000000002', position: first.position + 100_000_000, revision: 2 })];
      expect(await refusal(skipped)).toEqual([`line 2: ${first.streamName} revision 2 where 1 was expected`]);
    });
  });
});
