import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import type { Actor } from '#ruche/domain-kit';
import { WrongExpectedVersionError, type EventStore } from '#ruche/eventstore';
import { CommandRunner, EVENT_STORE, eventIdOf, subCommandMeta, type RequestMeta } from '#ruche/platform';
import { parseEmail } from '../email.js';
import { userDecider, type UserCommand } from '../user.decide.js';
import { userStreamName } from '../user.js';

/** Stream `email-<sha256>` holds the one claim of an e-mail address: its user id. */
function emailStreamName(email: string): string {
  return `email-${createHash('sha256').update(email).digest('hex')}`;
}

export interface ResolvedUser {
  userId: string;
  created: boolean;
  /** Position of the last write made (0 when nothing was written). */
  position: number;
}

export interface UserClaims {
  email: string;
  displayName?: string;
  roles?: readonly string[];
  uai?: string | null;
}

/**
 * Finds the user of an e-mail, or registers one. The e-mail is claimed first in its own
 * stream with `no_stream`, so two concurrent first sign-ins (or invitations) of one address
 * agree on one user id: the log itself is the unique index, no read model is trusted for it.
 * Called by command handlers only (sign-in, invitations), with their command's meta.
 */
@Injectable()
export class UserDirectory {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly runner: CommandRunner,
  ) {}

  async resolve(claims: UserClaims, actor: Actor | 'self', meta: RequestMeta): Promise<ResolvedUser> {
    const email = parseEmail(claims.email);
    const stream = emailStreamName(email);
    let userId = await this.claimedBy(stream);
    let position = 0;
    if (!userId) {
      const candidate = uuidv7();
      // Refuse bad claims before the e-mail is claimed: a refused sign-in writes nothing.
      const by: Actor = actor === 'self' ? { userId: candidate, roles: [] } : actor;
      userDecider.decide(this.registration(candidate, email, claims, by, new Date(0)), userDecider.initialState());
      const claim = subCommandMeta(meta, 'claim-email');
      try {
        const claimed = await this.store.appendToStream(
          stream,
          [{ id: eventIdOf(claim.commandId, 0), type: 'EmailClaimed', data: { email, userId: candidate }, metadata: { commandId: claim.commandId, schemaVersion: 1 } }],
          { expectedRevision: 'no_stream' },
        );
        position = claimed.position;
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
      }
      // Read back rather than trusting the append: the same command run twice at once (the seed
      // in two processes, a retried request) appends the same event id, which the log answers
      // as a success for both, while only the first one's candidate was recorded.
      userId = (await this.claimedBy(stream))!;
    }
    // The user stream may be missing if a previous attempt stopped between the two appends.
    const user = await this.runner.load(userStreamName(userId), userDecider);
    if (user.state.status === 'registered') return { userId, created: false, position: Math.max(position, user.position) };
    const by: Actor = actor === 'self' ? { userId, roles: [] } : actor;
    const result = await this.runner.run(userStreamName(userId), userDecider, { actor: by, meta: subCommandMeta(meta, 'register-user') }, (metadata) =>
      this.registration(userId, email, claims, metadata.actor, metadata.now, metadata.correlationId),
    );
    return { userId, created: true, position: result.position };
  }

  private registration(userId: string, email: string, claims: UserClaims, actor: Actor, now: Date, correlationId?: string): UserCommand {
    return {
      type: 'RegisterUser',
      data: { userId, email, displayName: claims.displayName, roles: claims.roles, uai: claims.uai },
      metadata: { actor, now, correlationId },
    };
  }

  private async claimedBy(stream: string): Promise<string | undefined> {
    const [claim] = await this.store.readStream(stream, { maxCount: 1 });
    return claim ? (claim.data as { userId: string }).userId : undefined;
  }
}
