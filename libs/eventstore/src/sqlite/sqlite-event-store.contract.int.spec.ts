import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeEventStoreContract } from '#ruche/eventstore/testing';
import { SqliteEventStore } from './sqlite-event-store.js';

// A real database file in a fresh temp dir, removed once the suite is done.
let dir: string | undefined;

describeEventStoreContract('SQLite', {
  async open() {
    dir = mkdtempSync(join(tmpdir(), 'ruche-sqlite-contract-'));
    return SqliteEventStore.open({ filename: join(dir, 'events.sqlite') });
  },
  async teardown() {
    if (dir) rmSync(dir, { recursive: true, force: true });
  },
});
