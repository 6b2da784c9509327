import { Module, type DynamicModule } from '@nestjs/common';
import { OidcClient } from './oidc.client.js';
import { OidcController } from './oidc.controller.js';
import { OIDC_SETTINGS, type OidcSettings } from './oidc.settings.js';
import { OidcSignInHandler } from './oidc.sign-in.js';
import { OidcStore } from './oidc.store.js';

/** OpenID Connect sign-in, beside IdentityModule (whose sessions and users it uses) when AUTH_MODE=oidc. */
@Module({})
export class OidcModule {
  static forRoot(settings: OidcSettings): DynamicModule {
    return {
      module: OidcModule,
      controllers: [OidcController],
      providers: [{ provide: OIDC_SETTINGS, useValue: settings }, OidcClient, OidcStore, OidcSignInHandler],
      exports: [OidcClient],
    };
  }
}
