import { Controller, Get, HttpCode, HttpException, Inject, Logger, Optional, Post, Query, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiFoundResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiSeeOtherResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { DomainError } from '#ruche/domain-kit';
import { Meta, SECURITY_AUDIT, SkipIdempotency, type RequestMeta, type SecurityAudit } from '#ruche/platform';
import { Public } from './auth.decorators.js';
import { OidcLogoutDto } from './auth.dto.js';
import { ClaimsMappingError, mapClaims } from './oidc.claims.js';
import { OidcClient, OidcRefusal } from './oidc.client.js';
import { OidcSignInCommand } from './oidc.sign-in.js';
import { OIDC_LOGIN_COOKIE, OIDC_SETTINGS, type OidcSettings } from './oidc.settings.js';
import { OidcStore, sessionIdOfToken } from './oidc.store.js';
import { SESSION_COOKIE, SessionStore } from './session.store.js';

const CALLBACK_PATH = '/api/auth/oidc';

/** A redirect's answer in the OpenAPI document: no body, a Location. */
const REDIRECT = { headers: { Location: { description: 'where the browser goes next', schema: { type: 'string' as const } } } };

/** Where to land after sign-in: a path of this site only (no scheme, no `//host`, no backslash). */
function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length > 500) return '/';
  return /^\/(?![/\\])[^\\\s]*$/.test(value) ? value : '/';
}

/**
 * OpenID Connect sign-in (AUTH_MODE=oidc): the authorization code flow with PKCE, state and
 * nonce. The sign-in in progress is bound to the browser by a cookie and used once; every
 * refusal creates no session, clears that cookie and is recorded in the audit trail.
 */
@ApiTags('auth')
@SkipIdempotency()
@Controller('api/auth/oidc')
export class OidcController {
  private readonly logger = new Logger('OIDC');

  constructor(
    private readonly client: OidcClient,
    private readonly store: OidcStore,
    private readonly sessions: SessionStore,
    private readonly commands: CommandBus,
    @Inject(OIDC_SETTINGS) private readonly settings: OidcSettings,
    @Optional() @Inject(SECURITY_AUDIT) private readonly audit?: SecurityAudit,
  ) {}

  @Public()
  @Get('login')
  @ApiOperation({ summary: "Starts a sign-in at the académie's identity provider (redirects there)" })
  @ApiQuery({ name: 'returnTo', required: false, description: 'a path of this site to land on afterwards' })
  @ApiFoundResponse({ description: 'Redirect to the identity provider', ...REDIRECT })
  async login(@Query('returnTo') returnTo: unknown, @Res() response: Response): Promise<void> {
    let authorization: Awaited<ReturnType<OidcClient['authorizationUrl']>>;
    try {
      authorization = await this.client.authorizationUrl();
    } catch (error) {
      this.logger.error(`Discovery of ${this.settings.issuer} failed: ${(error as Error).message}`);
      throw new HttpException('The identity provider cannot be reached: try again in a moment', 503);
    }
    const { binding, expiresAt } = await this.store.start({ ...authorization.pending, returnTo: safeReturnTo(returnTo) });
    response.cookie(OIDC_LOGIN_COOKIE, binding, {
      httpOnly: true,
      // Lax: the provider's redirect back is a top-level GET from another site.
      sameSite: 'lax',
      secure: this.settings.secureCookies,
      path: CALLBACK_PATH,
      expires: expiresAt,
    });
    response.redirect(302, authorization.url.href);
  }

