import { Body, Controller, Get, HttpCode, Inject, NotFoundException, Optional, Post, Req, Res } from '@nestjs/common';
import { ApiCookieAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CommandBus } from '@nestjs/cqrs';
import { isDomainError } from '#ruche/domain-kit';
import { Meta, SECURITY_AUDIT, SkipIdempotency, type RequestMeta, type SecurityAudit } from '#ruche/platform';
import { AUTH_SETTINGS, type AuthSettings } from './auth.settings.js';
import { CurrentUser, Public, type SignedInUser } from './auth.decorators.js';
import { AuthModeDto, DevLoginDto, MeDto, SignedInDto } from './auth.dto.js';
import { SESSION_COOKIE, SessionStore } from './session.store.js';
import { SignInCommand } from './sign-in.command.js';

@ApiTags('auth')
@SkipIdempotency()
@Controller('api')
export class AuthController {
  constructor(
    private readonly commands: CommandBus,
    private readonly sessions: SessionStore,
    @Inject(AUTH_SETTINGS) private readonly settings: AuthSettings,
    @Optional() @Inject(SECURITY_AUDIT) private readonly audit?: SecurityAudit,
  ) {}

  /** How people sign in here (AUTH_MODE): the sign-in page offers that way only. */
  @Public()
  @Get('auth/mode')
  @ApiOperation({ summary: 'How people sign in: dev (by e-mail) or oidc (the identity provider)' })
  @ApiOkResponse({ type: AuthModeDto })
  mode(): AuthModeDto {
    return { mode: this.settings.authMode };
  }

  /**
   * Dev sign-in: any e-mail, created on first use with the claims given. Later sign-ins with
   * other claims update them (as an identity provider's fresh claims would).
   */
  @Public()
  @Post('auth/dev-login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in by e-mail (AUTH_MODE=dev only; 404 otherwise)' })
  @ApiOkResponse({ type: SignedInDto, description: 'Signed in: the session cookie is set' })
  async devLogin(
    @Body() body: DevLoginDto,
    @Meta() meta: RequestMeta,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<SignedInDto> {
    if (this.settings.authMode !== 'dev') throw new NotFoundException();
    const fact = { ip: request.ip, method: request.method, path: '/api/auth/dev-login', correlationId: meta.correlationId };
    let signedIn;
    try {
      signedIn = await this.commands.execute(new SignInCommand(body, meta));
    } catch (error) {
      // Refused claims are a failed sign-in; the e-mail stays out of the trail (it may be mistyped).
      if (isDomainError(error)) {
        await this.audit?.record({ ...fact, type: 'SignInFailed', reason: error.message, details: { mode: 'dev' } });
      }
      throw error;
    }
    const { user: state, position } = signedIn;
    await this.audit?.record({ ...fact, type: 'SignInSucceeded', userId: state.userId, reason: 'signed in', details: { mode: 'dev' } });
    const session = await this.sessions.create(state.userId, position);
    response.cookie(SESSION_COOKIE, session.token, {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.settings.secureCookies,
      path: '/',
      expires: session.expiresAt,
    });
    return {
      id: state.userId,
      email: state.email,
      displayName: state.displayName,
      roles: [...state.roles],
      ...(state.uai ? { uai: state.uai } : {}),
      position,
    };
  }

  @Public()
  @Post('auth/logout')
  @HttpCode(204)
  @ApiOperation({ summary: 'Ends the session' })
  @ApiNoContentResponse({ description: 'Signed out: the session cookie is cleared' })
  async logout(@Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<void> {
    const token: unknown = request.cookies?.[SESSION_COOKIE];
    if (typeof token === 'string') {
      const session = await this.sessions.find(token);
      await this.sessions.delete(token);
      if (session) await this.audit?.record({ type: 'SignedOut', userId: session.userId, ip: request.ip, reason: 'signed out', details: { mode: 'dev' } });
    }
    response.clearCookie(SESSION_COOKIE, { path: '/' });
  }

  @Get('me')
  @ApiCookieAuth()
  @ApiOperation({ summary: 'The signed-in user' })
  @ApiOkResponse({ type: MeDto })
  me(@CurrentUser() user: SignedInUser): MeDto {
    return { id: user.userId, email: user.email, displayName: user.displayName, roles: [...user.roles], ...(user.uai ? { uai: user.uai } : {}) };
  }
}
