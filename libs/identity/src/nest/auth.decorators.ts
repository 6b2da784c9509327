import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { Actor } from '#ruche/domain-kit';

export const IS_PUBLIC = 'ruche:isPublic';

/** The route answers without a session (sign-in, health, public indicators). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

/** The signed-in user, with what the access rules need. */
export interface SignedInUser extends Actor {
  email: string;
  displayName: string;
  sessionId: string;
}

export type RequestWithUser = Request & { user?: SignedInUser };

/** Injects the signed-in user (the global AuthGuard guarantees one on non-public routes). */
export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): SignedInUser | undefined => {
  return context.switchToHttp().getRequest<RequestWithUser>().user;
});
