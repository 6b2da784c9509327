import pg from 'pg';
import { describeEventStoreContract, postgresService, testDatabaseUrl, uniqueSchema } from '#ruche/eventstore/testing';
import { PostgresEventStore } from './postgres-event-store.js';

// Its own schema, dropped afterwards; skipped (or failed under REQUIRE_SERVICES=1) without a server.
const pgService = await postgresService();
const schema = uniqueSchema('contract');

describeEventStoreContract(
  'PostgreSQL',
  {
    open: () => PostgresEventStore.connect({ connectionString: testDatabaseUrl, schema }),
    async teardown() {
      const client = new pg.Client({ connectionString: testDatabaseUrl });
      await client.connect();
      try {
        await client.query(`drop schema if exists "${schema}" cascade`);
      } finally {
        await client.end();
      }
    },
  },
  pgService.describe,
);
