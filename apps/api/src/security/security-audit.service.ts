import { Inject, Injectable, Logger } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import type { EventStore } from '#ruche/eventstore';
import { CLOCK, EVENT_STORE, type Clock, type SecurityAudit, type SecurityFact } from '#ruche/platform';

/** Audit facts of a day share a stream: `audit-2026-11-30`. */
export const AUDIT_STREAM_CATEGORY = 'audit';

export function auditStreamName(at: Date): string {
  return `${AUDIT_STREAM_CATEGORY}-${at.toISOString().slice(0, 10)}`;
}

/** The data of an audit event: the fact, stamped. */
export type SecurityFactData = SecurityFact & { at: string };

/**
 * The audit trail as events: each fact is appended (expected revision `any`, so concurrent facts
 * never conflict) to its day's stream, and read by dane through the `security_audit` projection.
 * A failure to record is logged and swallowed: a refusal must stay a refusal, not become a 500.
 */
@Injectable()
export class SecurityAuditService implements SecurityAudit {
  private readonly logger = new Logger('Audit');

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async record(fact: SecurityFact): Promise<void> {
    const now = this.clock.now();
    const data: SecurityFactData = { ...fact, at: now.toISOString() };
    try {
      await this.store.appendToStream(
        auditStreamName(now),
        [{ id: uuidv7(), type: fact.type, data, metadata: { schemaVersion: 1, ...(fact.correlationId ? { correlationId: fact.correlationId } : {}), ...(fact.userId ? { userId: fact.userId } : {}) } }],
        { expectedRevision: 'any' },
      );
    } catch (error) {
      this.logger.error(`Could not record ${fact.type} (${fact.reason}): ${(error as Error).message}`);
    }
  }
}
