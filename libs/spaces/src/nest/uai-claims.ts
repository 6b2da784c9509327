import { Inject, Injectable } from '@nestjs/common';
import { DomainError, type Actor } from '#ruche/domain-kit';
import { WrongExpectedVersionError, type EventStore, type RecordedEvent } from '#ruche/eventstore';
import { CLOCK, CommandRunner, EVENT_STORE, eventIdOf, subCommandMeta, type Clock, type RequestMeta } from '#ruche/platform';
import { spaceDecider } from '../space.decide.js';
import { spaceStreamName } from '../space.js';

/** Stream `uai-<UAI>` holds the claim of a UAI by its one establishment space. */
export function uaiClaimStreamName(uai: string): string {
  return `uai-${uai}`;
}

interface UaiClaimed {
  uai: string;
  spaceId: string;
  at: string;
  by: string;
}

/**
 * A claim whose space never came (the process stopped between the two appends) may be taken
 * over after this long; a younger one may still be on its way.
 */
const ABANDONED_AFTER_MS = 2 * 60 * 1000;

/**
 * One establishment space per UAI: before its space is created, the UAI is claimed in its own
 * stream with `no_stream`, as identity claims an e-mail. Two concurrent creations for one UAI
 * agree on one winner through the log itself; the other gets 409. A retry of the same creation
 * finds its own claim and goes on.
 */
@Injectable()
export class UaiClaims {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly runner: CommandRunner,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async claim(uai: string, spaceId: string, actor: Actor, meta: RequestMeta): Promise<void> {
    const stream = uaiClaimStreamName(uai);
    const claim = subCommandMeta(meta, `claim-uai-${uai}`);
    for (let attempt = 0; attempt < 3; attempt++) {
      const [last] = await this.store.readStream(stream, { direction: 'backwards', maxCount: 1 });
      if (last && this.claimOf(last).spaceId === spaceId) return;
      if (last && !(await this.abandoned(last))) {
        throw DomainError.conflict('This establishment already has its space: one establishment space per UAI', { uai });
      }
      const data: UaiClaimed = { uai, spaceId, at: this.clock.now().toISOString(), by: actor.userId };
      try {
        await this.store.appendToStream(
          stream,
          [{ id: eventIdOf(claim.commandId, last ? last.revision + 1 : 0), type: 'UaiClaimed', data, metadata: { commandId: claim.commandId, userId: actor.userId, schemaVersion: 1 } }],
          { expectedRevision: last ? last.revision : 'no_stream' },
        );
        return;
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
      }
    }
    throw DomainError.conflict('This establishment already has its space: one establishment space per UAI', { uai });
  }

  private claimOf(event: RecordedEvent): UaiClaimed {
    return event.data as UaiClaimed;
  }

  /** The claimed space was never created, and the claim is old enough to be given up. */
  private async abandoned(last: RecordedEvent): Promise<boolean> {
    const { spaceId } = this.claimOf(last);
    const space = await this.runner.load(spaceStreamName(spaceId), spaceDecider);
    if (space.state.status !== 'none') return false;
    return this.clock.now().getTime() - last.createdAt.getTime() > ABANDONED_AFTER_MS;
  }
}
