import { v7 as uuidv7 } from 'uuid';
import { type AppendResult, PostgresEventStore } from '#ruche/eventstore';
import { postgresService, testDatabaseUrl, uniqueSchema } from '#ruche/eventstore/testing';
import { collect, dropSchema, expectStrictlyIncreasing, until } from './postgres-spec-support.js';

const pg = await postgresService();

const HOLD_MS = 2000;
const OTHERS = 500;
const ROUNDS = 4;

/**
 * The classic bug of sequence-based positions: a transaction takes a position, commits late,
 * and a subscriber that already read past it (other writers committed higher positions in the
 * meantime) never sees it. Here one transaction appends and stays open while 500 appends are
 * issued from another instance; a subscriber that is live the whole time must get all 501.
 */
pg.describe('PostgresEventStore: a live subscriber never skips an event committed late by a concurrent writer', () => {
  const schema = uniqueSchema('es_pg_late');
  const stores: PostgresEventStore[] = [];
  let holder: PostgresEventStore;
  let writer: PostgresEventStore;
  let reader: PostgresEventStore;

  beforeAll(async () => {
    const connect = async (pollIntervalMs?: number) => {
      const store = await PostgresEventStore.connect({ connectionString: testDatabaseUrl, schema, pollIntervalMs });
      stores.push(store);
      return store;
    };
    holder = await connect();
    writer = await connect();
    // Reads often, so that a gap, were there one, would be read past.
    reader = await connect(10);
  });

  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await dropSchema(testDatabaseUrl, schema);
  }, 30_000);

  /** Backends of the writer instance waiting for the append lock. */
  async function writersWaitingForTheLock(): Promise<number> {
    const { rows } = await holder.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE application_name = $1 AND wait_event_type = 'Lock' AND wait_event = 'advisory' AND pid <> pg_backend_pid()`,
      [`ruche-es:${schema}`],
    );
    return rows[0].n;
  }

  it.each(Array.from({ length: ROUNDS }, (_, i) => [i + 1]))(
    'round %i: the subscriber gets the append held open and the 500 that waited for it, late one first, in position order',
    async () => {
      const head = await reader.headPosition();
      const sub = collect(reader, head);
      await until(async () => (await reader.health()).status === 'up', 'the reader');

      const client = await holder.pool.connect();
      const lateId = uuidv7();
      let late: AppendResult | undefined;
      const others: Promise<AppendResult>[] = [];
      const otherIds: string[] = [];
      const other = (i: number): Promise<AppendResult> => {
        const id = uuidv7();
        otherIds.push(id);
        return writer.appendToStream(`other-${i % 7}-${head}`, [{ id, type: 'Other', data: { i } }]);
      };
      try {
        await client.query('BEGIN');
        late = await holder.appendWithin(client, `late-${lateId}`, [{ id: lateId, type: 'Late', data: { held: true } }]);
        const heldSince = Date.now();

        // Half issued at once, half by 8 callers in a row: after the commit these keep committing
        // while the subscriber reads live.
        for (let i = 0; i < OTHERS / 2; i++) others.push(other(i));
        const callers = Array.from({ length: 8 }, async (_, c) => {
          for (let i = OTHERS / 2 + c; i < OTHERS; i += 8) others.push(Promise.resolve(await other(i)));
        });

        await until(
          async () => Date.now() - heldSince >= HOLD_MS && (await writersWaitingForTheLock()) > 0,
          'the other appends to be held back by the open transaction',
          HOLD_MS + 10_000,
        );
        // Nothing of the others can have committed while the late transaction is open.
        expect(await writer.headPosition()).toBe(head);
        expect(sub.seen).toEqual([]);

        await client.query('COMMIT');
        await Promise.all(callers);
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
      const results = await Promise.all(others);
      expect(results).toHaveLength(OTHERS);

      await until(() => sub.seen.length >= OTHERS + 1, `${OTHERS + 1} events at the subscriber`, 30_000);
      await sub.subscription.close();
      await sub.done;

      const positions = sub.seen.map((e) => e.position);
      expect(sub.seen).toHaveLength(OTHERS + 1);
      expectStrictlyIncreasing(positions);
      expect(sub.seen[0]).toMatchObject({ id: lateId, position: late!.position, type: 'Late' });
      expect(new Set(sub.seen.slice(1).map((e) => e.id))).toEqual(new Set(otherIds));
      for (const result of results) expect(result.position).toBeGreaterThan(late!.position);
      expect(await reader.readAll({ fromPosition: head })).toEqual(sub.seen);
    },
    60_000,
  );
});
