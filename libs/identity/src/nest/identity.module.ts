import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthController } from './auth.controller.js';
import { AuthGuard } from './auth.guard.js';
import { AUTH_SETTINGS, type AuthSettings } from './auth.settings.js';
import { SessionStore } from './session.store.js';
import { UserDirectory } from './user-directory.js';
import { identityCommandHandlers } from './sign-in.command.js';
import { UsersQueries } from './users.queries.js';

/** Sign-in, sessions and users. OpenID Connect plugs in beside the dev sign-in later. */
@Module({})
export class IdentityModule {
  static forRoot(settings: AuthSettings): DynamicModule {
    return {
      module: IdentityModule,
      global: true,
      controllers: [AuthController],
      providers: [
        { provide: AUTH_SETTINGS, useValue: settings },
        SessionStore,
        UsersQueries,
        UserDirectory,
        ...identityCommandHandlers,
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
      exports: [SessionStore, UsersQueries, UserDirectory],
    };
  }
}
