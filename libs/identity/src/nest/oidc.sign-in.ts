import { createHash } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { CommandBus, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { WrongExpectedVersionError, type EventStore } from '#ruche/eventstore';
import { CommandRunner, EVENT_STORE, eventIdOf, RucheCommand, subCommandMeta, type RequestMeta } from '#ruche/platform';
import { userDecider, type UserCommand } from '../user.decide.js';
import { userStreamName } from '../user.js';
import { SignInCommand, type SignedIn } from './sign-in.command.js';
import type { UserClaims } from './user-directory.js';

/**
 * Stream `oidc-<sha256(issuer, sub)>` holds the one link of a provider's subject to a user id.
 * Users are keyed by (issuer, sub): an e-mail may change at the provider, the subject does not.
 */
export function oidcLinkStreamName(issuer: string, subject: string): string {
  return `oidc-${createHash('sha256').update(JSON.stringify([issuer, subject])).digest('hex')}`;
}

/**
 * Signs in the person an OpenID Connect provider vouched for. A (issuer, sub) seen before signs
 * in its linked user, with fresh display name, roles and UAI. A new one goes through the e-mail
 * (SignInCommand), which finds the dev-mode or invited user of that address or registers one,
 * and is then linked with `no_stream`: two concurrent first sign-ins agree on one link.
 */
export class OidcSignInCommand extends RucheCommand<SignedIn> {
  constructor(
    readonly issuer: string,
    readonly subject: string,
    readonly claims: UserClaims,
    meta: RequestMeta,
  ) {
    super({ userId: '', roles: [] }, meta);
  }
}

@CommandHandler(OidcSignInCommand)
export class OidcSignInHandler implements ICommandHandler<OidcSignInCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly runner: CommandRunner,
    private readonly commands: CommandBus,
  ) {}

  async execute({ issuer, subject, claims, meta }: OidcSignInCommand): Promise<SignedIn> {
    const stream = oidcLinkStreamName(issuer, subject);
    let userId = await this.linkedUser(stream);
    let position = 0;
    if (userId === undefined) {
      const first = await this.commands.execute(new SignInCommand(claims, meta));
      userId = first.user.userId;
      position = first.position;
      const link = subCommandMeta(meta, 'link-oidc-subject');
      try {
        const linked = await this.store.appendToStream(
          stream,
          [
            {
              id: eventIdOf(link.commandId, 0),
              type: 'OidcSubjectLinked',
              data: { issuer, subject, userId },
              metadata: { commandId: link.commandId, correlationId: meta.correlationId, userId, schemaVersion: 1 },
            },
          ],
          { expectedRevision: 'no_stream' },
        );
        position = Math.max(position, linked.position);
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        userId = (await this.linkedUser(stream))!;
      }
    } else {
      const actor = { userId, roles: [] };
      const update = await this.runner.run(userStreamName(userId), userDecider, { actor, meta: subCommandMeta(meta, 'oidc-claims') }, (metadata): UserCommand => ({
        type: 'UpdateUserProfile',
        data: { userId: userId!, displayName: claims.displayName, roles: claims.roles, uai: claims.uai, viaSignIn: true },
        metadata,
      }));
      position = update.position;
    }
    const { state, position: streamPosition } = await this.runner.load(userStreamName(userId), userDecider);
    if (state.status !== 'registered') throw new Error('user registration did not land');
    return { user: state, position: Math.max(position, streamPosition) };
  }

  private async linkedUser(stream: string): Promise<string | undefined> {
    const [link] = await this.store.readStream(stream, { maxCount: 1 });
    return link ? (link.data as { userId: string }).userId : undefined;
  }
}
