import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CommandRunner, RucheCommand, subCommandMeta, type RequestMeta } from '#ruche/platform';
import { userDecider, type UserCommand } from '../user.decide.js';
import { userStreamName, type RegisteredUser } from '../user.js';
import { UserDirectory, type UserClaims } from './user-directory.js';

export interface SignedIn {
  user: RegisteredUser;
  /** Position of the last write of the sign-in (0 when it wrote nothing). */
  position: number;
}

/**
 * Signs a person in from the claims their identity provider (or the dev sign-in) asserts:
 * registers them on first use, and records claims that changed since (roles, UAI, name).
 * The actor is the person themself, so `actor` carries their id once it is known.
 */
export class SignInCommand extends RucheCommand<SignedIn> {
  constructor(readonly claims: UserClaims, meta: RequestMeta) {
    super({ userId: '', roles: [] }, meta);
  }
}

/** A profile change (display name, and roles or UAI by a dane), through the user's decider. */
export class UpdateUserProfileCommand extends RucheCommand {
  constructor(
    readonly userId: string,
    readonly changes: { displayName?: string; roles?: readonly string[]; uai?: string | null },
    actor: RucheCommand['actor'],
    meta: RequestMeta,
  ) {
    super(actor, meta);
  }
}

@CommandHandler(SignInCommand)
export class SignInHandler implements ICommandHandler<SignInCommand> {
  constructor(
    private readonly directory: UserDirectory,
    private readonly runner: CommandRunner,
  ) {}

  async execute({ claims, meta }: SignInCommand): Promise<SignedIn> {
    const resolved = await this.directory.resolve(claims, 'self', meta);
    let position = resolved.position;
    const { userId } = resolved;
    if (!resolved.created && (claims.displayName !== undefined || claims.roles !== undefined || claims.uai !== undefined)) {
      const actor = { userId, roles: [] };
      const update = await this.runner.run(userStreamName(userId), userDecider, { actor, meta: subCommandMeta(meta, 'sign-in-claims') }, (metadata): UserCommand => ({
        type: 'UpdateUserProfile',
        data: { userId, displayName: claims.displayName, roles: claims.roles, uai: claims.uai, viaSignIn: true },
        metadata,
      }));
      position = Math.max(position, update.position);
    }
    const { state } = await this.runner.load(userStreamName(userId), userDecider);
    if (state.status !== 'registered') throw new Error('user registration did not land');
    return { user: state, position };
  }
}

@CommandHandler(UpdateUserProfileCommand)
export class UpdateUserProfileHandler implements ICommandHandler<UpdateUserProfileCommand> {
  constructor(private readonly runner: CommandRunner) {}

  async execute(command: UpdateUserProfileCommand) {
    const { userId, changes } = command;
    const result = await this.runner.run(userStreamName(userId), userDecider, command, (metadata): UserCommand => ({
      type: 'UpdateUserProfile',
      data: { userId, ...changes },
      metadata,
    }));
    return { id: userId, revision: result.revision, position: result.position };
  }
}

export const identityCommandHandlers = [SignInHandler, UpdateUserProfileHandler];
