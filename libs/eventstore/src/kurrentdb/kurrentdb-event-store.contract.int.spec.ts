import { describeEventStoreContract, kurrentService } from '#ruche/eventstore/testing';
import { KurrentDbEventStore } from './kurrentdb-event-store.js';

// Runs only where KURRENTDB_URL points at a server (see docker/compose.kurrentdb.yml); says so
// otherwise. Every test uses fresh stream ids, so a server shared across runs is fine.
const kurrent = kurrentService();

describeEventStoreContract(
  'KurrentDB',
  { open: async () => KurrentDbEventStore.connect({ connectionString: kurrent.url ?? '' }) },
  kurrent.describe,
);
