import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { PostgresEventStore } from '#ruche/eventstore';
import { postgresService, testDatabaseUrl, uniqueSchema } from '#ruche/eventstore/testing';
import { collect, dropSchema, expectStrictlyIncreasing, until } from './postgres-spec-support.js';

const service = await postgresService();

interface Acknowledged {
  instance: number;
  ids: string[];
  position: number;
  issuedAt: number;
  resolvedAt: number;
}

service.describe('PostgresEventStore: two instances appending to one schema', () => {
  const schema = uniqueSchema('es_pg_conc');
  const stores: PostgresEventStore[] = [];

  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await dropSchema(testDatabaseUrl, schema);
  }, 30_000);

  it(
    'assigns positions in commit order across instances: no reader ever sees a later position before an earlier one, and a subscriber gets everything once, in order',
    async () => {
      const connect = async (pollIntervalMs?: number) => {
        const store = await PostgresEventStore.connect({ connectionString: testDatabaseUrl, schema, pollIntervalMs });
        stores.push(store);
        return store;
      };
      const [a, b] = await Promise.all([connect(), connect()]);
      // Reads often, so that a position made visible out of order would have a chance to be seen.
      const reader = await connect(10);
      const head = await reader.headPosition();
      const sub = collect(reader, head);

      // Snapshots of what is visible while the writers run: each must be a prefix of the final log.
      const snapshots: number[][] = [];
      const probe = new pg.Client({ connectionString: testDatabaseUrl });
      await probe.connect();
      let writing = true;
      const probing = (async () => {
        while (writing) {
          const { rows } = await probe.query<{ position: string }>(
            `SELECT position FROM "${schema}".es_events WHERE position > $1 ORDER BY position`,
            [head],
          );
          snapshots.push(rows.map((r) => Number(r.position)));
        }
      })();

      const acknowledged: Acknowledged[] = [];
      const CALLERS = 8;
      const APPENDS = 60;
      const caller = async (instance: number, store: PostgresEventStore, c: number): Promise<void> => {
        const mine: number[] = [];
        for (let i = 0; i < APPENDS; i++) {
          const stream = `conc-${instance}-${(c + i) % 5}`;
          const events = Array.from({ length: 1 + (i % 3) }, (_, k) => ({
            id: uuidv7(),
            type: 'Concurrent',
            data: { instance, c, i, k },
          }));
          const issuedAt = performance.now();
          const result = await store.appendToStream(stream, events);
          acknowledged.push({ instance, ids: events.map((e) => e.id), position: result.position, issuedAt, resolvedAt: performance.now() });
          mine.push(result.position);
        }
        expectStrictlyIncreasing(mine);
      };
      try {
        await Promise.all([
          ...Array.from({ length: CALLERS }, (_, c) => caller(0, a, c)),
          ...Array.from({ length: CALLERS }, (_, c) => caller(1, b, c)),
        ]);
      } finally {
        writing = false;
        await probing;
        await probe.end();
      }

      const all = await reader.readAll({ fromPosition: head });
      const expectedIds = acknowledged.flatMap((x) => x.ids);
      expect(all).toHaveLength(expectedIds.length);
      expect(new Set(all.map((e) => e.id))).toEqual(new Set(expectedIds));
      expectStrictlyIncreasing(all.map((e) => e.position));

      // The two instances really interleaved: their commits alternate many times in the log.
      const owners = all.map((e) => (e.data as { instance: number }).instance);
      const switches = owners.filter((o, i) => i > 0 && o !== owners[i - 1]).length;
      expect(switches).toBeGreaterThan(10);
      expect(a.commits).toBeGreaterThan(1);
      expect(b.commits).toBeGreaterThan(1);
      expect(a.commits + b.commits).toBeLessThan(2 * CALLERS * APPENDS);

      // Visibility follows positions: whatever a reader saw was a prefix of the final log.
      const finalPositions = all.map((e) => e.position);
      expect(snapshots.length).toBeGreaterThan(5);
      for (const snapshot of snapshots) {
        const upTo = snapshot.length === 0 ? head : snapshot[snapshot.length - 1];
        expect(snapshot).toEqual(finalPositions.filter((p) => p <= upTo));
      }

      // Commit order: an append acknowledged before another was issued has the lower position.
      const byResolve = [...acknowledged].sort((x, y) => x.resolvedAt - y.resolvedAt);
      const byIssue = [...acknowledged].sort((x, y) => x.issuedAt - y.issuedAt);
      let maxBefore = 0;
      let r = 0;
      for (const later of byIssue) {
        while (r < byResolve.length && byResolve[r].resolvedAt < later.issuedAt) maxBefore = Math.max(maxBefore, byResolve[r++].position);
        expect(later.position).toBeGreaterThan(maxBefore);
      }

      await until(() => sub.seen.length >= all.length, `the subscriber to receive ${all.length} events`, 30_000);
      await sub.subscription.close();
      await sub.done;
      expect(sub.seen.map((e) => e.id)).toEqual(all.map((e) => e.id));
      console.log(
        `[postgres] two instances: ${acknowledged.length} appends, ${all.length} events, ${a.commits + b.commits} transactions, ` +
          `${snapshots.length} visibility snapshots, ${switches} instance switches in the log`,
      );
    },
    120_000,
  );
});
