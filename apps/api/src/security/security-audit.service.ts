import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { createTablesOnce, type SqlDatabase } from '#ruche/projections';
import { CLOCK, READ_DB, type Clock, type SecurityAudit, type SecurityFact } from '#ruche/platform';

/**
 * The audit trail's own append-only log: each security fact is an immutable event (a UUIDv7 id,
 * a type, a time, its data), in `security_events` of the read database, which every process
 * shares. Not in the domain's event log on purpose: a refusal writes nothing there (the API's
 * promise, and the head position every test checks), and a flood of refused requests must not
 * grow the log that every projection replays. Role changes, which are domain events already,
 * join them through the `security_audit` projection. A failure to record is logged and
 * swallowed: a refusal must stay a refusal, not become a 500.
 */
@Injectable()
export class SecurityAuditService implements SecurityAudit, OnModuleInit {
  private readonly logger = new Logger('Audit');
  private ready: Promise<unknown> | undefined;

  constructor(
    @Inject(READ_DB) private readonly db: SqlDatabase,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.table();
  }

  private table(): Promise<unknown> {
    this.ready ??= createTablesOnce(this.db, [
      `CREATE TABLE IF NOT EXISTS security_events (
         id TEXT PRIMARY KEY,
         type TEXT NOT NULL,
         at TEXT NOT NULL,
         user_id TEXT,
         ip TEXT,
         method TEXT,
         path TEXT,
         reason TEXT NOT NULL,
         details TEXT NOT NULL,
         correlation_id TEXT
       )`,
      'CREATE INDEX IF NOT EXISTS security_events_by_time ON security_events (at, id)',
    ]);
    return this.ready;
  }

  async record(fact: SecurityFact): Promise<void> {
    try {
      await this.table();
      await this.db.execute(
        `INSERT INTO security_events (id, type, at, user_id, ip, method, path, reason, details, correlation_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          uuidv7(),
          fact.type,
          this.clock.now().toISOString(),
          fact.userId ?? null,
          fact.ip ?? null,
          fact.method ?? null,
          fact.path ?? null,
          fact.reason.slice(0, 500),
          JSON.stringify(fact.details ?? {}),
          fact.correlationId ?? null,
        ],
      );
    } catch (error) {
      this.logger.error(`Could not record ${fact.type} (${fact.reason}): ${(error as Error).message}`);
    }
  }
}