  @Public()
  @Get('callback')
  @ApiOperation({ summary: 'Where the identity provider sends the browser back; sets the session cookie and redirects' })
  @ApiFoundResponse({ description: 'Signed in: redirect to where the sign-in started', ...REDIRECT })
  async callback(@Req() request: Request, @Meta() meta: RequestMeta, @Res() response: Response): Promise<void> {
    const binding: unknown = request.cookies?.[OIDC_LOGIN_COOKIE];
    response.clearCookie(OIDC_LOGIN_COOKIE, { path: CALLBACK_PATH });
    const refuse = async (refusal: OidcRefusal): Promise<never> => {
      await this.audit?.record({
        type: 'SignInFailed',
        ip: request.ip,
        method: request.method,
        path: CALLBACK_PATH + '/callback',
        reason: refusal.message,
        details: { mode: 'oidc', issuer: this.settings.issuer, ...(refusal.code ? { code: refusal.code } : {}) },
        correlationId: meta.correlationId,
      });
      throw new HttpException(refusal.message, refusal.status);
    };
    const pending = typeof binding === 'string' && binding.length > 0 ? await this.store.take(binding) : undefined;
    if (!pending) return refuse(new OidcRefusal('This sign-in is unknown, expired or already used: start again', 400));
    const state = request.query.state;
    if (typeof state !== 'string' || state !== pending.state) {
      return refuse(new OidcRefusal('The state of this callback is not the one of the sign-in started here', 400, 'state_mismatch'));
    }
    // The URL the provider redirected to, on the public origin (what the redirect_uri named).
    const callbackUrl = new URL(request.originalUrl, this.settings.publicUrl);
    let identity: Awaited<ReturnType<OidcClient['complete']>>;
    try {
      identity = await this.client.complete(callbackUrl, pending);
    } catch (error) {
      if (error instanceof OidcRefusal) return refuse(error);
      throw error;
    }
    let signedIn;
    try {
      const claims = mapClaims(this.settings.claims, identity.claims);
      signedIn = await this.commands.execute(new OidcSignInCommand(identity.issuer, identity.subject, claims, meta));
    } catch (error) {
      if (error instanceof ClaimsMappingError || error instanceof DomainError) return refuse(new OidcRefusal(`The identity provider's claims are not usable: ${error.message}`, 401));
      throw error;
    }
    const session = await this.sessions.create(signedIn.user.userId, signedIn.position);
    await this.store.rememberIdToken(sessionIdOfToken(session.token), identity.idToken, session.expiresAt);
    await this.audit?.record({
      type: 'SignInSucceeded',
      userId: signedIn.user.userId,
      ip: request.ip,
      reason: 'signed in through the identity provider',
      details: { mode: 'oidc', issuer: identity.issuer },
      correlationId: meta.correlationId,
    });
    response.cookie(SESSION_COOKIE, session.token, {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.settings.secureCookies,
      path: '/',
      expires: session.expiresAt,
    });
    response.redirect(302, pending.returnTo);
  }

  /**
   * Ends the session here, then at the provider (RP-initiated logout): 303 to its end-session
   * endpoint, or `{ redirectTo }` to a client that asked for JSON (a fetch cannot follow it).
   */
  @Public()
  @Post('logout')
  @HttpCode(303)
  @ApiOperation({ summary: 'Ends the session, and at the identity provider too (redirect, or { redirectTo } for JSON clients)' })
  @ApiSeeOtherResponse({ description: "Signed out: redirect to the identity provider's end-session endpoint (or this site)", ...REDIRECT })
  @ApiOkResponse({ type: OidcLogoutDto, description: 'Signed out, to a client that accepts JSON rather than HTML' })
  async logout(@Req() request: Request, @Res() response: Response): Promise<void> {
    const token: unknown = request.cookies?.[SESSION_COOKIE];
    let idToken: string | undefined;
    if (typeof token === 'string' && token.length > 0) {
      const session = await this.sessions.find(token);
      idToken = await this.store.forgetIdToken(sessionIdOfToken(token));
      await this.sessions.delete(token);
      if (session) {
        await this.audit?.record({ type: 'SignedOut', userId: session.userId, ip: request.ip, reason: 'signed out', details: { mode: 'oidc' } });
      }
    }
    response.clearCookie(SESSION_COOKIE, { path: '/' });
    let target = `${this.settings.publicUrl}/`;
    try {
      target = (await this.client.endSessionUrl(idToken))?.href ?? target;
    } catch (error) {
      this.logger.warn(`No end-session URL from ${this.settings.issuer}: ${(error as Error).message}`);
    }
    if (request.accepts(['html', 'json']) === 'json') {
      response.status(200).json({ redirectTo: target });
      return;
    }
    response.redirect(303, target);
  }
}
